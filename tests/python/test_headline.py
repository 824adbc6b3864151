"""The Headline result: figures computed once, and the JSON, the text and the HTML showing the
same numbers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

import socialrx
from socialrx import Headline, headline

TARIFF = {"name": "hand", "price_year": "2023/24",
          "unit_costs": {"ae_attendance": {"pence": 14000, "source": "hand A&E"},
                         "gp_surgery": {"pence": 3000, "source": "hand GP"}}}


def hand_service() -> socialrx.Evaluation:
    """Three connected clients and one who never connected; every event is well inside the
    12-month windows (365 days either side of the index date)."""
    clients = pd.DataFrame({
        "client_id": [1, 2, 3, 4],
        "referral_date": ["2022-05-20", "2022-06-20", "2022-07-20", "2022-07-20"],
        "index_date": ["2022-06-01", "2022-07-01", "2022-08-01", None],
        "locality": ["North", "South", "North", "South"],
    })
    events = pd.DataFrame([
        (1, "2022-01-10", "ae_attendance"), (1, "2022-03-05", "ae_attendance"),  # pre
        (1, "2022-09-01", "ae_attendance"),                                      # post
        (1, "2022-02-01", "gp_surgery"),                                         # pre
        (1, "2022-10-01", "gp_surgery"), (1, "2022-11-01", "gp_surgery"),        # post
        (2, "2022-05-01", "ae_attendance"), (2, "2022-06-15", "gp_surgery"),     # pre
        (2, "2023-01-01", "gp_surgery"),                                         # post
        (3, "2022-07-01", "ae_attendance"),                                      # pre
    ], columns=["person_id", "date", "kind"])
    return socialrx.Evaluation(clients=clients, events=events, tariff=TARIFF,
                               data_start="2020-04-01", data_end="2024-03-31")


class _Tables(HTMLParser):
    """Every <table> of an HTML fragment as its caption and rows of cell texts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self.tables[self._caption or ""].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption or ""] = []
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._caption or ""][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def row_of(table: list[list[str]], *first: str) -> list[str]:
    return next(row for row in table if tuple(row[:len(first)]) == first)


def test_hand_service_shows_one_set_of_numbers_in_json_text_and_html():
    result = headline(hand_service(), windows=[12])
    assert isinstance(result, Headline)
    # By hand: A&E 4 before (client 1: 2, client 2: 1, client 3: 1), 1 after; GP 2 before, 3 after.
    ae = result.effect("12m", "ae_attendance", "pct_change", "before_after")
    gp = result.effect("12m", "gp_surgery", "pct_change", "before_after")
    assert ae["value"] == (1 - 4) / 4 * 100 == -75.0
    assert gp["value"] == (3 - 2) / 2 * 100 == 50.0
    assert (ae["population"], ae["clients"]) == ("included clients", 3)
    frame = result.effects.set_index(["window", "kind", "figure", "method"])
    assert frame.loc[("12m", "ae_attendance", "pct_change", "before_after"), "value"] == -75.0
    assert list(result.effects.columns) == ["window", "kind", "figure", "method", "population", "clients",
                                            "value", "ci_low", "ci_high"]
    assert result.effect("12m", "ae_attendance", "pct_change") is None  # no pool, no DiD

    document = json.loads(result.to_json())
    assert result.to_json().endswith("}\n")
    assert document == result.figures
    assert {(e["kind"], e["value"]) for e in document["effects"] if e["figure"] == "pct_change"} == {
        ("ae_attendance", -75.0), ("gp_surgery", 50.0)}
    # 3 A&E avoided at 140.00 less 1 GP appointment added at 30.00.
    assert document["cost_avoidance_total_pence"] == {"12m": 3 * 14000 - 3000}

    text = result.summary()
    shown = {m["kind"]: (int(m["pre"]), int(m["post"]), int(m["pct"]), int(m["n"])) for m in re.finditer(
        r"(?P<kind>\w+)\s+12m:\s+(?P<pre>\d+) ->\s+(?P<post>\d+) \((?P<pct>[+-]\d+)%, (?P<n>\d+) clients\)", text)}
    assert shown == {"ae_attendance": (4, 1, -75, 3), "gp_surgery": (2, 3, 50, 3)}
    assert "Cost avoidance 12m: £390.00 [before/after (not an effect estimate)]" in text
    assert "Reach: 4 referred, 3 connected (75%)" in text

    tables = _Tables(result._repr_html_()).tables
    use = tables["Health-service use"]
    assert use[0] == ["kind", "window", "before", "after", "before/after (not an effect estimate)",
                      "included clients"]
    assert row_of(use, "ae_attendance") == ["ae_attendance", "12m", "4", "1", "-75%", "3"]
    assert row_of(use, "gp_surgery") == ["gp_surgery", "12m", "2", "3", "+50%", "3"]
    assert tables["Cost avoidance"][1] == ["12m", "£390.00"]
    assert tables["Reach"][1] == ["4", "3", "75%"]
    assert "role='alert'" not in result._repr_html_()  # a tariff of its own: no warning
    assert repr(result) == "Headline(4 referred, 3 connected; windows 12m; before/after only)"


def test_by_grouping_puts_the_whole_service_first_and_labels_each_group():
    result = headline(hand_service(), windows=[12], by="locality")
    assert [r for r in result.figures["utilisation"] if "locality" in r] == []  # the whole service
    assert result.figures["groups"]["by"] == "locality"
    # North: clients 1 and 3 (A&E 3 -> 1, GP 1 -> 2); South: client 2 (client 4 never connected).
    assert result.figures["groups"]["cost_avoidance_total_pence"] == {
        "North": {"12m": 2 * 14000 - 3000}, "South": {"12m": 14000}}
    lines = result.summary().splitlines()
    heading = lines.index("By locality: each group's included clients, before/after (not an effect estimate)")
    assert any(line.strip().startswith("ae_attendance") for line in lines[:heading])
    assert [line.strip() for line in lines[heading + 1:]] == [
        "locality North",
        "locality North: ae_attendance         12m:      3 ->      1 (-67%, 2 clients)",
        "locality North: gp_surgery            12m:      1 ->      2 (+100%, 2 clients)",
        "locality North: cost avoidance 12m: £250.00",
        "locality South",
        "locality South: ae_attendance         12m:      1 ->      0 (-100%, 1 clients)",
        "locality South: gp_surgery            12m:      1 ->      1 (+0%, 1 clients)",
        "locality South: cost avoidance 12m: £140.00",
    ]
    tables = _Tables(result._repr_html_()).tables
    assert row_of(tables["By locality: health-service use"], "North", "ae_attendance") == [
        "North", "ae_attendance", "12m", "3", "1", "-67%", "2"]
    assert tables["By locality: cost avoidance"][1:] == [["North", "12m", "£250.00"], ["South", "12m", "£140.00"]]


@pytest.fixture(scope="module")
def synthetic_service():
    data = socialrx.synthetic(n_clients=300, n_comparison=3000, seed=2)
    return data, socialrx.Evaluation(
        clients=data.clients, events=data.events, comparison=data.comparison, tariff="example",
        data_start=data.data_start, data_end=data.data_end)


def test_a_given_match_and_did_give_the_figures_headline_makes_itself(synthetic_service, monkeypatch):
    _, ev = synthetic_service
    options = {"windows": (6, 12), "bootstrap": 50, "seed": 5, "service_cost_pence": 4_000_000}
    own = headline(ev, **options)
    match = ev.match(k=1, caliper=0.2, seed=5)
    did = match.did(windows=(6, 12), bootstrap=50, seed=5, progress=False)

    def again(*args, **kwargs):
        raise AssertionError("matched or bootstrapped a second time")

    monkeypatch.setattr(ev, "match", again)
    monkeypatch.setattr(match, "did", again)
    given = headline(ev, **options, match=match, did=did)
    assert given.figures == own.figures
    assert given.match is match and given.did is did  # kept for a report to render the same figures
    assert given.figures["matching"]["seed"] == 5
    assert given.figures["matching"]["bootstrap_replicates"] == 50
    monkeypatch.undo()
    assert headline(ev, **options, match=match).figures == own.figures  # the match alone: its DiD made here


def test_match_false_gives_the_before_after_figures_alone(synthetic_service, monkeypatch):
    _, ev = synthetic_service

    def matched(*args, **kwargs):
        raise AssertionError("matched although match=False")

    monkeypatch.setattr(ev, "match", matched)
    alone = headline(ev, windows=(12,), service_cost_pence=4_000_000, match=False)
    assert alone.match is None and alone.did is None and "matching" not in alone.figures
    assert set(alone.effects["method"]) == {"before_after"}
    assert set(alone.effects["population"]) == {"included clients"}
    assert alone.figures["basis"] == "before/after (not an effect estimate)"


def test_a_given_did_must_come_with_its_match_and_cover_the_windows(synthetic_service):
    data, ev = synthetic_service
    match = ev.match(k=1, caliper=0.2, seed=5)
    did = match.did(windows=[12], bootstrap=0, progress=False)
    with pytest.raises(ValueError, match="match="):
        headline(ev, did=did)
    with pytest.raises(ValueError, match=r"no estimates for the window\(s\) \['6m'\]"):
        headline(ev, windows=(6, 12), match=match, did=did)
    other = socialrx.Evaluation(clients=data.clients, events=data.events, comparison=data.comparison,
                                data_start=data.data_start, data_end=data.data_end)
    with pytest.raises(ValueError, match="another evaluation"):
        headline(other, match=match, did=did)


def test_matched_figures_read_the_same_in_text_and_html(synthetic_service):
    _, ev = synthetic_service
    result = headline(ev, windows=[12], bootstrap=50, seed=5, service_cost_pence=4_000_000, true_effect=0.1)
    gp = result.effect("12m", "gp_surgery", "pct_change")
    assert gp["population"] == "matched clients" and gp["ci_low"] < gp["value"] < gp["ci_high"]
    interval = f"{gp['value']:+.0f}% (95% CI {gp['ci_low']:+.0f}% to {gp['ci_high']:+.0f}%)"
    naive = result.effect("12m", "gp_surgery", "pct_change", "before_after")
    text = result.summary()
    assert (f"({naive['value']:+.0f}%, {naive['clients']} clients) [naive before/after]; matched DiD {interval} over "
            f"{gp['clients']} matched clients") in text
    html = result._repr_html_()
    tables = _Tables(html).tables
    row = row_of(tables["Health-service use"], "gp_surgery")
    assert row[4:] == [f"{naive['value']:+.0f}%", str(naive["clients"]), interval, f"{gp['clients']} matched clients"]
    money = result.effect("12m", "all_priced_kinds", "cost_avoided_pence")
    cost = tables["Cost avoidance"][1]
    assert cost[0] == "12m" and cost[2].startswith(socialrx._core.format_pounds(money["value"]) + " (95% CI")
    assert f"Cost avoidance 12m: {cost[1]} [naive before/after]; matched DiD {cost[2]} over {cost[3]}" in text
    # The illustrative tariff's warning is a banner, and the synthetic service's true effect is shown.
    assert "<p role='alert'" in html and "illustrative example tariff" in html
    assert "True effect of the synthetic service: -10%" in html and "True effect of the synthetic service: -10%" in text
    assert repr(result).endswith("matched DiD beside before/after)")


def test_a_given_did_keeps_its_own_interval_level(synthetic_service):
    _, ev = synthetic_service
    match = ev.match(k=1, caliper=0.2, seed=5)
    result = headline(ev, windows=[12], match=match,
                      did=match.did(windows=[12], bootstrap=50, level=0.9, seed=5, progress=False))
    assert result.figures["matching"]["level"] == 0.9
    assert "(90% CI " in result.summary() and "95% CI" not in result.summary()
    assert "(90% CI " in result._repr_html_() and "95% CI" not in result._repr_html_()
