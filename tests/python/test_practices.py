"""Practices: per-practice referrals, use, cost avoided and ranks; counts of practices printed as
they are, counts of people inside them under disclosure control. Answers worked out by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from socialrx import Evaluation
from socialrx.report import build_report

INDEX = "2020-01-01"
BEFORE, AFTER = "2019-07-01", "2020-07-01"  # inside the 12 months either side
TARIFF = {"name": "test tariff", "price_year": "2019/20", "unit_costs": {
    "gp_surgery": {"pence": 3_500, "source": "test"}, "ae_attendance": {"pence": 11_500, "source": "test"},
    "gp_home_visit": {"pence": 10_000, "source": "test"}}}
# P1: clients 1-10, 1-5 connected; P2: 11-15, all connected; P3: 16-17, neither connected.
PRACTICE = {**{c: "P1" for c in range(1, 11)}, **{c: "P2" for c in range(11, 16)}, 16: "P3", 17: "P3"}
CONNECTED = set(range(1, 6)) | set(range(11, 16))
# (client, kind, before, after)
USE = [(1, "gp_surgery", 3, 1), (2, "gp_surgery", 2, 2), (3, "ae_attendance", 1, 0),
       (11, "gp_surgery", 1, 4), (12, "ae_attendance", 0, 1), (13, "gp_home_visit", 2, 1)]


def _evaluation(practice: dict[int, str] = PRACTICE) -> Evaluation:
    clients = pd.DataFrame({"client_id": list(practice), "referral_date": INDEX,
                            "index_date": [INDEX if c in CONNECTED else None for c in practice],
                            "practice": list(practice.values())})
    events = pd.DataFrame([(c, date, kind, n) for c, kind, before, after in USE
                           for date, n in ((BEFORE, before), (AFTER, after)) if n],
                          columns=["person_id", "date", "kind", "count"])
    return Evaluation(clients=clients, events=events, tariff=TARIFF, data_start="2018-01-01", data_end="2022-12-31")


def test_per_practice_counts_cost_and_rank():
    """P1: surgery 5 before (3 + 2), 3 after: -2; A&E 1 -> 0: -1; avoided 2 x £35 + £115 =
    £185 over 5 clients, £37 each. P2: surgery 1 -> 4: +3, A&E 0 -> 1: +1, home visits 2 -> 1:
    -1; avoided -3 x £35 - £115 + £100 = -£120, -£24 each. P3 has no client in the window: no
    rank."""
    table = _evaluation().practices(window=12).table
    assert table[["referred", "connected", "clients"]].to_dict("index") == {
        "P1": {"referred": 10, "connected": 5, "clients": 5}, "P2": {"referred": 5, "connected": 5, "clients": 5},
        "P3": {"referred": 2, "connected": 0, "clients": 0}}
    assert table.loc["P1", ["gp_surgery_pre", "gp_surgery_post", "gp_surgery_change"]].tolist() == [5, 3, -2]
    assert table.loc["P2", ["gp_home_visit_pre", "gp_home_visit_post", "gp_home_visit_change"]].tolist() == [2, 1, -1]
    assert table["avoided_pence"].tolist() == [18_500, -12_000, 0]
    assert table["avoided_per_client_pence"].tolist()[:2] == [3_700, -2_400]
    assert table["rank"].tolist()[:2] == [1, 2] and pd.isna(table.loc["P3", "rank"])


def test_counts_of_practices_and_the_top_practice():
    """Of the 2 practices with clients in the window, A&E: P1 fewer, P2 more; surgery the same;
    home visits: P1 none either side (the same), P2 fewer. Every count of people here is 5 or
    more, or 0 (P3's 2 referrals are not printed in the summary)."""
    result = _evaluation().practices(window=12)
    assert result.directions().to_dict("index") == {
        "ae_attendance": {"fewer": 1, "same": 0, "more": 1, "practices": 2},
        "gp_surgery": {"fewer": 1, "same": 0, "more": 1, "practices": 2},
        "gp_home_visit": {"fewer": 1, "same": 1, "more": 0, "practices": 2}}
    assert result.summary().splitlines() == [
        "2 of 3 practices with referrals had clients in the 12 months either side of the index date.",
        "1 of 2 practices had fewer A&E attendances (0 the same, 1 more)",
        "1 of 2 practices had fewer GP surgery consultations (0 the same, 1 more)",
        "1 of 2 practices had fewer GP home visits (1 the same, 0 more)",
        "The practice with the greatest cost avoidance: P1, £185.00 (from 10 referrals, of which 5 supported)",
    ]
    html = result._repr_html_()
    assert "The practice with the greatest cost avoidance: P1, £185.00" in html


def test_counts_of_practices_are_printed_even_when_small_but_people_are_not():
    """42 of 43 style: counts of practices below 5 are printed. P3's 2 referrals are a count
    of people of 1-4: hidden, and its 0 connected stays printed."""
    result = _evaluation().practices(window=12)
    assert "1 of 2 practices had fewer" in result.summary()
    shown = result.published()
    assert pd.isna(shown.loc["P3", "referred"]) and shown.loc["P3", "connected"] == 0
    assert shown.loc["P1", "referred"] == 10
    cell = "<td style='text-align:right'>{}</td>"
    assert "<th>P3</th>" + cell.format("") + cell.format("*") + cell.format("0") in result._repr_html_()  # no rank


def test_a_small_practices_money_is_hidden_with_its_clients():
    """With clients 4 and 5 moved to P4, P1 has 3 connected clients in the window (1-4: hidden),
    so its money is not shown and the top practice is the one left with published clients."""
    moved = {**PRACTICE, 4: "P4", 5: "P4"}
    result = _evaluation(moved).practices(window=12)
    shown = result.published()
    assert pd.isna(shown.loc["P1", "clients"]) and pd.isna(shown.loc["P1", "avoided_pence"])
    assert "greatest cost avoidance: P1" not in result.summary()


def test_practices_needs_a_practice_column_and_one_window():
    ev = _evaluation()
    with pytest.raises(ValueError, match="one window"):
        ev.practices(window=[6, 12])
    ev.clients = ev.clients.drop(columns="practice")
    with pytest.raises(ValueError, match=r"clients: missing column\(s\) practice"):
        ev.practices()


class _HandMatch:
    """Matched sets made by hand, with ``Match``'s two calls that ``practices`` uses."""

    def __init__(self, ev: Evaluation, pairs: dict[int, int]) -> None:
        self.ev = ev
        self.pairs = pd.DataFrame({"client_id": list(pairs), "comparison_id": list(pairs.values()),
                                   "set_id": range(len(pairs)), "weight": 1.0})
        self.pseudo = pd.DataFrame({"patient_id": list(pairs.values()),
                                    "pseudo_index_date": pd.to_datetime([INDEX] * len(pairs))})

    def matches(self) -> pd.DataFrame:
        return self.pairs

    def did(self, *, clients: object, **options: object) -> object:
        from socialrx.did import did

        return did(self.ev, self.pairs[self.pairs["client_id"].isin(clients)], self.pseudo, **options)


def test_matched_did_per_practice_over_its_own_sets():
    """Client 1 (P1) is matched to patient 101 and client 11 (P2) to 111; neither control has an
    event. P1's one set: surgery 3 -> 1, DiD -2 x £35 = £70 avoided per matched client; P2's:
    surgery 1 -> 4, DiD +3 x £35 = -£105 (clients 12 and 13, whose A&E and home visits changed,
    are not matched). One set each: the interval is the point. One matched client is a count
    of 1-4 people: printed, it is hidden, and the matched money with it."""
    ev = _evaluation()
    ev = Evaluation(clients=ev.clients, events=ev.events, tariff=TARIFF, data_start="2018-01-01",
                    data_end="2022-12-31", comparison=pd.DataFrame({"patient_id": [101, 111]}))
    result = ev.practices(window=12, match=_HandMatch(ev, {1: 101, 11: 111}), bootstrap=50)
    table = result.table
    assert table["matched_clients"].tolist()[:2] == [1, 1] and pd.isna(table.loc["P3", "matched_clients"])
    assert table["matched_avoided_per_client_pence"].tolist()[:2] == [7_000, -10_500]
    assert table["matched_ci_low_pence"].tolist()[:2] == [7_000, -10_500]
    assert table["matched_rank"].tolist()[:2] == [1, 2]
    shown = result.published()
    assert shown["matched_clients"].isna().all() and shown["matched_avoided_per_client_pence"].isna().all()
    assert "matched" not in result.summary()


def _row(html: str, label: str) -> list[str]:
    """The cells of the first table row labelled ``label``."""
    found = re.search(rf"<th>{re.escape(label)}</th>(.*?)</tr>", html, flags=re.S)
    assert found, label
    return re.findall(r"<td[^>]*>(.*?)</td>", found.group(1))


def test_the_report_prints_counts_of_practices_and_hides_what_subtotals_would_reveal():
    """Counts of practices of 1-4 are printed ("1 of 2 practices", the fixed bug printed them
    as *). The GP subtotal (surgery 6 + home visits 2 = 8 before) beside the surgery count
    would reveal the 2 home visits, which are suppressed: one of the two is hidden too. With
    P3's referrals 5 (clients 18-20 added, unconnected), no practice's people are hidden: the
    league ranks P1 (£185, £37 per client) first and P2 (-£120) second; P3, with no client in
    the window, has no rank."""
    html = build_report(_evaluation({**PRACTICE, 18: "P3", 19: "P3", 20: "P3"}), match=False).html()
    league = html[html.index(">Practice league</h2>"):]
    assert _row(league, "GP surgery consultations") == ["1", "0", "1", "2"]
    assert "1 of 2 practices had fewer GP surgery consultations (0 the same, 1 more)." in league
    assert _row(league, "P1")[:6] == ["1st", "10", "5", "5", "£185.00", "£37.00"]
    assert _row(league, "P2")[:6] == ["2nd", "5", "5", "5", "−£120.00", "−£24.00"]
    assert _row(league, "P3")[:4] == ["–", "5", "0", "0"]
    use = html[html.index("12 months (365 days) either side"):html.index(">Matched comparison</h2>")]
    home, surgery, gp = (_row(use, label)[:2] for label in ("GP home visits", "GP surgery consultations",
                                                          "GP contacts (subtotal)"))
    assert home == ["*", "*"]
    assert "*" in surgery[0] + gp[0] and "*" in surgery[1] + gp[1]
