"""Support, feedback and disclosure control on small tables worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx import support

COLUMNS = ["client_id", "date", "kind", "organisation", "sector", "cost_pence"]


def clients() -> pd.DataFrame:
    # 1: connected 2023-04-03, discharged after 90 days;  2: connected 2024-04-10, ongoing;
    # 3: never connected;  4: connected 2024-04-05, nothing recorded since.
    return pd.DataFrame({
        "client_id": [1, 2, 3, 4],
        "referral_date": ["2023-03-20", "2024-04-01", "2024-04-01", "2024-04-01"],
        "index_date": ["2023-04-03", "2024-04-10", None, "2024-04-05"],
        "discharge_date": ["2023-07-02", None, None, None],
        "practice": ["P1", "P2", "P2", "P1"],
    })


def interventions(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def ten_referrals() -> pd.DataFrame:
    sectors = ["voluntary", "voluntary", "statutory", "voluntary", "private",
               "voluntary", "community", "voluntary", "statutory", "voluntary"]
    rows = [(1 + i % 2, "2024-05-01", "outward_referral", f"Org {i % 3}", s, 0) for i, s in enumerate(sectors)]
    return interventions(rows)


def test_ten_outward_referrals_six_voluntary_is_sixty_percent() -> None:
    table = support.outward_referrals(ten_referrals(), clients())
    assert list(table["sector"]) == ["voluntary", "statutory", "private", "community"]
    assert list(table["referrals"]) == [6, 2, 1, 1]
    assert table["pct"].iloc[0] == pytest.approx(60.0)
    by_org = support.outward_referrals(ten_referrals(), clients(), by="organisation")
    assert dict(zip(by_org["organisation"], by_org["referrals"])) == {"Org 0": 4, "Org 1": 3, "Org 2": 3}
    assert by_org["pct"].sum() == pytest.approx(100.0)


def test_referrals_cut_by_group() -> None:
    table = support.outward_referrals(ten_referrals(), clients(), group="practice")
    # Client 1 (P1) has referrals 0, 2, 4, 6, 8; client 2 (P2) has 1, 3, 5, 7, 9.
    p1 = table[table["practice"] == "P1"].set_index("sector")["referrals"]
    p2 = table[table["practice"] == "P2"].set_index("sector")["referrals"]
    assert p1.to_dict() == {"voluntary": 1, "statutory": 2, "private": 1, "community": 1}
    assert p2.to_dict() == {"voluntary": 5, "statutory": 0, "private": 0, "community": 0}
    assert table[table["practice"] == "P2"]["pct"].iloc[0] == pytest.approx(100.0)


def budgets() -> pd.DataFrame:
    return interventions([
        (1, "2023-04-05", "personal_health_budget", None, None, 6000),
        (1, "2023-05-05", "personal_health_budget", None, None, 4000),  # 10000: at the cap
        (2, "2024-04-20", "personal_health_budget", None, None, 10001),  # over it by a penny
        (4, "2024-04-20", "grant", "Service", None, 50000),
    ])


def test_phb_of_10001_pence_breaches_10000_does_not() -> None:
    breaches = support.phb_breaches(budgets(), clients())
    assert list(breaches.columns) == ["client_id", "phb_pence", "over_cap_pence"]
    assert breaches.to_dict("records") == [{"client_id": 2, "phb_pence": 10001, "over_cap_pence": 1}]
    assert support.phb_breaches(budgets(), clients(), 10_001).empty
    assert list(support.phb_breaches(budgets(), clients(), 9_999)["client_id"]) == [1, 2]
    with pytest.raises(ValueError, match="cap_pence"):
        support.phb_breaches(budgets(), clients(), -1)


def test_spend_by_kind_in_exact_pence() -> None:
    table = support.spend(budgets(), clients()).set_index("kind")
    assert list(table.index) == list(support.INTERVENTION_KINDS)
    assert table.loc["personal_health_budget"].to_dict() == {"interventions": 3, "clients": 2, "pence": 20001,
                                                             "service_pence": 20001, "external_pence": 0}
    assert table.loc["grant", "pence"] == 50000
    assert table["pence"].dtype == np.int64
    assert table.loc["voucher"].to_dict() == {"interventions": 0, "clients": 0, "pence": 0, "service_pence": 0,
                                              "external_pence": 0}


def test_support_summary_contacts_and_length() -> None:
    table = interventions([
        (1, "2023-04-03", "contact_phone", None, None, 0),
        (1, "2023-04-06", "contact_visit", None, None, 0),
        (1, "2023-08-01", "contact_phone", None, None, 0),  # after discharge: counted, length not
        (1, "2023-04-07", "accompanied_activity", None, None, 0),  # not a contact
        (2, "2024-05-20", "contact_visit", None, None, 0),  # 40 days after the index date
        (2, "2024-06-19", "group", "Walking group", "community", 0),  # 70 days: the last one
        (3, "2024-04-02", "contact_phone", None, None, 0),  # never connected
        (2, "2024-05-01", "outward_referral", "Age UK", "voluntary", 0),
        (1, "2023-04-10", "personal_health_budget", None, None, 10001),
    ])
    summary = support.support_summary(table, clients()).set_index("measure")
    value = summary["value"]
    assert value["referred"] == 4 and value["connected"] == 3
    assert value["contacts"] == 4  # clients 1 (3) and 2 (1); client 3's attempt is not counted
    assert value["contacts_per_client"] == pytest.approx(4 / 3)
    assert summary.loc["support_days_mean", "clients"] == 2  # client 4 has no length
    assert value["support_days_mean"] == pytest.approx((90 + 70) / 2)
    assert value["support_discharged"] == 1 and value["support_ongoing"] == 1
    assert value["support_not_recorded"] == 1
    assert value["support_over_6_months"] == 0
    assert value["outward_referrals"] == 1
    assert value["spend_pence"] == 10001
    assert value["phb_breaches"] == 1 and summary.loc["phb_breaches", "clients"] == 1
    relaxed = support.support_summary(table, clients(), phb_cap_pence=20_000).set_index("measure")
    assert relaxed.loc["phb_breaches", "value"] == 0


def test_support_by_financial_year_of_index_date() -> None:
    summary = support.support_summary(ten_referrals(), clients(), group="financial_year")
    connected = summary[summary["measure"] == "connected"].set_index("financial_year")["value"]
    assert connected.to_dict() == {"2023/24": 1, "2024/25": 2, "not connected": 0}


@pytest.mark.parametrize(("row", "column", "problem"), [
    ((1, "2023-03-19", "contact_phone", None, None, 0), "date", "before the client's referral"),
    ((9, "2023-04-05", "contact_phone", None, None, 0), "client_id", "no clients table"),
    ((1, "2023-04-05", "grant", None, None, -5), "cost_pence", "negative"),
    ((1, "2023-04-05", "outward_referral", "Age UK", None, 0), "sector", "outward referral"),
    ((1, "2023-04-05", "outward_referral", None, "voluntary", 0), "organisation", "outward referral"),
    ((1, "2023-04-05", "hug", None, None, 0), "kind", "unknown value"),
    ((1, "2023-04-05", "grant", None, "charity", 0), "sector", "unknown value"),
])
def test_bad_interventions_name_table_column_and_row(row: tuple, column: str, problem: str) -> None:
    table = interventions([(1, "2023-04-05", "contact_phone", None, None, 0), row])
    with pytest.raises(ValueError, match=rf"interventions\.{column} row 1: .*{problem}"):
        support.spend(table, clients())


def seed_feedback() -> pd.DataFrame:
    # 100 forms: 94 rate 4-5 stars, 96 report an impact of which 27 significant (28%), 79 feel
    # connected; then one form with every answer left empty.
    n = 100
    return pd.DataFrame({
        "client_id": [1] * n + [2],
        "stars": [4 + i % 2 if i < 94 else 2 for i in range(n)] + [None],
        "impact": ["significant" if i < 27 else "some" if i < 96 else "none" for i in range(n)] + [None],
        "connected_to_services": [i < 79 for i in range(n)] + [None],
    })


def test_feedback_seed_shares_with_the_number_who_answered() -> None:
    table = support.feedback_summary(seed_feedback()).set_index("measure")
    assert list(table.columns) == ["answered", "yes", "not_answered", "pct"]
    assert table.loc["four_or_five_stars", ["answered", "yes", "not_answered"]].tolist() == [100, 94, 1]
    assert round(table.loc["four_or_five_stars", "pct"]) == 94
    assert round(table.loc["reported_impact", "pct"]) == 96
    assert table.loc["significant_impact", "pct"] == pytest.approx(27.0)  # of all answering
    assert table.loc["significant_of_impact", "answered"] == 96  # of those reporting an impact
    assert round(table.loc["significant_of_impact", "pct"]) == 28
    assert round(table.loc["connected_to_services", "pct"]) == 79
    assert (table["not_answered"] == 1).all()


def test_feedback_by_group_and_bad_answers() -> None:
    table = support.feedback_summary(seed_feedback(), clients(), group="practice")
    p2 = table[table["practice"] == "P2"].set_index("measure")
    assert (p2["answered"] == 0).all() and p2["pct"].isna().all()
    bad = seed_feedback()
    bad.loc[5, "stars"] = 6
    with pytest.raises(ValueError, match=r"feedback\.stars row 5"):
        support.feedback_summary(bad)
    bad = seed_feedback()
    bad.loc[7, "impact"] = "huge"
    with pytest.raises(ValueError, match=r"feedback\.impact row 7"):
        support.feedback_summary(bad)
    with pytest.raises(ValueError, match=r"feedback\.client_id row 0"):
        support.feedback_summary(seed_feedback().assign(client_id=99), clients(), group="practice")


def back_solvable(published: pd.DataFrame) -> list[tuple]:
    """Suppressed cells that the published cells and totals determine exactly: those whose unit
    vector lies in the row space of the line equations over the suppressed cells."""
    hidden = list(zip(*np.nonzero(published.isna().to_numpy())))
    height, width = published.shape
    lines = np.zeros((height + width, len(hidden)))
    for j, (r, c) in enumerate(hidden):
        lines[r, j] = lines[height + c, j] = 1
    rank = np.linalg.matrix_rank(lines) if hidden else 0
    return [cell for j, cell in enumerate(hidden)
            if np.linalg.matrix_rank(np.vstack([lines, np.eye(len(hidden))[j]])) == rank]


def test_two_by_three_with_one_three() -> None:
    table = pd.DataFrame([[3, 10, 12], [8, 9, 20]], index=["a", "b"], columns=["x", "y", "z"])
    published, secondary = support.suppress(table)
    expected = pd.DataFrame([[None, None, 12, 25], [None, None, 20, 37], [11, 19, 32, 62]],
                            index=["a", "b", "total"], columns=["x", "y", "z", "total"], dtype="Int64")
    pd.testing.assert_frame_equal(published, expected)
    assert secondary.to_numpy().tolist() == [[False, True, False, False], [True, True, False, False],
                                             [False, False, False, False]]
    assert back_solvable(published) == []
    # Primary suppression alone would give the 3 away as 25 - 10 - 12.
    primary_only = published.copy()
    primary_only[secondary] = table.reindex(index=published.index, columns=published.columns)[secondary]
    assert back_solvable(primary_only) == [(0, 0)]


def test_random_tables_never_give_a_cell_away() -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        shape = tuple(rng.integers(1, 6, size=2))
        counts = np.where(rng.random(shape) < 0.3, rng.integers(0, 5, shape), rng.integers(0, 40, shape))
        published, _ = support.suppress(pd.DataFrame(counts))
        assert back_solvable(published) == []


def test_series_with_total() -> None:
    published, secondary = support.suppress(pd.Series([3, 10, 12, 0], index=list("pqrs"), name="n"))
    assert published.isna().tolist() == [True, True, False, False, False]
    assert published["s"] == 0  # zero is published
    assert secondary.tolist() == [False, True, False, False, False]
    assert list(published.index) == ["p", "q", "r", "s", "total"]
    trimmed, _ = support.suppress(pd.Series([3, 10, 12]), margins=False, threshold=11)
    assert trimmed.isna().tolist() == [True, True, False]


def test_suppress_rejects_non_counts() -> None:
    with pytest.raises(ValueError, match=r"table\['b', 'y'\]"):
        support.suppress(pd.DataFrame({"x": [1, 2], "y": [3, -1]}, index=["a", "b"]))
    with pytest.raises(ValueError, match="threshold"):
        support.suppress(pd.Series([1]), threshold=0)


def test_synthetic_service_matches_its_design() -> None:
    service = socialrx.synthetic(n_clients=3000, n_comparison=1000, seed=1)
    sectors = support.outward_referrals(service.interventions, service.clients).set_index("sector")
    assert sectors.loc["voluntary", "pct"] == pytest.approx(60, abs=3)
    assert support.phb_breaches(service.interventions, service.clients).empty  # drawn within the cap
    feedback = support.feedback_summary(service.feedback).set_index("measure")["pct"]
    assert feedback["four_or_five_stars"] == pytest.approx(94, abs=3)
    assert feedback["connected_to_services"] == pytest.approx(79, abs=4)
    spend = support.spend(service.interventions, service.clients)
    assert spend["pence"].sum() == int(service.interventions["cost_pence"].sum())
