"""Helpers shared by the test files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from socialrx.partitioned import NOT_PARTITIONED


def assert_same_result(got: Any, expected: Any, name: str = "result") -> None:
    """Two results of an Evaluation method exactly equal: frames, series and arrays cell for
    cell with their dtypes, result objects attribute by attribute, anything else by ``==``."""
    assert type(got) is type(expected), f"{name}: {type(got).__name__} against {type(expected).__name__}"
    if isinstance(got, pd.DataFrame):
        pd.testing.assert_frame_equal(got, expected, obj=name)
        assert_same_result(got.attrs, expected.attrs, f"{name}.attrs")
    elif isinstance(got, pd.Series):
        pd.testing.assert_series_equal(got, expected, obj=name)
    elif isinstance(got, np.ndarray):
        np.testing.assert_array_equal(got, expected, err_msg=name)
    elif isinstance(got, dict):
        assert list(got) == list(expected), name
        for key in got:
            assert_same_result(got[key], expected[key], f"{name}[{key!r}]")
    elif dataclasses.is_dataclass(got) and not isinstance(got, type):
        assert_same_result({f.name: getattr(got, f.name) for f in dataclasses.fields(got)},
                           {f.name: getattr(expected, f.name) for f in dataclasses.fields(expected)}, name)
    elif hasattr(got, "__dict__"):
        assert_same_result(vars(got), vars(expected), name)
    else:
        assert got == expected, name


# The public methods of socialrx.Evaluation a partitioned evaluation (socialrx.dask, socialrx.spark)
# answers, beyond the headline figures each test file checks itself: what it cannot answer is
# assert_not_partitioned's; matching has tests of its own.
FIGURES: dict[str, Callable[[Any], Any]] = {
    "outcomes by year": lambda ev: ev.outcomes(by="financial_year"),
    "wellbeing by year": lambda ev: ev.wellbeing(by="financial_year"),
    "support by practice": lambda ev: ev.support(by="practice"),
    "outward_referrals": lambda ev: ev.outward_referrals(),
    "phb_breaches": lambda ev: ev.phb_breaches(),
    "phb_summary": lambda ev: ev.phb_summary(by="financial_year"),
    "income_gained": lambda ev: ev.income_gained(),
    "funding": lambda ev: ev.funding(),
    "cost_per_client": lambda ev: ev.cost_per_client(by="financial_year"),
    "survey_summary": lambda ev: ev.survey_summary(),
    "workforce": lambda ev: ev.workforce(),
    "delivery": lambda ev: ev.delivery(),
    "call_frequency": lambda ev: ev.call_frequency(),
    "meetings": lambda ev: ev.meetings(),
    "reason_co_occurrence": lambda ev: ev.reason_co_occurrence(),
    "reporting_periods": lambda ev: ev.reporting_periods(),
    "trend of referrals": lambda ev: ev.trend("referrals", by="quarter", last=2),
    "equity_effects": lambda ev: ev.equity_effects(),
    "practices": lambda ev: ev.practices(groups=True),
    "utilisation with groups": lambda ev: ev.utilisation(12, by="locality", groups=True),
    "net_saving from funding": lambda ev: ev.net_saving(),
    "tariff_table": lambda ev: ev.tariff_table(),
    "events_with_count_zero": lambda ev: ev.events_with_count_zero,
    "repr": repr,
}


def assert_not_partitioned(evaluation: Any) -> None:
    """Each method a partitioned evaluation cannot answer raises NotImplementedError naming it."""
    calls = {"event_columns": lambda: evaluation.event_columns,
             "for_period": lambda: evaluation.for_period("2022/23"),
             "compare_periods": lambda: evaluation.compare_periods("2021/22", "2022/23"),
             "data_quality": evaluation.data_quality, "report": lambda: evaluation.report("report.html"),
             "trend": lambda: evaluation.trend("ae_attendance")}
    assert set(calls) == set(NOT_PARTITIONED)
    for name, call in calls.items():
        with pytest.raises(NotImplementedError, match=rf"^{name}: not available on a partitioned evaluation; "):
            call()
