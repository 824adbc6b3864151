"""The attack disclosure control must withstand: an integer program over everything a report
prints (every published count, every total, the same quantity in several tables, the
denominators and differences between counts) solved for the smallest and largest value of each
suppressed count. No suppressed count may be recovered exactly or bounded to 1-4.

The attacker here is written apart from the registry's own search: it reads only the published
view, splits it into independent sets of unknowns and solves each cell in full."""

from __future__ import annotations

import math

import numpy as np
import pytest

import socialrx
from socialrx.disclosure import THRESHOLD, Key, PublishedView, Registry
from socialrx.report import build_report

scipy_optimize = pytest.importorskip("scipy.optimize")


def _components(view: PublishedView, unknown: set[Key]) -> list[set[Key]]:
    """Sets of unknown cells tied together by relations (each solved on its own)."""
    parent = {k: k for k in unknown}

    def root(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for relation in view.relations:
        linked = [k for k in (*relation.parts, relation.total) if k in unknown]
        for other in linked[1:]:
            parent[root(other)] = root(linked[0])
    groups: dict[Key, set[Key]] = {}
    for k in unknown:
        groups.setdefault(root(k), set()).add(k)
    return list(groups.values())


def attack(view: PublishedView) -> dict[Key, tuple[float, float]]:
    """Each suppressed cell's smallest and largest value consistent with what is printed."""
    bounds = view.bounds()
    unknown = {k for k in view.values if bounds.low[k] != bounds.high[k]}
    ranges: dict[Key, tuple[float, float]] = {}
    for group in _components(view, unknown):
        cells = sorted(group, key=repr)
        index = {k: i for i, k in enumerate(cells)}
        rows, rhs = [], []
        for relation in view.relations:
            signed = [(k, 1) for k in relation.parts] + [(relation.total, -1)]
            if not any(k in index for k, _ in signed):
                continue
            row = np.zeros(len(cells))
            constant = 0.0
            for k, sign in signed:
                if k in index:
                    row[index[k]] += sign
                else:
                    constant += sign * bounds.low[k]
            rows.append(row)
            rhs.append(-constant)
        constraints = [scipy_optimize.LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
        box = scipy_optimize.Bounds([bounds.low[k] for k in cells],
                                    [math.inf if bounds.high[k] is None else bounds.high[k] for k in cells])
        for k in cells:
            if view.values[k] is not None:
                continue  # a rounded count: not suppressed
            extremes = []
            for sense in (1.0, -1.0):
                objective = np.zeros(len(cells))
                objective[index[k]] = sense
                result = scipy_optimize.milp(objective, integrality=np.ones(len(cells)), bounds=box,
                                             constraints=constraints)
                extremes.append(sense * result.fun if result.status == 0 else math.inf)
            ranges[k] = (extremes[0], extremes[1])
    return ranges


def disclosed(view: PublishedView, ranges: dict[Key, tuple[float, float]]) -> tuple[int, int]:
    """(suppressed counts recovered exactly, suppressed counts bounded to 1..threshold-1). A
    difference never printed discloses only when it is worked out to be 1..threshold-1."""
    def small(low: float, high: float) -> bool:
        return low >= 1 and high < THRESHOLD

    printed = {k: r for k, r in ranges.items() if k not in view.hidden_differences}
    exact = sum(low == high for low, high in printed.values())
    bounded = sum(small(low, high) and (low != high or k in view.hidden_differences) for k, (low, high) in
                  ranges.items())
    return exact, bounded


def _hand_made(secondary: bool) -> Registry:
    """A row [3, 10 | total 13] with its total printed."""
    registry = Registry(secondary=secondary)
    registry.series("row", [("a", 3), ("b", 10)], total=("row", "total"))
    registry.protect()
    return registry


def test_primary_suppression_alone_is_recovered_from_the_total() -> None:
    view = _hand_made(secondary=False).view()
    assert view.values == {("row", "a"): None, ("row", "b"): 10, ("row", "total"): 13}
    assert attack(view) == {("row", "a"): (3, 3)}  # 13 - 10
    assert disclosed(view, attack(view)) == (1, 0)


def test_secondary_suppression_closes_the_row() -> None:
    view = _hand_made(secondary=True).view()
    assert view.values == {("row", "a"): None, ("row", "b"): None, ("row", "total"): 13}
    assert attack(view) == {("row", "a"): (1, 12), ("row", "b"): (1, 12)}
    assert disclosed(view, attack(view)) == (0, 0)


def test_a_quantity_in_two_tables_is_one_cell() -> None:
    """Two breakdowns of the same 22 clients share their total: hiding that total would not
    protect the 2, since the other breakdown prints it again, so a cell of the 2's own table
    is hidden instead."""
    registry = Registry()
    registry.series("by age", [("young", 2), ("old", 20)], total=("all", "clients"))
    registry.series("by sex", [("f", 12), ("m", 10)], total=("all", "clients"))
    registry.protect()
    view = registry.view()
    assert view.values[("by age", "young")] is None and view.values[("by age", "old")] is None
    assert view.values[("all", "clients")] == 22
    assert disclosed(view, attack(view)) == (0, 0)


def test_a_small_difference_between_printed_counts_is_protected() -> None:
    """Connected 50, in the window 48: the 2 left out would be printed by subtraction."""
    registry = Registry()
    registry.count(("connected",), 50)
    registry.count(("in window",), 48)
    registry.difference(("left out",), 2)
    registry.relate([("in window",), ("left out",)], ("connected",))
    registry.protect()
    view = registry.view()
    assert None in (view.values[("connected",)], view.values[("in window",)])
    assert attack(view)[("left out",)][1] >= THRESHOLD


def test_rounding_leaves_the_small_count_uncertain() -> None:
    registry = Registry(rounding=5)
    registry.series("row", [("a", 3), ("b", 12), ("c", 11)], total=("row", "total"))
    registry.protect()
    view = registry.view()
    assert view.values[("row", "c")] == 10 and view.values[("row", "total")] == 25
    assert disclosed(view, attack(view)) == (0, 0)


SERVICES = [(150, 1), (220, 2), (300, 3), (400, 4)]  # (clients, seed)


@pytest.fixture(scope="module")
def reports() -> list[PublishedView]:
    views = []
    for clients, seed in SERVICES:
        service = socialrx.synthetic(n_clients=clients, n_comparison=3 * clients, seed=seed)
        ev = socialrx.Evaluation(
            clients=service.clients, events=service.events, assessments=service.assessments,
            interventions=service.interventions, feedback=service.feedback, comparison=service.comparison,
            tariff="example", data_start=service.data_start, data_end=service.data_end)
        report = build_report(ev, bootstrap=50, service_cost_pence=20_000_000)
        assert report.disclosure is not None
        views.append(report.disclosure)
    return views


def test_no_suppressed_count_of_a_small_service_is_recovered(reports):
    for view in reports:
        ranges = attack(view)
        assert ranges, "a small service has suppressed counts"
        assert disclosed(view, ranges) == (0, 0)


def test_the_reach_totals_are_one_quantity_wherever_printed(reports):
    """The summary's referred and connected counts, the support section's connected clients and
    the data quality's client rows are the Reach tables' own totals: one cell each, so that
    hiding a total in one table cannot leave it printed in another."""
    for view in reports:
        flat = [key for key in view.values if key[1:3] == ("reach", "total")]
        assert flat == [], flat
        nested = {key[1:] for key in view.values if key[0] == ("all periods", "reach")}
        assert {("total", "total"), ("total", "connected")} <= nested


def test_the_reach_totals_are_printed(reports):
    """Secondary suppression hides what protects a small count and takes back what it need not
    hide: the number referred and connected, which every reader looks for, stay printed (before
    the needless counts were taken back, the 300-client service hid both)."""
    for view in reports:
        assert view.values[(("all periods", "reach"), "total", "total")] is not None
        assert view.values[(("all periods", "reach"), "total", "connected")] is not None
