"""Disclosure control over a whole report: small counts hidden so that no table, alone or with
the others, gives them away.

A :class:`Registry` holds every count one report publishes, as cells, and the linear relations
a reader can see between them:

- a table's cells add up to its printed row and column totals;
- the same quantity printed in two tables is one cell (both tables name it by the same key), so
  a total in one table and a breakdown in another are tied together;
- a count printed beside a share names its denominator, and two printed counts whose difference
  is itself a count of people (connected but outside the window, say) are tied by a *hidden*
  cell: that difference is never printed, but a reader can work it out, so it is protected like
  a printed count.

**Primary suppression.** Counts of 1 to 4 people are not published (0 is). This is the small
numbers rule in the NHS Digital and ONS guidance on statistical disclosure control for health
statistics: a count below 5 can identify someone and is hidden, or rounded.

**Secondary suppression over the linked set.** Hiding a small count is not enough when the
totals and the other tables let a reader solve for it. The attacker this guards against knows
every published count, every relation above, that counts are whole numbers, that a hidden
printed count is at least 1 (0 is always shown) and a hidden difference at least 0. For each
hidden cell the registry finds, by integer linear programming (``scipy.optimize.milp``), the
smallest and largest values it can take under all the relations at once. The protection rule:

- a hidden count of 1 to 4 (primary, or a small hidden difference) must be able to reach at
  least 5 (the largest feasible value is 5 or more), so a reader can neither pin it down nor
  learn that it is small: with 0 shown, "between 1 and 4" would itself disclose it;
- no other hidden cell may be recovered exactly: a count that hiding does not protect is
  printed instead.

While a small cell breaks the rule, the cheapest published count in a relation that constrains
it (the smallest count of people, inner cells before totals, ties to the lowest key) is hidden
too, and its linked set is solved again, until every small cell holds. Then each count hidden
that way, the largest first, is printed again wherever every small cell it is linked to stays
protected without it: the search hides what it must, one cell at a time, and this pass takes
back what a later choice made needless. A count recovered exactly is always taken back, since
printing it tells a reader nothing they could not work out. This is the iterative, cost-driven search of the
secondary suppression tools (τ-ARGUS, and the R package sdcTable) applied to the report's own
relations rather than to one table's margins: the decisions are made over the whole report at
once. Counts of organisations (practices) are not counts of people: they are never hidden and
never chosen to protect another cell.

**Rounding** to the nearest 5 of every published count (after suppression) is an option; a
rounded count then tells the attacker only that the true count is within 2 of it.

The attack this withstands: the integer program above, over every relation the report prints,
recovers no hidden count exactly and bounds none to 1-4 (``tests/python/test_disclosure_attack.py``
runs it over reports of small synthetic services).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ._optional import require

THRESHOLD = 5
Key = tuple[Hashable, ...]


class Status(Enum):
    """What a reader sees of a cell."""

    PUBLISHED = "published"
    PRIMARY = "primary"  # a count of 1-4 hidden
    SECONDARY = "secondary"  # hidden to protect another cell
    HIDDEN = "hidden"  # never printed: a difference a reader could work out


@dataclass
class Cell:
    """One count: its true value, whether it counts people, and what a reader sees of it."""

    key: Key
    value: int
    people: bool
    status: Status


@dataclass(frozen=True)
class Relation:
    """``sum(parts) == total``: a table's cells and its printed total, or a count and its parts."""

    parts: tuple[Key, ...]
    total: Key


@dataclass
class Bounds:
    """What a reader knows of every cell: ``low <= cell <= high`` (``high`` None: no bound)."""

    low: dict[Key, int] = field(default_factory=dict)
    high: dict[Key, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishedView:
    """The report as a reader sees it: each cell's printed value (None where hidden), the
    relations printed between them, and the rounding applied to printed counts."""

    values: dict[Key, int | None]
    hidden_differences: frozenset[Key]
    relations: tuple[Relation, ...]
    rounding: int | None

    def bounds(self) -> Bounds:
        """The attacker's bounds: a printed count is itself (within rounding); a hidden printed
        count is at least 1, since 0 is always printed; a hidden difference at least 0."""
        bounds = Bounds()
        half = (self.rounding or 1) // 2
        for key, value in self.values.items():
            if value is None:
                bounds.low[key], bounds.high[key] = (0 if key in self.hidden_differences else 1), None
            else:
                bounds.low[key], bounds.high[key] = max(0, value - half), value + half
        return bounds


class IntegerProgram:
    """The relations among a set of cells as an integer program, for the extreme values of any
    one cell (``scipy.optimize.milp``).

    Every solution found is kept in ``witnesses`` (shared between programs whose feasible sets
    only grow): a solution that already shows a cell reaching a value, or differing from its
    true value, answers that question without solving again."""

    def __init__(self, cells: Sequence[Key], relations: Iterable[Relation], bounds: Bounds,
                 witnesses: list[dict[Key, int]] | None = None) -> None:
        optimize = require("scipy.optimize", "socialrx's disclosure control solves integer programs")
        self._optimize = optimize
        self.witnesses = [] if witnesses is None else witnesses
        self._cells = list(cells)
        self.index = {key: i for i, key in enumerate(cells)}
        rows = [r for r in relations if all(k in self.index for k in (*r.parts, r.total))]
        matrix = np.zeros((len(rows), len(cells)))
        for r, relation in enumerate(rows):
            for part in relation.parts:
                matrix[r, self.index[part]] += 1
            matrix[r, self.index[relation.total]] -= 1
        self._constraints = [optimize.LinearConstraint(matrix, 0, 0)] if rows else []
        self._box = optimize.Bounds([bounds.low[k] for k in cells],
                                    [np.inf if bounds.high[k] is None else bounds.high[k] for k in cells])

    def lowest(self, cell: Key) -> int:
        return int(self._solve(cell, 1.0))

    def highest(self, cell: Key) -> float:
        """The largest value (``inf`` where nothing bounds the cell above)."""
        return -self._solve(cell, -1.0)

    def reaches(self, cell: Key, level: int) -> bool:
        """Whether the cell can be ``level`` or more (a solution found earlier may show it)."""
        return any(w.get(cell, -1) >= level for w in self.witnesses) or self.highest(cell) >= level

    def _solve(self, cell: Key, sense: float) -> float:
        objective = np.zeros(len(self.index))
        objective[self.index[cell]] = sense
        result = self._optimize.milp(objective, integrality=np.ones(len(self.index)), bounds=self._box,
                                     constraints=self._constraints)
        if result.status == 0:
            # Every solution is a witness for the other cells too: most need no program of their own.
            self.witnesses.append({k: int(round(x)) for k, x in zip(self._cells, result.x)})
            return float(round(result.fun))
        if sense < 0:  # the true counts are a solution, so the maximum failing means unbounded
            return -np.inf
        raise RuntimeError(f"disclosure: the relations around {cell!r} cannot be solved ({result.message})")


class Registry:
    """Every count one report publishes, the relations between them, and the suppression decided
    over all of them at once (see the module docstring).

    Register counts with :meth:`count`, :meth:`difference` and :meth:`relate` (or :meth:`series`),
    call :meth:`protect`, then read each cell with :meth:`shown`. Registering
    a key again with the same value is a no-op, which is how two tables share a quantity.
    """

    def __init__(self, *, threshold: int = THRESHOLD, rounding: int | None = None, secondary: bool = True) -> None:
        if isinstance(threshold, bool) or int(threshold) != threshold or threshold < 1:
            raise ValueError(f"threshold: must be a whole number >= 1, got {threshold!r}")
        if rounding is not None and (isinstance(rounding, bool) or int(rounding) != rounding or rounding < 1):
            raise ValueError(f"rounding: must be a whole number >= 1 or None, got {rounding!r}")
        self.threshold = int(threshold)
        self.rounding = rounding
        self.secondary = secondary  # False: primary suppression alone (to show what it leaves open)
        self.cells: dict[Key, Cell] = {}
        self.relations: set[Relation] = set()
        self._touching: dict[Key, list[Relation]] = {}  # each cell's relations
        self._unprotected: set[Key] = set()
        self.generation = 0  # how many times protect() has run: what is shown may have changed

    # ------------------------------------------------------------ registering
    def count(self, key: Key, value: int, *, people: bool = True) -> Key:
        """A printed count; 1 to threshold-1 of people is hidden (primary suppression)."""
        return self._register(key, value, people=people, printed=True)

    def difference(self, key: Key, value: int) -> Key:
        """A count of people never printed but worked out from printed ones (tie it with
        :meth:`relate`): protected like a printed count."""
        return self._register(key, value, people=True, printed=False)

    def relate(self, parts: Sequence[Key], total: Key) -> None:
        """``sum(parts) == total`` (every key registered)."""
        values = [self.cells[k].value for k in parts]
        if sum(values) != self.cells[total].value:
            raise ValueError(f"disclosure: {total!r} is {self.cells[total].value}, its parts add up to {sum(values)}")
        relation = Relation(tuple(parts), total)
        if relation not in self.relations:
            self.relations.add(relation)
            for key in (*parts, total):
                self._touching.setdefault(key, []).append(relation)
            self._unprotected.update((*parts, total))

    def series(self, name: Hashable, counts: Iterable[tuple[Hashable, int]], *, total: Key | None) -> list[Key]:
        """Counts ``(name, label)`` with, where ``total`` is a key, their printed total."""
        keys = [self.count((name, label), value) for label, value in counts]
        if total is not None:
            self.count(total, sum(self.cells[k].value for k in keys))
            self.relate(keys, total)
        return keys

    def _register(self, key: Key, value: int, *, people: bool, printed: bool) -> Key:
        value = int(value)
        if value < 0:
            raise ValueError(f"disclosure: {key!r} is a count, got {value}")
        known = self.cells.get(key)
        if known is not None:
            if known.value != value:
                raise ValueError(f"disclosure: {key!r} is registered as {known.value} and again as {value}")
            return key
        small = people and 0 < value < self.threshold
        status = Status.HIDDEN if not printed else Status.PRIMARY if small else Status.PUBLISHED
        self.cells[key] = Cell(key, value, people, status)
        self._unprotected.add(key)
        return key

    # ------------------------------------------------------------ reading
    @property
    def settled(self) -> bool:
        """True once every registered cell and relation has been through :meth:`protect`."""
        return not self._unprotected

    def shown(self, key: Key) -> int | None:
        """A registered count as printed: None where hidden, rounded with ``rounding``."""
        cell = self.cells[key]
        if cell.status is not Status.PUBLISHED:
            return None
        return cell.value if self.rounding is None else self._rounded(cell.value)

    def _rounded(self, value: int) -> int:
        step = self.rounding or 1
        return int((value + step // 2) // step * step)

    def view(self) -> PublishedView:
        """The report as a reader sees it: the input to an attack."""
        return PublishedView(
            values={key: self.shown(key) for key in self.cells},
            hidden_differences=frozenset(k for k, c in self.cells.items() if c.status is Status.HIDDEN),
            relations=tuple(sorted(self.relations, key=repr)), rounding=self.rounding)

    # ------------------------------------------------------------ secondary suppression
    def protect(self) -> None:
        """Secondary suppression: hide further counts until every hidden cell meets the
        protection rule against the attack in the module docstring.

        Hiding a count only widens what the others can be (its value stays a solution), so a
        cell that passes stays protected and each is solved until it passes, not again after."""
        if not self.secondary:
            self._unprotected.clear()
            self.generation += 1
            return
        touched = {k for key in self._unprotected for k in self._linked_unknowns(key)[0]}
        pending = sorted((k for k in touched if self.cells[k].status is not Status.PUBLISHED), key=repr)
        witnesses: list[dict[Key, int]] = []  # solutions stay solutions while only hiding more
        while pending:
            cells, relations = self._linked_unknowns(pending[0])
            program = IntegerProgram(cells, relations, self._bounds(cells), witnesses)
            linked = set(cells)
            group = [k for k in pending if k in linked]
            exposed = next((k for k in group if not self._protected(self.cells[k], program)), None)
            passed = set(group if exposed is None else group[:group.index(exposed)])
            pending = [k for k in pending if k not in passed]
            if exposed is not None:  # stays pending, to be solved again with one more count hidden
                self._hide_cheapest_around(exposed, cells)
        self._publish_needless(witnesses)
        self._unprotected.clear()
        self.generation += 1

    def _linked_unknowns(self, start: Key) -> tuple[list[Key], list[Relation]]:
        """The cells a reader does not know exactly that are linked to ``start`` through
        relations, and those relations (``start`` alone when it is printed)."""
        known_exactly = self.rounding is None
        seen: dict[Key, None] = {start: None}  # ordered sets: the order the cells are met
        relations: dict[Relation, None] = {}
        queue = [start]
        touching = self._touching
        while queue:
            key = queue.pop()
            if known_exactly and self.cells[key].status is Status.PUBLISHED:
                continue
            for relation in touching.get(key, ()):
                relations[relation] = None
                for other in (*relation.parts, relation.total):
                    if other not in seen:
                        seen[other] = None
                        queue.append(other)
        return list(seen), list(relations)

    def _bounds(self, cells: Iterable[Key]) -> Bounds:
        """The attacker's bounds (see :meth:`PublishedView.bounds`) of some cells."""
        view = PublishedView(values={k: self.shown(k) for k in cells}, hidden_differences=frozenset(
            k for k in cells if self.cells[k].status is Status.HIDDEN), relations=(), rounding=self.rounding)
        return view.bounds()

    def _protected(self, cell: Cell, program: IntegerProgram) -> bool:
        """A small hidden count can reach the threshold (any other cell needs nothing)."""
        if self._small_hidden(cell):
            return program.reaches(cell.key, self.threshold)
        return True

    def _small_hidden(self, cell: Cell) -> bool:
        return 0 < cell.value < self.threshold and cell.status is not Status.PUBLISHED

    def _publish_needless(self, witnesses: list[dict[Key, int]]) -> None:
        """Print again each secondary count whose linked small cells all stay protected without
        it, the largest first (the counts a reader most wants, and the totals)."""
        secondary = [c for c in self.cells.values() if c.status is Status.SECONDARY]
        for cell in sorted(secondary, key=lambda c: (-c.value, repr(c.key))):
            linked, _ = self._linked_unknowns(cell.key)
            small = [k for k in linked if self._small_hidden(self.cells[k])]
            cell.status = Status.PUBLISHED
            # Printing the cell narrows what the others can be: only solutions agreeing with it stay.
            kept = [w for w in witnesses if w.get(cell.key, cell.value) == cell.value]
            if all(self._holds(key, kept) for key in small):
                witnesses[:] = kept
            else:
                cell.status = Status.SECONDARY

    def _holds(self, key: Key, witnesses: list[dict[Key, int]]) -> bool:
        cells, relations = self._linked_unknowns(key)
        program = IntegerProgram(cells, relations, self._bounds(cells), witnesses)
        return self._protected(self.cells[key], program)

    def _hide_cheapest_around(self, exposed: Key, group: list[Key]) -> None:
        """Hide the smallest printed count of people in a relation of ``exposed`` (or, when those
        are all hidden already, anywhere in its linked group)."""
        touching = self._touching
        near = {k for r in touching.get(exposed, ()) for k in (*r.parts, r.total)}
        totals = {r.total for r in self.relations}
        # Inner cells before totals: a hidden total leaves its parts less constrained, so
        # protecting with inner cells usually hides fewer counts in all.
        def cost(key: Key) -> tuple[bool, int, str]:
            return key in totals, self.cells[key].value, repr(key)

        for candidates in (near, set(group)):
            choice = min((k for k in candidates if self._can_hide(k)), key=cost, default=None)
            if choice is not None:
                self.cells[choice].status = Status.SECONDARY
                return
        raise RuntimeError(f"disclosure: no printed count left to hide that would protect {exposed!r}")

    def _can_hide(self, key: Key) -> bool:
        cell = self.cells[key]
        return cell.status is Status.PUBLISHED and cell.people and cell.value > 0
