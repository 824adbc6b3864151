"""The evaluation of one social prescribing service: the tables in, the headline figures out."""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from . import _core
from ._codes import practice_codes, sexes
from ._columns import (
    NO_DATE,
    as_codes,
    as_datetimes,
    as_day,
    as_days,
    as_frame,
    as_ids,
    as_ticks,
    check_tick_range,
    client_columns,
    decoded,
    exact_integers,
    normalised_labels,
    require_columns,
    shown,
)
from ._measures import EVENT_KINDS, Window, WindowSpec, parse_windows, pence_per, per_client, percent_change
from .equity import EquityResult, equity, equity_effects
from .funding import Funding, FundingBy, check_funding, cost_per_client, funding_by, funding_in_period, service_cost
from .kind_groups import GroupsOption, check_groups, resolve_groups, with_group_rows
from .matching import Match, match
from .operations import CallFrequency, Delivery, Meetings, Workforce, call_frequency, delivery, meetings, workforce
from .outcomes import domain_outcomes, wellbeing
from .periods import (
    CUSTOM,
    PERIOD_GROUPINGS,
    Period,
    PeriodFigure,
    ServicePeriods,
    by_period,
    cache_key,
    grouping_name,
    is_period_grouping,
    period_labels,
    period_of_clients,
    period_span,
    with_rule,
)
from .practices import PracticesResult, practices
from .quality import DataQuality, data_quality
from .support import (
    feedback_summary,
    income_gained,
    outward_referrals,
    phb_breaches,
    phb_summary,
    spend,
    support_summary,
)
from .surveys import SurveySource, SurveySummary, survey_summary
from .tariff import TariffSource, load_tariff, tariff_table
from .trends import PeriodComparison, TrendResult, compare_periods, trend

# What a per-person count returns (see Evaluation._per_person).
Counted = TypeVar("Counted")

__all__ = ["EVENT_KINDS", "Evaluation", "Window", "WindowSpec"]

AGE_BANDS = ("under 16", "16-23", "24-63", "64+")
DERIVED_GROUPINGS = (*PERIOD_GROUPINGS, "referral_month", "age_band")
_PERSON_ID_COLUMNS = ("person_id", "patient_id", "client_id")
# The date columns of each table, read once here by the one rule (see ``date_format``).
_DATE_COLUMNS = {"clients": ("referral_date", "index_date", "discharge_date"), "assessments": ("date",),
                 "interventions": ("date",), "feedback": ("date",), "surveys": ("date",), "meetings": ("date",)}
# The code columns of the people tables, normalised here and the normalisation reported.
_CODE_COLUMNS = {"practice": (practice_codes, "ODS code stripped and upper-cased"),
                 "sex": (sexes, "NHS Data Dictionary code or word to male / female / not specified / not known")}


class Evaluation:
    """A social prescribing service's tables, checked once, with its headline figures.

    Parameters
    ----------
    clients:
        One row per referred person: ``client_id``, ``referral_date``, ``index_date`` (empty for
        people who never connected); optional ``discharge_date``, ``practice``, ``locality``,
        ``referral_source`` (gp, mdt, mental_health, self, agency, helpline, other),
        ``referral_reasons`` (``;``-separated), ``sex``, ``birth_year`` or ``age``, ``carer``,
        ``status``, ``link_worker`` (for :meth:`workforce`).
    events:
        One row per use of a health service: ``person_id`` (or ``client_id``/``patient_id``),
        ``date``, ``kind`` (one of ``EVENT_KINDS``); optional ``count``, a whole number >= 0 of
        uses the row stands for (default 1; the bed days of a spell), which every figure counts
        (rows of count 0 are left out and counted in :meth:`exclusions`). Datetime dates are
        kept as they are and checked as the events are first counted; other dates are read and
        checked here. Parquet files (a directory or file path) or a ``pyarrow.dataset.Dataset``
        are streamed, never held whole: see ``socialrx.out_of_core``.
    assessments:
        Long format outcome ratings: ``client_id, date, timepoint, instrument, item, value``.
    interventions, feedback:
        Support given and client feedback (kept for reports). Interventions may say who paid
        (``funded_by``), what a personal health budget bought (``category``) and a benefit
        award's value a year (``annual_value_pence``); see ``socialrx.support``. Interventions
        may also say who delivered them (``delivered_by``) and which link worker made a contact
        (``link_worker``); feedback may give the most valuable part of support
        (``most_valuable``) and ``comments``, the ``client_feedback`` survey's questions.
    funding:
        The grants and contracts that paid for the service, ``funder, start, end, pence``: the
        service cost per period and funder (:meth:`funding`), and the service cost of
        :meth:`net_saving` and :meth:`cost_per_client` when none is given; see
        ``socialrx.funding``. Kept checked as :attr:`funding_table`.
    comparison:
        Non-referred patients (``patient_id``, ...) whose events share the events table.
    tariff:
        A tariff JSON path, dict, loaded ``Tariff`` or ``"example"``; needed for cost figures.
    data_start, data_end:
        The first and last day the event extracts cover (inclusive). A client counts in a window
        only where these cover both sides of it. Default: the first and last event dates.
    date_format:
        How text dates that are not ISO 8601 are written, as a ``strftime`` format (``"%d/%m/%Y"``,
        the UK Excel default), or how integer dates are: ``"%Y%m%d"`` (20190401) or ``"excel"``
        (Excel serial days, 1900 date system). It applies to every date column and to
        ``data_start``/``data_end``; without it, only ISO text and datetimes are read, and any
        other date is an error naming table, column and row. See ``socialrx._columns.as_days``.
    threads:
        Threads for the engines (0: all). Results do not depend on it.
    kind_groups:
        Groups of event kinds of the evaluation's own, ``{"name": [kind, ...]}``, reported beside
        the shipped ``inpatient``, ``gp`` and ``hospital`` by every figure given ``groups=True``
        (see ``socialrx.kind_groups``).
    surveys, survey_definitions:
        Survey answers, ``respondent_id, respondent_type, survey, date, question, answer``, to
        the shipped surveys (``gp_practice``, ``client_feedback``) or to the user's own declared
        in ``survey_definitions`` (JSON paths or dicts); see ``socialrx.surveys``.
    meetings:
        The service's meetings, ``date, kind`` (mdt, complex_case_review), ``organisations,
        clients``; kept as :attr:`meetings_table` (see ``socialrx.operations``).

    Practice codes and sex in ``clients`` and ``comparison`` are normalised (see
    ``socialrx._codes``); :attr:`normalisation` counts the values changed.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Evaluation:
        """``events=`` Parquet files (a directory, a file) or a ``pyarrow.dataset.Dataset`` make a
        ``socialrx.out_of_core.Evaluation``, which reads the events as it counts them."""
        if cls is Evaluation and _on_disk(kwargs.get("events")):
            from .out_of_core import Evaluation as OutOfCore

            return super().__new__(OutOfCore)
        return super().__new__(cls)

    def __init__(
        self,
        *,
        clients: Any,
        events: Any = None,
        assessments: Any = None,
        interventions: Any = None,
        feedback: Any = None,
        comparison: Any = None,
        tariff: TariffSource | None = None,
        data_start: Any = None,
        data_end: Any = None,
        date_format: str | None = None,
        threads: int = 0,
        kind_groups: Any = None,
        funding: Any = None,
        surveys: Any = None,
        survey_definitions: Sequence[SurveySource] = (),
        meetings: Any = None,
    ) -> None:
        self.date_format = date_format
        normalised: list[tuple[str, str, str, int]] = []
        self.clients = self._read("clients", clients, normalised)
        self.events = None if events is None else as_frame(events, "events").reset_index(drop=True)
        self.assessments = self._read("assessments", assessments, normalised)
        self.interventions = self._read("interventions", interventions, normalised)
        self.feedback = self._read("feedback", feedback, normalised)
        self.comparison = self._read("comparison", comparison, normalised)
        self.normalisation = pd.DataFrame(normalised, columns=["table", "column", "rule", "changed"])
        self.tariff = None if tariff is None else load_tariff(tariff)
        self.threads = int(threads)
        self.kind_groups = check_groups(kind_groups or {})
        self.funding_table = None if funding is None else check_funding(funding, date_format)
        self.surveys = self._read("surveys", surveys, normalised)
        self.survey_definitions = tuple(survey_definitions)
        self.meetings_table = self._read("meetings", meetings, normalised)
        self._client_columns = self._check_clients()
        self._event_days: np.ndarray | None = None
        self._event_ticks: tuple[np.ndarray, int] | None = None
        self._ticks_checked = False
        self._event_count: np.ndarray | None = None
        self._expanded: dict[str, np.ndarray] | None = None
        self._events_checked = self._check_events()
        self.data_start, self.data_end = self._data_range(data_start, data_end)
        self._utilisation_cache: dict[tuple[Any, ...], tuple[Any, list[str]]] = {}

    # ----------------------------------------------------------------- input checks
    def _read(self, table: str, given: Any, normalised: list[tuple[str, str, str, int]]) -> Any:
        """A table as a DataFrame of its own, its date columns read (see ``date_format``) and its
        code columns normalised, each normalisation noted in ``normalised``."""
        if given is None:
            return None
        frame = as_frame(given, table).reset_index(drop=True)
        for column in _DATE_COLUMNS.get(table, ()):
            if column in frame and not pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
                frame[column] = as_datetimes(frame[column], table, column, self.date_format)
        if table in ("clients", "comparison"):
            for column, (normalise, rule) in _CODE_COLUMNS.items():
                if column in frame:
                    frame[column], changed = normalise(frame[column], table, column)
                    normalised.append((table, column, rule, changed))
        return frame

    def _check_clients(self) -> dict[str, np.ndarray]:
        columns = client_columns(self.clients)
        if "status" in self.clients:
            self._check_status(self.clients["status"], columns["index_date"])
        return columns

    @staticmethod
    def _check_status(status: pd.Series, index_date: np.ndarray) -> None:
        labels = normalised_labels(decoded(status, "clients", "status"))
        connected = (labels == "connected").fillna(False).to_numpy(dtype=bool)
        has_index = index_date != NO_DATE
        mismatch = connected != has_index
        if mismatch.any():
            row = int(np.flatnonzero(mismatch)[0])
            said = "connected" if connected[row] else f"'{status.iloc[row]}'"
            fact = "has an index date" if has_index[row] else "has no index date"
            raise ValueError(f"clients.status row {row}: status {said} but the client {fact}")

    def _check_events(self) -> dict[str, np.ndarray] | None:
        if self.events is None:
            return None
        frame = self.events
        id_column = self._event_id_column
        require_columns(frame, "events", [id_column, "date", "kind"])
        kind, _ = as_codes(frame["kind"], "events", "kind", EVENT_KINDS, dtype=np.uint8)
        self._event_ticks = as_ticks(frame["date"])
        if self._event_ticks is None:
            self._event_days = as_days(frame["date"], "events", "date", required=True, date_format=self.date_format)
        if "count" in frame:
            self._event_count = _event_counts(frame["count"])
        return {"person_id": as_ids(frame[id_column], "events", id_column), "kind": kind}

    @property
    def _event_id_column(self) -> str:
        """The events' person id column as the user named it."""
        events = self._require("events")
        id_column = next((c for c in _PERSON_ID_COLUMNS if c in events.columns), None)
        if id_column is None:
            raise ValueError("events: missing column person_id (or client_id / patient_id)")
        return id_column

    @contextmanager
    def _in_users_terms(self) -> Iterator[None]:
        """Engine errors about the events, with the user's name for the id column and the row of
        the user's table (the engines see ``person_id`` and one row per counted use)."""
        try:
            yield
        except ValueError as error:
            def users_row(found: re.Match[str]) -> str:
                row = int(found.group(1))
                if self._event_count is not None:
                    row = int(np.searchsorted(np.cumsum(self._event_count), row, side="right"))
                return f"events.{self._event_id_column} row {row}"

            message = re.sub(r"events\.person_id row (\d+)", users_row, str(error))
            if message == str(error):
                raise
            raise ValueError(message) from None

    @property
    def has_events(self) -> bool:
        """Whether the evaluation counts events (a table here, or parts elsewhere)."""
        return self.events is not None

    @property
    def events_with_count_zero(self) -> int:
        """Rows of the events table whose ``count`` is 0 (left out of every figure)."""
        return 0 if self._event_count is None else int(np.count_nonzero(self._event_count == 0))

    @property
    def client_columns(self) -> dict[str, np.ndarray]:
        """The clients' checked columns as the engines take them: ``client_id`` (int64),
        ``referral_date``, ``index_date``, ``discharge_date`` (int32 days; ``NO_DATE`` where
        there is none)."""
        return self._client_columns

    @property
    def event_columns(self) -> dict[str, np.ndarray] | None:
        """The events' checked ``person_id``, ``date`` (int32 days) and ``kind`` codes, one row per
        counted use (a row of ``count`` 3 three times, of count 0 not at all), as every engine
        takes them; None without an events table."""
        return self._event_columns

    @property
    def comparison_ids(self) -> np.ndarray:
        """The comparison pool's patient ids (int64; empty without a pool)."""
        return self._comparison_ids()

    def periods(self, periods: ServicePeriods | None = None) -> pd.Series:
        """Each client's reporting period: the NHS financial year (April-March), or the service
        period of ``periods=[(label, start, end), ...]``, of the index date, or of the referral
        date for a client who never connected ("outside periods" where it is in none)."""
        return period_of_clients(self._client_columns["index_date"], self._client_columns["referral_date"], periods)

    def for_period(self, period: str, *, periods: ServicePeriods | None = None) -> Evaluation:
        """The evaluation of the clients of one reporting period (``"2023/24"``, or a label of
        the service ``periods``; see :meth:`periods`); events, comparison pool, tariff and data
        range are shared; survey answers and meetings are those dated within the period (an
        undated one is in no period); the funding is each grant's part in the period, as
        :meth:`funding` apportions it."""
        labels = self.periods(periods)
        mask = (labels == period).to_numpy(dtype=bool)
        if not mask.any():
            raise ValueError(f"period: no client falls in {period!r} (periods: "
                             f"{', '.join(sorted(labels.unique()))})")
        others = pd.Index(self._client_columns["client_id"][~mask])

        def keep(frame: pd.DataFrame | None, column: str = "client_id") -> pd.DataFrame | None:
            if frame is None:
                return None
            return frame[~frame[column].isin(others)].reset_index(drop=True)

        events = None if self.events is None else keep(self.events, self._event_id_column)
        span = period_span(period, periods)
        return Evaluation(
            clients=self.clients[mask].reset_index(drop=True), events=events, assessments=keep(self.assessments),
            interventions=keep(self.interventions), feedback=keep(self.feedback), comparison=self.comparison,
            tariff=self.tariff, data_start=_as_date(self.data_start), data_end=_as_date(self.data_end),
            date_format=self.date_format, threads=self.threads, kind_groups=self.kind_groups,
            surveys=_dated_within(self.surveys, span), survey_definitions=self.survey_definitions,
            meetings=_dated_within(self.meetings_table, span),
            funding=None if self.funding_table is None else funding_in_period(self.funding_table, period, span,
                                                                               periods))

    def reporting_periods(self) -> list[str]:
        """The reporting periods (financial years) with a connected client, in order."""
        return sorted(p for p in self.periods().unique() if p != "not connected")

    def trend(self, measure: str = "referrals", *, by: str = "month", last: int = 3, level: float = 0.95,
              end: Any = None) -> TrendResult:
        """A count per month (or ``by="quarter"``/``"financial_year"``) and the last ``last``
        complete periods against the ``last`` before as a rate ratio with an exact interval;
        ``end``: the last day the data cover. See ``socialrx.trends.trend``."""
        return trend(self, measure, by=by, last=last, level=level, end=end)

    def compare_periods(self, first: str, second: str, *, periods: ServicePeriods | None = None,
                        windows: Window | Sequence[Window] = (6, 12), match: bool | None = None,
                        bootstrap: int = 2000, seed: int = 1) -> PeriodComparison:
        """Every headline figure of two periods' clients side by side, with the change: the
        naive before/after and, with a comparison pool, the matched DiD beside it (see
        ``socialrx.trends.compare_periods``)."""
        return compare_periods(self, first, second, periods=periods, windows=windows, match=match,
                               bootstrap=bootstrap, seed=seed)

    @property
    def _event_columns(self) -> dict[str, np.ndarray] | None:
        """The events' person_id, date (int32 days) and kind, one row per counted use;
        datetime64 dates are kept as they come and turned into days (and checked) when first
        needed as days."""
        if self._events_checked is None:
            return None
        return self._counted({**self._events_checked, "date": self._event_dates_as_days()})

    def _event_dates_as_days(self) -> np.ndarray:
        """The events' dates as days, one per row of the table as given."""
        if self._event_days is None:
            self._event_days = as_days(self._require("events")["date"], "events", "date", required=True)
        return self._event_days

    def _counted_event_columns(self, checked: dict[str, np.ndarray]) -> dict[str, Any]:
        """The ``checked`` events as the utilisation counts take them: datetime64 dates as ticks,
        which the counting turns into days as the events pass, unless days are made already.
        The ticks' range is checked first, since the counting does not check it."""
        if self._event_days is not None or self._event_ticks is None:
            return self._counted({**checked, "date": self._event_dates_as_days()})
        ticks, per_day = self._event_ticks
        if not self._ticks_checked:
            check_tick_range(ticks, per_day, "events", "date")
            self._ticks_checked = True
        counted = self._counted({**checked, "date_ticks": ticks})
        return {**counted, "date": np.empty(0, np.int32), "ticks_per_day": per_day}

    def _counted(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The event columns with each row repeated ``count`` times (rows of count 0 dropped),
        so that every engine counts what the rows stand for; as they are without a count."""
        if self._event_count is None:
            return columns
        if self._expanded is None:
            self._expanded = {}
        for name, column in columns.items():
            if name not in self._expanded:
                self._expanded[name] = np.repeat(column, self._event_count)
        return {name: self._expanded[name] for name in columns}

    def _comparison_ids(self) -> np.ndarray:
        if self.comparison is None:
            return np.empty(0, np.int64)
        column = next((c for c in ("patient_id", "person_id") if c in self.comparison.columns), None)
        if column is None:
            raise ValueError("comparison: missing column patient_id")
        return as_ids(self.comparison[column], "comparison", column)

    def _data_range(self, data_start: Any, data_end: Any) -> tuple[int | None, int | None]:
        needs_dates = self._events_checked is not None and (data_start is None or data_end is None)
        dates = self._event_dates_as_days() if needs_dates else np.empty(0, np.int32)
        have_events = len(dates) > 0
        start = as_day(data_start, "data_start", self.date_format) if data_start is not None else (
            int(dates.min()) if have_events else None)
        end = as_day(data_end, "data_end", self.date_format) if data_end is not None else (
            int(dates.max()) if have_events else None)
        if start is not None and end is not None and end < start:
            raise ValueError("data_end: is before data_start")
        return start, end

    # ----------------------------------------------------------------- groupings
    def _age_at_referral(self) -> np.ndarray:
        frame = self.clients
        if "age" in frame:
            return pd.to_numeric(frame["age"], errors="coerce").to_numpy(dtype=float)
        if "birth_year" in frame:
            referral_year = pd.to_datetime(
                self._client_columns["referral_date"].astype("int64"), unit="D").year
            return referral_year.to_numpy() - pd.to_numeric(frame["birth_year"], errors="coerce").to_numpy(dtype=float)
        raise ValueError("clients: age bands need a column age or birth_year")

    def _grouping(self, by: str | None, *, date_column: str = "index_date",
                  periods: ServicePeriods | None = None) -> pd.Series:
        """The labels of a grouping: a period of ``date_column`` (see ``socialrx.periods``), a
        clients column, or one derived from age."""
        if is_period_grouping(by, periods):
            return period_labels(self._client_columns[date_column], by=by, periods=periods)
        if by == "referral_month":
            return period_labels(self._client_columns["referral_date"], by="month")
        if by == "age_band":
            age = self._age_at_referral()
            if np.isnan(age).any():
                raise ValueError(f"clients.age row {int(np.flatnonzero(np.isnan(age))[0])}: missing age")
            band = np.searchsorted([16, 24, 64], age, side="right")
            return pd.Series(np.array(AGE_BANDS, dtype=object)[band], dtype="string")
        if by is None or by not in self.clients.columns:
            raise ValueError(
                f"by: {by!r} is neither a clients column ({', '.join(map(str, self.clients.columns))}) "
                f"nor one of {', '.join(DERIVED_GROUPINGS)}")
        return self.clients[by]

    def _group_codes(self, by: str | None, *, periods: ServicePeriods | None = None,
                     **options: Any) -> tuple[np.ndarray, list[str]]:
        if by is None and periods is None:
            return np.empty(0, np.int32), ["all"]
        labels = self._grouping(by, periods=periods, **options)
        # Periods in date order, empty ones kept; a clients column (a categorical too once its
        # codes are normalised) in sorted order, whatever its row order.
        if is_period_grouping(by, periods) or by == "referral_month":
            return as_codes(labels, "clients", grouping_name(by, periods) or "")
        column = str(by)
        if by == "age_band":
            present = [band for band in AGE_BANDS if (labels == band).any()]
            return as_codes(labels, "clients", column, present)
        return as_codes(labels.astype("string"), "clients", column)

    # ----------------------------------------------------------------- reach
    def reach(self, by: str | None = None, *, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Referrals and how many connected (have an index date).

        ``by``: a clients column (``practice``, ``referral_source``, ``sex``, ...), or
        ``"financial_year"``, ``"quarter"``, ``"month"`` (``"referral_month"``: the same as
        ``"month"``), ``"age_band"``, or ``"referral_reasons"`` (a client counts once under each
        of its reasons); or service ``periods=[(label, start, end), ...]`` (column ``period``).
        Periods go by the referral date, named in ``attrs["period_rule"]``
        (see ``socialrx.periods``).
        Columns: [by], ``referred``, ``connected``, ``pct_connected``.
        """
        index_date = self._client_columns["index_date"]
        if by == "referral_reasons":
            mask, labels = self._reason_sets()
            counts = _core.reach_by_reason(index_date, mask, len(labels))
        else:
            codes, labels = self._group_codes(by, date_column="referral_date", periods=periods)
            if by is None and periods is None:
                codes = np.zeros(len(index_date), np.int32)
            counts = _core.reach_by_group(index_date, codes, len(labels))
        frame = pd.DataFrame({grouping_name(by, periods) or "group": labels, "referred": counts["referred"],
                              "connected": counts["connected"]})
        frame["pct_connected"] = 100.0 * per_client(frame["connected"], frame["referred"])
        return with_rule(frame, "reach", by, periods)

    def _reason_sets(self) -> tuple[np.ndarray, list[str]]:
        require_columns(self.clients, "clients", ["referral_reasons"])
        split = self.clients["referral_reasons"].fillna("").astype(str).str.split(";")
        reasons = split.apply(lambda parts: [p.strip() for p in parts if p.strip()])
        labels = sorted({reason for row in reasons for reason in row})
        if len(labels) > 64:
            raise ValueError("clients.referral_reasons: more than 64 distinct reasons")
        bit = {label: np.uint64(1) << np.uint64(i) for i, label in enumerate(labels)}
        mask = np.array([np.bitwise_or.reduce([bit[r] for r in row], initial=np.uint64(0)) for row in reasons],
                        dtype=np.uint64)
        return mask, labels

    def reason_co_occurrence(self) -> pd.DataFrame:
        """Clients referred for both of two reasons (the diagonal: for that reason at all)."""
        mask, labels = self._reason_sets()
        both = _core.reason_co_occurrence(mask, len(labels)).reshape(len(labels), len(labels))
        return pd.DataFrame(both, index=pd.Index(labels, name="reason"), columns=labels)

    # ----------------------------------------------------------------- outcomes
    def outcomes(self, framework: str = "dudley7", *, by: str | None = None,
                 periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Per outcome domain, over clients rated at baseline and follow-up (see
        ``socialrx.outcomes.domain_outcomes`` for the columns); per period of the index date
        with ``by="financial_year" | "quarter" | "month"`` or service ``periods``."""
        assessments = self._require("assessments")
        if by is None and periods is None:
            return domain_outcomes(assessments, client_ids=self._client_columns["client_id"], framework=framework)
        return self._per_period("outcomes", by, periods, lambda rows, ids: domain_outcomes(
            assessments[rows].reset_index(drop=True), client_ids=ids, framework=framework))

    def wellbeing(self, *, by: str | None = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """SWEMWBS and ONS4 before and after (see ``socialrx.outcomes.wellbeing``); per period
        of the index date as :meth:`outcomes`."""
        assessments = self._require("assessments")
        if by is None and periods is None:
            return wellbeing(assessments)
        return self._per_period("wellbeing", by, periods, lambda rows, ids: wellbeing(
            assessments[rows].reset_index(drop=True), client_ids=ids))

    def _per_period(self, figure: str, by: str | None, periods: ServicePeriods | None,
                    compute: PeriodFigure) -> pd.DataFrame:
        """``compute(assessment rows, client ids)`` per period of the index date (see
        ``socialrx.periods.by_period``)."""
        owners = as_ids(self._require("assessments")["client_id"], "assessments", "client_id")
        return by_period(self._grouping(by, periods=periods), self._client_columns["client_id"], owners, compute,
                         figure=figure, name=grouping_name(by, periods) or "")

    # ----------------------------------------------------------------- support and feedback
    def support(self, *, phb_cap_pence: int = 10_000, by: str | None = None,
                periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Support given: contacts, length of support, outward referrals, spend, personal
        health budgets against their cap (see ``socialrx.support.support_summary``); periods go
        by the index date (``attrs["period_rule"]``)."""
        clients, group = self._clients_grouped(by, periods)
        return with_rule(support_summary(self._require("interventions"), clients, phb_cap_pence=phb_cap_pence,
                                         group=group), "support", by, periods)

    def _clients_grouped(self, by: str | None, periods: ServicePeriods | None) -> tuple[pd.DataFrame, str | None]:
        """The clients and the grouping the support figures take: service periods as a column."""
        if periods is None:
            return self.clients, by
        labels = self._grouping(by, periods=periods).array  # categorical: the periods in date order
        return self.clients.assign(**{CUSTOM: labels}), CUSTOM

    def outward_referrals(self, by: Literal["sector", "organisation"] = "sector", *,
                          group: str | None = None) -> pd.DataFrame:
        """Outward referrals by ``"sector"`` or ``"organisation"``, with shares."""
        return outward_referrals(self._require("interventions"), self.clients, by=by, group=group)

    def spend(self, *, by: str | None = None) -> pd.DataFrame:
        """Spend per intervention kind in exact pence."""
        return spend(self._require("interventions"), self.clients, group=by)

    def phb_breaches(self, *, cap_pence: int = 10_000) -> pd.DataFrame:
        """Clients whose personal health budgets exceed the cap."""
        return phb_breaches(self._require("interventions"), self.clients, cap_pence=cap_pence)

    def phb_summary(self, *, by: str | None = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """What personal health budgets bought: items, clients and pence per ``category`` (see
        ``socialrx.support.phb_summary``); periods go by the client's index date."""
        clients, group = self._clients_grouped(by, periods)
        return with_rule(phb_summary(self._require("interventions"), clients, group=group), "support", by, periods)

    def income_gained(self, *, by: str | None = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Income clients gained from benefit awards: awards, clients and value a year per
        benefit; never counted as NHS cost avoided (see ``socialrx.support.income_gained``)."""
        clients, group = self._clients_grouped(by, periods)
        return with_rule(income_gained(self._require("interventions"), clients, group=group), "support", by, periods)

    # ----------------------------------------------------------------- funding
    def funding(self, *, by: FundingBy = "financial_year", periods: ServicePeriods | None = None) -> Funding:
        """The service cost per period and funder, grants spanning periods apportioned by days
        in exact pence, or per funder with ``by="funder"`` (see ``socialrx.funding``)."""
        if self.funding_table is None:
            raise ValueError("funding: this evaluation was given no funding table")
        return funding_by(self.funding_table, by=by, periods=periods)

    def cost_per_client(self, service_cost_pence: int | None = None, *, by: str | None = None,
                        periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Service cost / clients supported (connected), in whole pence; the cost is
        ``service_cost_pence`` or the funding table's, per period with ``by``/``periods`` (see
        ``socialrx.funding.cost_per_client``)."""
        return cost_per_client(self._client_columns["index_date"], service_cost_pence=service_cost_pence,
                               grants=self.funding_table, by=by, periods=periods)

    def feedback_summary(self, *, by: str | None = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Shares rating 4-5 stars, reporting an impact, connected to services, with the number
        who answered (see ``socialrx.support.feedback_summary``); periods go by the client's
        index date (``attrs["period_rule"]``)."""
        clients, group = self._clients_grouped(by, periods)
        return with_rule(feedback_summary(self._require("feedback"), clients, group=group), "feedback_summary",
                         by, periods)

    # ----------------------------------------------------------------- surveys and operations
    def survey_summary(self, survey: str | None = None) -> SurveySummary:
        """Per survey question, the share of respondents giving each answer, with n and the
        share in the top set ("good or excellent"); the feedback's ``most_valuable`` and
        ``comments`` are the ``client_feedback`` survey (see ``socialrx.surveys``)."""
        return survey_summary(self.surveys, feedback=self.feedback, definitions=self.survey_definitions,
                              survey=survey)

    def workforce(self, *, by: str | None = "month", periods: ServicePeriods | None = None) -> Workforce:
        """Open, new and closed cases and contacts per link worker per period (clients need
        ``link_worker``; see ``socialrx.operations.workforce``)."""
        return workforce(self.clients, self.interventions, by=by, periods=periods)

    def delivery(self, *, by: str | None = None, periods: ServicePeriods | None = None) -> Delivery:
        """Interventions and clients per kind and ``delivered_by`` (staff, volunteer, partner)."""
        return delivery(self._require("interventions"), by=by, periods=periods)

    def call_frequency(self, kind: str = "befriending_call") -> CallFrequency:
        """Calls of ``kind`` per client per week (see ``socialrx.operations.call_frequency``)."""
        return call_frequency(self._require("interventions"), kind=kind)

    def meetings(self, *, by: str | None = "month", periods: ServicePeriods | None = None) -> Meetings:
        """Meetings (MDT, complex case review) per period: how many, organisations per meeting and
        clients discussed (see ``socialrx.operations.meetings``)."""
        if self.meetings_table is None:
            raise ValueError("meetings: this evaluation was given no meetings table")
        return meetings(self.meetings_table, by=by, periods=periods)

    # ----------------------------------------------------------------- practices
    def practices(self, window: Window = 12, match: Match | None = None, *, groups: GroupsOption = None,
                  bootstrap: int = 2000, level: float = 0.95, seed: int = 1) -> PracticesResult:
        """Per practice: referrals, connected and in-window clients, use before and after per
        kind, cost avoided (naive; matched DiD with ``match``) and ranks; ``.summary()`` says
        how many practices had fewer of each kind and which avoided the most (see
        ``socialrx.practices.practices``)."""
        with self._in_users_terms():
            return practices(self, window=window, match=match, groups=groups, bootstrap=bootstrap, level=level,
                             seed=seed)

    # ----------------------------------------------------------------- matched comparison
    def match(self, *, covariates: Sequence[str] | None = None, k: int = 1, caliper: float | None = 0.2,
              replace: bool = False, exact: Sequence[str] = (), seed: int = 1, lookback_months: int = 12,
              diagnoses: Any = None) -> Match:
        """Match connected clients to comparison patients on the propensity score (1:k nearest
        neighbours on its logit within ``caliper`` SDs); ``.balance()``, ``.matches()``,
        ``.unmatched()`` and ``.did()`` on the result. See ``socialrx.matching.match``."""
        with self._in_users_terms():
            return match(self, covariates=covariates, k=k, caliper=caliper, replace=replace, exact=exact,
                         seed=seed, lookback_months=lookback_months, diagnoses=diagnoses, threads=self.threads)

    def data_quality(self) -> DataQuality:
        """What was read, per table and column: rows, missing values, unknown and normalised
        codes, repeated ids, date ranges, events outside the data range and linkage; see
        ``socialrx.quality.data_quality``."""
        return data_quality(self)

    # ----------------------------------------------------------------- equity of access
    def equity(self, *, by: str = "imd_quintile", population: Any, stage: str = "referred", per: int = 1000,
               level: float = 0.95) -> EquityResult:
        """Who is reached against who is registered: crude and age-sex standardised rates of a
        pathway stage per group, rate ratios, SII and RII, conversion between stages; see
        ``socialrx.equity.equity``."""
        return equity(self, by=by, population=population, stage=stage, per=per, level=level)

    def equity_effects(self, *, by: str = "imd_quintile", match: Match | None = None,
                       windows: Sequence[Window] = (12,), bootstrap: int = 500, seed: int = 1,
                       level: float = 0.95) -> pd.DataFrame:
        """Outcome changes and the matched DiD per group; see ``socialrx.equity.equity_effects``."""
        return equity_effects(self, by=by, match=match, windows=windows, bootstrap=bootstrap, seed=seed,
                              level=level)

    # ----------------------------------------------------------------- report
    def report(self, path: Any, **options: Any) -> Any:
        """Write the evaluation report: one self-contained HTML file with every table and figure,
        the naive before/after beside the matched comparison, disclosure control applied.
        Options as ``socialrx.report.write_report``; returns the path(s) written."""
        from .report import write_report

        return write_report(self, path, **options)

    def _require(self, table: str) -> pd.DataFrame:
        frame = getattr(self, table)
        if frame is None:
            raise ValueError(f"{table}: this evaluation was given no {table} table")
        return frame

    # ----------------------------------------------------------------- utilisation
    def _counts(self, specs: list[WindowSpec], by: str | None,
                periods: ServicePeriods | None = None) -> tuple[Any, list[str]]:
        checked = self._events_checked
        if checked is None:
            raise ValueError("events: this evaluation was given no events table")
        if self.data_start is None or self.data_end is None:
            raise ValueError("data_start/data_end: needed to decide which windows the data cover")
        key = (tuple(s.days for s in specs), by, cache_key(periods))
        if key not in self._utilisation_cache:
            codes, labels = self._group_codes(by, periods=periods)
            cc = self._client_columns
            with self._in_users_terms():
                result = _core.count_utilisation(
                    client_id=cc["client_id"], referral_date=cc["referral_date"], index_date=cc["index_date"],
                    discharge_date=cc["discharge_date"], group=codes, groups=len(labels),
                    other_ids=self._comparison_ids(), **self._counted_event_columns(checked),
                    data_start=self.data_start, data_end=self.data_end, windows=list(key[0]), threads=self.threads)
            self._utilisation_cache[key] = (result, labels)
        return self._utilisation_cache[key]

    def _per_person(self, count: Callable[[dict[str, np.ndarray], int], Counted], threads: int) -> Counted:
        """``count(event columns, threads)``: per-person counts (for matching and the DiD) over
        every event at once. A partitioned evaluation runs it over each part of its events and
        adds the parts' results (their ``add_events``)."""
        columns = self.event_columns
        if columns is None:
            raise ValueError("events: this evaluation was given no events table")
        return count(columns, threads)

    @staticmethod
    def _window_frame(specs: list[WindowSpec], by: str | None, counts: np.ndarray,
                      values: dict[str, np.ndarray], labels: list[str]) -> pd.DataFrame:
        """Long rows window x group x kind from [w][g][k] arrays, for the kinds with an event in
        some window (``counts`` is the engine's [w][g][k][side] array)."""
        kinds = np.flatnonzero(counts.sum(axis=(0, 1, 3)))
        w, g, k = (axis.ravel() for axis in np.meshgrid(np.arange(len(specs)), np.arange(len(labels)), kinds,
                                                          indexing="ij"))
        frame = pd.DataFrame({
            "window": [specs[i].label for i in w],
            "window_days": [specs[i].days for i in w],
        })
        if by is not None:
            frame[by] = np.array(labels, dtype=object)[g]
        frame["kind"] = np.array(EVENT_KINDS, dtype=object)[k]
        for name, array in values.items():
            frame[name] = array[w, g, k] if array.ndim == 3 else array[w, g]
        return frame

    def utilisation(self, windows: Window | Sequence[Window] = (6, 12), by: str | None = None, *,
                    groups: GroupsOption = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """Health-service use in windows before and after the index date, per event kind (the
        kinds with an event in some window). ``by`` and ``periods`` as :meth:`cost_avoidance`;
        periods go by the index date (``attrs["period_rule"]``).

        ``groups``: ``True`` adds a row per group of kinds (shipped ``inpatient``, ``gp``,
        ``hospital`` and the evaluation's ``kind_groups``) after the kinds, ``kind`` its name,
        its counts the sums of its kinds'; or a mapping ``{"name": [kind, ...]}`` of its own.

        Columns: ``window`` ("6m", or "90d"), ``window_days``, [by], ``kind``, ``clients``
        (included in the window), ``pre``, ``post``, ``change`` (post - pre), ``pct_change``
        (100 x change / pre; NaN when pre is 0), ``pre_per_client``, ``post_per_client``.
        Who was left out and why: :meth:`exclusions`.
        """
        specs = parse_windows(windows)
        result, labels = self._counts(specs, by, periods)
        counts = result.counts
        name = grouping_name(by, periods)
        frame = self._window_frame(specs, name, counts, {
            "clients": result.clients_included, "pre": counts[..., 0], "post": counts[..., 1]}, labels)
        frame = self._with_groups(frame, groups, name, ["pre", "post"])
        frame["change"] = frame["post"] - frame["pre"]
        frame["pct_change"] = percent_change(frame["pre"], frame["post"])
        frame["pre_per_client"] = per_client(frame["pre"], frame["clients"])
        frame["post_per_client"] = per_client(frame["post"], frame["clients"])
        return with_rule(frame, "utilisation", by, periods)

    def _with_groups(self, frame: pd.DataFrame, groups: GroupsOption, by: str | None,
                     sums: list[str]) -> pd.DataFrame:
        """A figure's frame with its group rows (see ``socialrx.kind_groups.with_group_rows``)."""
        keys = ["window", "window_days", *([by] if by is not None else [])]
        return with_group_rows(frame, resolve_groups(groups, self.kind_groups), keys=keys, sums=sums)

    def exclusions(self, windows: Window | Sequence[Window] = (6, 12)) -> pd.DataFrame:
        """Every client and event left out of each window, by reason (nothing is dropped silently).

        Columns: ``window``, ``table`` (clients / events), ``reason``, ``count``.
        """
        specs = parse_windows(windows)
        result, _ = self._counts(specs, None)
        rows = []
        for i, spec in enumerate(specs):
            included = int(result.clients_included[i].sum())
            rows.append((spec.label, "clients", "included", included))
            for reason, counts in result.excluded.items():
                rows.append((spec.label, "clients", reason, int(counts[i])))
            for reason, counts in result.window_events.items():
                rows.append((spec.label, "events", reason, int(counts[i])))
            rows += [
                (spec.label, "events", "outside_data_range", result.events_outside_data),
                (spec.label, "events", "of_unconnected_clients", result.events_of_unconnected),
                (spec.label, "events", "of_comparison_patients", result.events_of_other_people),
            ]
            zero = self._rows_of_count_0(result)
            if zero is not None:
                rows.append((spec.label, "events", "rows_of_count_0", zero))
        return pd.DataFrame(rows, columns=["window", "table", "reason", "count"])

    def _rows_of_count_0(self, result: Any) -> int | None:
        """The events rows of ``count`` 0 behind ``result`` (None: the events have no count);
        ``socialrx.partitioned`` reads it from its merged counts."""
        return None if self._event_count is None else self.events_with_count_zero

    # ----------------------------------------------------------------- cost
    @staticmethod
    def _avoided(result: Any, tariff: Any) -> tuple[np.ndarray, np.ndarray]:
        """(pence, priced) [window][group][kind] of the counts ``result`` (``socialrx.partitioned``
        prices its merged counts)."""
        avoided: tuple[np.ndarray, np.ndarray] = _core.cost_avoidance(result, tariff).avoided
        return avoided

    def _require_tariff(self) -> Any:
        if self.tariff is None:
            raise ValueError("tariff: cost figures need a tariff (a JSON path, a dict or 'example')")
        return self.tariff

    def cost_avoidance(self, windows: Window | Sequence[Window] = (6, 12), by: str | None = None, *,
                       groups: GroupsOption = None, periods: ServicePeriods | None = None) -> pd.DataFrame:
        """(pre - post) x unit cost per kind, in exact pence; negative where use rose.

        ``by``: None, ``"practice"``, ``"locality"`` or any grouping :meth:`reach` takes, or
        service ``periods=[(label, start, end), ...]`` (column ``period``); periods go by the
        index date, named in ``attrs["period_rule"]`` (see ``socialrx.periods``).
        Columns: ``window``, ``window_days``, [by], ``kind``, ``clients``, ``pre``, ``post``,
        ``unit_cost_pence`` and ``avoided_pence`` (both <NA> for kinds the tariff does not price).
        ``groups`` as :meth:`utilisation`: a group's ``avoided_pence`` is the sum over its priced
        kinds (<NA> where none is priced) and its ``unit_cost_pence`` <NA>.
        """
        tariff = self._require_tariff()
        specs = parse_windows(windows)
        result, labels = self._counts(specs, by, periods)
        avoided, priced = self._avoided(result, tariff)
        unit = np.zeros(len(EVENT_KINDS), np.int64)
        for kind, (pence, _) in tariff.unit_costs.items():
            unit[EVENT_KINDS.index(kind)] = pence
        counts = result.counts
        name = grouping_name(by, periods)
        frame = self._window_frame(specs, name, counts, {
            "clients": result.clients_included, "pre": counts[..., 0], "post": counts[..., 1],
            "avoided_pence": avoided, "priced": priced}, labels)
        is_priced = frame.pop("priced").to_numpy(bool)
        unit_cost = unit[[EVENT_KINDS.index(k) for k in frame["kind"]]]
        frame["unit_cost_pence"] = pd.array(np.where(is_priced, unit_cost, 0), dtype="Int64")
        frame.loc[~is_priced, "unit_cost_pence"] = pd.NA
        frame["avoided_pence"] = pd.array(frame["avoided_pence"].to_numpy(), dtype="Int64")
        frame.loc[~is_priced, "avoided_pence"] = pd.NA
        frame = self._with_groups(frame, groups, name, ["pre", "post", "avoided_pence"])
        frame.loc[~frame["kind"].isin(EVENT_KINDS), "unit_cost_pence"] = pd.NA
        return with_rule(frame[[c for c in frame.columns if c != "avoided_pence"] + ["avoided_pence"]],
                         "cost_avoidance", by, periods)

    def net_saving(self, service_cost_pence: int | float | None = None, *, window: Window = 12,
                   patients: int | None = None) -> pd.Series:
        """Gross cost avoidance, the service's cost and the net saving, in pence.

        The service cost is ``service_cost_pence`` or, without it, the funding table's total.
        ``patients`` defaults to the clients included in ``window``. Per-patient figures are
        rounded half away from zero to whole pence; ``service_cost_per_patient_pence`` is the
        cost per client of :meth:`cost_per_client` over these patients. Income clients gained
        (:meth:`income_gained`) is not NHS cost avoided and is never in it.
        """
        service_cost_pence = service_cost(service_cost_pence, self.funding_table)
        spec = parse_windows(window)
        table = self.cost_avoidance(spec[0].label if spec[0].months is None else spec[0].months)
        gross = int(table["avoided_pence"].sum())
        included = int(table["clients"].iloc[0]) if len(table) else 0
        count = included if patients is None else int(patients)
        saving = _core.net_saving(gross, int(service_cost_pence), count)
        return pd.Series({
            "window": spec[0].label,
            "gross_pence": saving.gross,
            "service_cost_pence": saving.service_cost,
            "net_pence": saving.net,
            "patients": saving.patients,
            "gross_per_patient_pence": saving.gross_per_patient,
            "net_per_patient_pence": saving.net_per_patient,
            "service_cost_per_patient_pence": pence_per(saving.service_cost, saving.patients),
        }, name="net_saving", dtype=object)

    def tariff_table(self) -> pd.DataFrame:
        """The unit costs in use, with their sources and price year."""
        return tariff_table(self._require_tariff())

    # ----------------------------------------------------------------- display
    def _repr_html_(self) -> str:
        reach = self.reach()
        rows = [
            ("referred", int(reach["referred"].sum())),
            ("connected", int(reach["connected"].sum())),
            ("events", self._events_shown()),
            ("comparison patients", 0 if self.comparison is None else len(self.comparison)),
            ("data", f"{_iso(self.data_start)} to {_iso(self.data_end)}"),
            ("tariff", "none" if self.tariff is None else f"{self.tariff.name} ({self.tariff.price_year})"),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>socialrx Evaluation</caption>{body}</table>"

    def _events_shown(self) -> int | str:
        """The events as the display shows them: the rows held (``socialrx.partitioned`` holds none)."""
        return 0 if self.events is None else len(self.events)

    def __repr__(self) -> str:
        reach = self.reach()
        return (f"Evaluation({int(reach['referred'].sum())} referred, {int(reach['connected'].sum())} connected, "
                f"data {_iso(self.data_start)} to {_iso(self.data_end)})")


def _event_counts(values: pd.Series) -> np.ndarray:
    """The events' ``count`` column: whole numbers >= 0; a missing, negative or fractional count
    is an error naming the row."""
    counts, missing = exact_integers(values, "events", "count", "count")
    bad = missing | (counts < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"events.count row {row}: {shown(values.iloc[row])} is not a count (a whole number >= 0)")
    return counts


def _on_disk(events: Any) -> bool:
    """Events named by a path, or given as a pyarrow dataset (never one unless that module is
    loaded), rather than as a table."""
    dataset = sys.modules.get("pyarrow.dataset")
    return isinstance(events, (str, os.PathLike)) or (dataset is not None and isinstance(events, dataset.Dataset))


def _dated_within(frame: pd.DataFrame | None, span: Period | None) -> pd.DataFrame | None:
    """The rows of a table of dated records (survey answers, meetings) within a period's days;
    None where there are none, or the period is no span of days."""
    if frame is None or span is None:
        return None
    days = frame["date"].to_numpy("datetime64[D]").astype(np.int64)
    within = (days >= span.start) & (days <= span.end)
    return frame[within].reset_index(drop=True) if within.any() else None


def _as_date(day: int | None) -> np.datetime64 | None:
    return None if day is None else np.datetime64(int(day), "D")


def _iso(day: int | None) -> str:
    return "?" if day is None else str(np.datetime64(int(day), "D"))
