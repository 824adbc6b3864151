"""Evaluation figures on small tables worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socialrx

TARIFF = {
    "name": "hand",
    "price_year": "2023/24",
    "unit_costs": {
        "ae_attendance": {"pence": 14000, "source": "hand A&E"},
        "emergency_admission": {"pence": 187850, "source": "hand admission"},
    },
}


def clients() -> pd.DataFrame:
    # Client 1 (index 2022-03-10) and 2 (2022-06-01) are covered by both windows; client 3 never
    # connected; client 4's 12-month window runs past the data (index 2023-06-01).
    return pd.DataFrame({
        "client_id": [1, 2, 3, 4],
        "referral_date": ["2022-03-01", "2022-05-20", "2022-06-01", "2023-05-01"],
        "index_date": ["2022-03-10", "2022-06-01", None, "2023-06-01"],
        "practice": ["A", "B", "B", "A"],
        "referral_source": ["gp", "mdt", "gp", "self"],
        "referral_reasons": ["isolation;depression_anxiety", "isolation", "finance", "isolation;finance"],
        "birth_year": [1950, 1990, 2005, 1940],
        "status": ["connected", "connected", "declined", "connected"],
    })


def events() -> pd.DataFrame:
    rows = [
        (1, "2021-03-10", "ae_attendance"),   # 365 days before index 1: in the 12m window
        (1, "2021-03-09", "ae_attendance"),   # 366 days before: outside
        (1, "2021-12-01", "ae_attendance"),   # pre in both windows (99 days)
        (1, "2022-03-10", "ae_attendance"),   # the index day itself
        (1, "2022-05-01", "emergency_admission"),  # post in both
        (2, "2022-01-01", "ae_attendance"),   # pre 12m only (151 days)
        (2, "2022-02-01", "ae_attendance"),   # pre both (120 days)
        (2, "2022-03-01", "emergency_admission"),  # pre both
        (2, "2023-06-01", "ae_attendance"),   # 365 days after: post 12m
        (3, "2022-07-01", "ae_attendance"),   # never connected
        (4, "2023-07-01", "ae_attendance"),   # client 4: post 6m only
        (4, "2023-05-01", "gp_surgery"),      # client 4: pre 6m, unpriced kind
        (99, "2022-01-01", "ae_attendance"),  # comparison patient
        (1, "2030-01-01", "ae_attendance"),   # beyond the data
    ]
    return pd.DataFrame(rows, columns=["person_id", "date", "kind"])


def evaluation(**changes) -> socialrx.Evaluation:
    arguments = dict(clients=clients(), events=events(), comparison=pd.DataFrame({"patient_id": [99]}),
                     tariff=TARIFF, data_start="2020-04-01", data_end="2024-03-31")
    arguments.update(changes)
    return socialrx.Evaluation(**arguments)


def row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(frame), bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


def test_reach_counts_referred_and_connected_by_group():
    ev = evaluation()
    total = ev.reach()
    assert total[["referred", "connected"]].iloc[0].tolist() == [4, 3]
    by_practice = ev.reach(by="practice")
    assert row(by_practice, practice="B")[["referred", "connected"]].tolist() == [2, 1]
    assert row(by_practice, practice="B")["pct_connected"] == 50.0
    by_reason = ev.reach(by="referral_reasons")
    assert row(by_reason, referral_reasons="isolation")[["referred", "connected"]].tolist() == [3, 3]
    assert row(by_reason, referral_reasons="finance")[["referred", "connected"]].tolist() == [2, 1]
    ages = ev.reach(by="age_band")
    assert dict(zip(ages["age_band"], ages["referred"])) == {"16-23": 1, "24-63": 1, "64+": 2}
    years = ev.reach(by="financial_year")
    assert dict(zip(years["financial_year"], years["referred"])) == {"2021/22": 1, "2022/23": 2, "2023/24": 1}


def test_groups_of_a_clients_column_sorted_whatever_the_row_order():
    # Practice codes are normalised into a categorical in the order they first appear (Z then A);
    # the groups still come out sorted, as the same clients in another order give them.
    frame = pd.DataFrame({"client_id": [1, 2, 3], "referral_date": ["2020-01-01"] * 3, "index_date": [None] * 3,
                          "practice": ["z1", "A1", "z1"]})
    assert socialrx.Evaluation(clients=frame).reach(by="practice")["practice"].tolist() == ["A1", "Z1"]


def test_reason_co_occurrence():
    both = socialrx.Evaluation(clients=clients()).reason_co_occurrence()
    assert both.loc["isolation", "depression_anxiety"] == 1
    assert both.loc["isolation", "finance"] == 1
    assert both.loc["isolation", "isolation"] == 3


def test_utilisation_windows_and_censoring():
    table = evaluation().utilisation(windows=(6, 12))
    ae6 = row(table, window="6m", kind="ae_attendance")
    # 6m: clients 1, 2, 4. pre: c1 2021-12-01, c2 two (Feb) -> wait: c2 2022-01-01 is 151 days: in.
    assert ae6["clients"] == 3
    assert ae6["pre"] == 3   # c1 Dec; c2 Jan and Feb
    assert ae6["post"] == 1  # c4 July 2023
    assert ae6["pct_change"] == pytest.approx(-200 / 3)
    ae12 = row(table, window="12m", kind="ae_attendance")
    assert ae12["clients"] == 2  # client 4's window ends after the data
    assert ae12["pre"] == 4      # c1 2021-03-10 (edge) and Dec; c2 Jan and Feb
    assert ae12["post"] == 1     # c2 2023-06-01 (edge)
    assert ae12["pre_per_client"] == 2.0
    admissions = row(table, window="12m", kind="emergency_admission")
    assert (admissions["pre"], admissions["post"], admissions["pct_change"]) == (1, 1, 0.0)


def test_pct_change_is_undefined_without_pre_events():
    table = evaluation(events=pd.DataFrame({"person_id": [1], "date": ["2022-04-01"], "kind": ["gp_surgery"]}),
                       data_start="2020-04-01").utilisation(windows=6)
    assert np.isnan(row(table, kind="gp_surgery")["pct_change"])


def test_every_exclusion_is_counted():
    table = evaluation().exclusions(windows=12)
    counts = {(t, r): c for t, r, c in zip(table["table"], table["reason"], table["count"])}
    assert counts[("clients", "included")] == 2
    assert counts[("clients", "not_connected")] == 1
    assert counts[("clients", "ends_after_data")] == 1
    assert counts[("events", "on_index_day")] == 1
    assert counts[("events", "outside_window")] == 1
    assert counts[("events", "of_excluded_clients")] == 2
    assert counts[("events", "of_unconnected_clients")] == 1
    assert counts[("events", "of_comparison_patients")] == 1
    assert counts[("events", "outside_data_range")] == 1
    assert sum(c for (t, _), c in counts.items() if t == "events") == len(events())


def test_cost_avoidance_in_exact_pence_by_practice():
    table = evaluation().cost_avoidance(windows=12, by="practice")
    a = row(table, practice="A", kind="ae_attendance")
    assert (a["pre"], a["post"], a["avoided_pence"]) == (2, 0, 28000)
    b_adm = row(table, practice="B", kind="emergency_admission")
    assert (b_adm["pre"], b_adm["post"], b_adm["avoided_pence"]) == (1, 0, 187850)
    a_adm = row(table, practice="A", kind="emergency_admission")
    assert a_adm["avoided_pence"] == -187850  # use rose: reported as negative
    total = evaluation().cost_avoidance(windows=12)
    assert int(total["avoided_pence"].sum()) == 3 * 14000


def test_unpriced_kinds_are_na_not_zero():
    table = evaluation().cost_avoidance(windows=6)
    gp = row(table, kind="gp_surgery")
    assert gp["pre"] == 1 and pd.isna(gp["avoided_pence"]) and pd.isna(gp["unit_cost_pence"])


def test_net_saving_reports_gross_cost_and_net_apart():
    saving = evaluation().net_saving(service_cost_pence=10_000, window=12)
    assert saving["gross_pence"] == 42000
    assert saving["service_cost_pence"] == 10000
    assert saving["net_pence"] == 32000
    assert saving["patients"] == 2
    assert saving["net_per_patient_pence"] == 16000


def test_money_is_exact_for_large_sums():
    # 751,400 pounds of admissions at 1,878.50 each: 400 admissions avoided, exactly.
    tariff = {"name": "t", "price_year": "2023/24",
              "unit_costs": {"emergency_admission": {"pence": 187850, "source": "s"}}}
    many = pd.DataFrame({"person_id": 1, "date": "2021-12-01", "kind": "emergency_admission"}, index=range(400))
    ev = evaluation(events=many, tariff=tariff)
    assert int(ev.cost_avoidance(windows=12)["avoided_pence"].sum()) == 75_140_000


def test_results_do_not_depend_on_threads_or_event_order():
    shuffled = events().sample(frac=1.0, random_state=3)
    one = evaluation(threads=1).utilisation()
    two = evaluation(events=shuffled, threads=2).utilisation()
    pd.testing.assert_frame_equal(one, two)


def test_repricing_uprates_unit_costs():
    tariff = socialrx.load_tariff("example", price_year="2024/25")
    assert tariff.unit_costs["ae_attendance"][0] == 14420
    assert socialrx.load_tariff("example").price_year == "2023/24"


def test_arrow_tables_are_accepted():
    pa = pytest.importorskip("pyarrow")
    ev = evaluation(clients=pa.Table.from_pandas(clients()), events=pa.Table.from_pandas(events()))
    assert ev.reach()["connected"].iloc[0] == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c, e: c.assign(client_id=[1, 2, 2, 4]), "clients.client_id row 2: duplicate id 2"),
        (lambda c, e: c.assign(index_date=["2022-02-01", "2022-06-01", None, "2023-06-01"]),
         "clients.index_date row 0: index date 2022-02-01 is before referral 2022-03-01"),
        (lambda c, e: c.assign(referral_date=["2022-03-01", "not a date", "2022-06-01", "2023-05-01"]),
         "clients.referral_date row 1: 'not a date' is not a date"),
        (lambda c, e: c.assign(referral_date=["2022-03-01", None, "2022-06-01", "2023-05-01"]),
         "clients.referral_date row 1: missing date"),
        (lambda c, e: c.assign(status=["connected", "declined", "declined", "connected"]),
         "clients.status row 1: status 'declined' but the client has an index date"),
        (lambda c, e: c.assign(status=pd.Categorical([" Connected", "declined", "declined", "CONNECTED "])),
         "clients.status row 1: status 'declined' but the client has an index date"),
        (lambda c, e: c.assign(discharge_date=["2022-01-01", None, None, None]),
         "clients.discharge_date row 0: discharge 2022-01-01 is before referral 2022-03-01"),
        (lambda c, e: c.drop(columns="referral_date"), "clients: missing column(s) referral_date"),
    ],
)
def test_bad_clients_name_table_column_and_row(change, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        socialrx.Evaluation(clients=change(clients(), events()), events=events())


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"kind": "teleport"}, r"events.kind row 2: unknown value 'teleport'"),
        ({"date": None}, r"events.date row 2: missing date"),
        ({"person_id": 555}, r"events.person_id row 2: id 555 is in neither the clients nor the comparison"),
        ({"person_id": 1.5}, r"events.person_id row 2: id 1.5 is not a whole number"),
    ],
)
def test_bad_events_name_table_column_and_row(rows, message):
    bad = events().astype({"person_id": object})
    for column, value in rows.items():
        bad.loc[2, column] = value
    with pytest.raises(ValueError, match=message):
        evaluation(events=bad).utilisation()


@pytest.mark.parametrize(
    ("categories", "label", "message"),
    [
        (socialrx.EVENT_KINDS, None, r"events.kind row 2: missing value"),  # codes used as they are
        (sorted(socialrx.EVENT_KINDS), None, r"events.kind row 2: missing value"),  # recoded
        (sorted(socialrx.EVENT_KINDS) + ["teleport"], "teleport",
         r"events.kind row 2: unknown value 'teleport'"),
    ],
)
def test_bad_categorical_kinds_name_the_row(categories, label, message):
    bad = events()
    kinds = bad["kind"].astype(object)
    kinds[2] = label
    bad["kind"] = pd.Categorical(kinds, categories=list(categories))
    with pytest.raises(ValueError, match=message):
        evaluation(events=bad)


def test_categorical_kinds_in_any_order_count_alike():
    shuffled = events().assign(kind=lambda e: pd.Categorical(e["kind"], categories=sorted(socialrx.EVENT_KINDS)))
    assert evaluation(events=shuffled).utilisation().equals(evaluation().utilisation())


def test_bad_tariff_and_windows():
    with pytest.raises(ValueError, match=r"tariff.unit_costs.teleport: is not an event kind"):
        evaluation(tariff={"name": "x", "price_year": "2023/24",
                           "unit_costs": {"teleport": {"pence": 1, "source": "s"}}})
    with pytest.raises(ValueError, match="windows: 'soon' is neither months"):
        evaluation().utilisation(windows="soon")
    with pytest.raises(ValueError, match="tariff: cost figures need a tariff"):
        evaluation(tariff=None).cost_avoidance()
    with pytest.raises(ValueError, match="by: 'colour' is neither a clients column"):
        evaluation().utilisation(by="colour")


def test_normalised_labels_merge_categories_that_differ_in_case_and_spaces():
    from socialrx._columns import normalised_labels

    values = pd.Series(pd.Categorical([" Connected", "connected", None, "Declined", "CONNECTED "]))
    labels = normalised_labels(values)
    assert list(labels.cat.categories) == ["connected", "declined"]
    assert (labels == "connected").fillna(False).tolist() == [True, True, False, False, True]
    assert normalised_labels(pd.Series([" A", None])).tolist() == ["a", pd.NA]
