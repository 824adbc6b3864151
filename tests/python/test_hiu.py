"""High-intensity-user rules exactly on the window edges."""

from __future__ import annotations

import pandas as pd
import pytest

from socialrx.risk.hiu import HIU_PRESETS, hiu

DAY0 = pd.Timestamp("2023-01-01")


def events(rows: list[tuple[int, int]], kind: str = "ae_attendance") -> pd.DataFrame:
    return pd.DataFrame({"person_id": [p for p, _ in rows],
                         "date": [DAY0 + pd.Timedelta(days=d) for _, d in rows], "kind": kind})


def test_five_in_365_days_inclusive_edges() -> None:
    # Person 1: days 0..364 (first and last in one 365-day window); person 2: days 0..365.
    rows = [(1, d) for d in (364, 0, 100, 200, 300)] + [(2, d) for d in (0, 100, 200, 300, 365)]
    out = hiu(events(rows), "ae_5_in_365")
    assert out.columns.tolist() == ["person_id", "attendances", "qualifies", "first_qualifying_date"]
    assert out["attendances"].tolist() == [5, 4]
    assert out["qualifies"].tolist() == [True, False]
    assert out["first_qualifying_date"][0] == DAY0 + pd.Timedelta(days=364)
    assert pd.isna(out["first_qualifying_date"][1])


def test_nhse_month_and_year() -> None:
    assert HIU_PRESETS["nhse_month"] == ("ae_attendance", 6, 30)
    assert HIU_PRESETS["nhse_year"] == ("ae_attendance", 21, 365)
    month = [(1, d) for d in (0, 5, 10, 15, 20, 29)] + [(2, d) for d in (0, 5, 10, 15, 20, 30)]
    assert hiu(events(month), "nhse_month")["qualifies"].tolist() == [True, False]
    year = [(1, d * 18) for d in range(21)] + [(2, d) for d in range(20)]
    out = hiu(events(year), "nhse_year")
    assert out["qualifies"].tolist() == [True, False]
    assert out["first_qualifying_date"][0] == DAY0 + pd.Timedelta(days=360)


def test_custom_rule_people_order_and_counts() -> None:
    ev = pd.concat([events([(5, 0), (5, 1), (5, 1)]), events([(5, 1)], kind="gp_surgery")])
    out = hiu(ev, {"kind": "ae_attendance", "more_than": 2, "window_days": 2}, people=[9, 5])
    assert out["person_id"].tolist() == [9, 5]
    assert out["attendances"].tolist() == [0, 3]
    assert out["qualifies"].tolist() == [False, True]
    assert out.attrs["events_of_kind"] == 3 and out.attrs["events_of_other_kinds"] == 1
    out = hiu(ev, {"at_least": 3, "window_days": 1})
    assert out["attendances"].tolist() == [2]  # days 0 and 1 are two 1-day windows


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown preset 'nhse_week'"):
        hiu(events([(1, 0)]), "nhse_week")
    with pytest.raises(ValueError, match="at_least and more_than"):
        hiu(events([(1, 0)]), {"window_days": 30})
    with pytest.raises(ValueError, match=r"events.person_id row 1: id 2 is not among the people"):
        hiu(events([(1, 0), (2, 0)]), people=[1])
    with pytest.raises(ValueError, match=r"events.kind row 0: unknown value 'a_and_e'"):
        hiu(events([(1, 0)], kind="a_and_e"))
    with pytest.raises(ValueError, match=r"unknown event kind 'walk_in'"):
        hiu(events([(1, 0)]), {"kind": "walk_in", "at_least": 1, "window_days": 1})
