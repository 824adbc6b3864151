"""The account of an extract: what became of every input row, decided once per row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ACCOUNT_COLUMNS = ("extract", "outcome", "detail", "rows")
UNKNOWN_CODE_COLUMNS = ("extract", "column", "code", "rows")


class Ledger:
    """Each input row's fate: mapped (to an event kind or a table), merged into another row
    (a later episode of a spell), or dropped by a reason.

    The first decision about a row stands, so a reader marks rows in order of precedence: a row
    without a valid NHS number is counted as that, whatever its codes say.
    """

    def __init__(self, extract: str, rows: int) -> None:
        self.extract = extract
        self._decided = np.zeros(rows, bool)
        self._labels: list[tuple[str, str]] = []
        self._rows: list[int] = []  # rows per label, counted as they are decided
        self._unknown: list[tuple[str, str, int]] = []

    def undecided(self) -> np.ndarray:
        return ~self._decided

    def _label(self, label: tuple[str, str]) -> int:
        if label not in self._labels:
            self._labels.append(label)
            self._rows.append(0)
        return self._labels.index(label)

    def decide_each(self, choice: np.ndarray, labels: Sequence[tuple[str, str]]) -> np.ndarray:
        """Give every undecided row with ``choice`` >= 0 the fate ``labels[choice]`` (outcome,
        detail), all labels in one pass; returns the rows this decided."""
        new = (choice >= 0) & self.undecided()
        if not new.any():
            return new
        self._decided |= new
        for index, label in enumerate(labels):  # a pass per label: the labels are few, and a
            rows = int(np.count_nonzero(new & (choice == index)))  # pass is ~5x cheaper than a gather
            if rows:
                self._rows[self._label(label)] += rows
        return new

    def _decide(self, rows: np.ndarray, outcome: str, detail: str) -> np.ndarray:
        new = rows & self.undecided()
        count = int(np.count_nonzero(new))
        if count:
            self._decided |= new
            self._rows[self._label((outcome, detail))] += count
        return new

    def drop(self, rows: np.ndarray, reason: str) -> np.ndarray:
        """Drop the undecided ``rows`` for ``reason``; returns the rows this dropped."""
        return self._decide(rows, "dropped", reason)

    def merge(self, rows: np.ndarray, detail: str) -> np.ndarray:
        return self._decide(rows, "merged", detail)

    def map(self, rows: np.ndarray, detail: str) -> np.ndarray:
        return self._decide(rows, "mapped", detail)

    def map_each(self, choice: np.ndarray, details: Sequence[str]) -> np.ndarray:
        """Map every undecided row with ``choice`` >= 0 to ``details[choice]``; returns them."""
        return self.decide_each(choice, [("mapped", detail) for detail in details])

    def decide_counted(self, rows: np.ndarray, counts: Sequence[tuple[tuple[str, str], int]]) -> None:
        """Decide the undecided ``rows`` at once, their fates counted by the reader: rows per
        (outcome, detail), in the order the labels first appear, adding up to the rows."""
        new = rows & self.undecided()
        if sum(n for _, n in counts) != np.count_nonzero(new):
            raise AssertionError(f"{self.extract}: the fates counted do not add up to the rows decided")
        self._decided |= new
        for label, rows_of_label in counts:
            if rows_of_label:
                self._rows[self._label(label)] += rows_of_label

    def note_unknown(self, column: str, dictionary: Sequence[object], positions: np.ndarray) -> None:
        """Count the unknown codes (``dictionary[positions]``) of one column, code by code."""
        self.note_unknown_counts(column, dictionary, np.bincount(positions, minlength=len(dictionary)))

    def note_unknown_counts(self, column: str, dictionary: Sequence[object], counts: np.ndarray) -> None:
        """Count the unknown codes of one column: ``counts[i]`` rows of ``dictionary[i]``."""
        self._unknown.extend((column, str(dictionary[i]), int(counts[i])) for i in np.flatnonzero(counts).tolist())

    def account(self) -> pd.DataFrame:
        """One line per fate with its rows; the rows add up to the rows read."""
        if not self._decided.all():  # a reader that forgot a row is a bug, not bad input
            raise AssertionError(f"{self.extract}: row {int(np.flatnonzero(self.undecided())[0])} has no fate")
        return _frame(ACCOUNT_COLUMNS, [(self.extract, outcome, detail, rows)
                                        for (outcome, detail), rows in zip(self._labels, self._rows)])

    def unknown_codes(self) -> pd.DataFrame:
        return _frame(UNKNOWN_CODE_COLUMNS, [(self.extract, *entry) for entry in self._unknown])


def _frame(names: Sequence[str], entries: list[tuple[object, ...]]) -> pd.DataFrame:
    """Entries as a table whose last column, ``rows``, is int64: built by columns (a few times
    faster than from the tuples, which matters where readers run on many small extracts)."""
    columns = list(zip(*entries)) if entries else [()] * len(names)
    *text, rows = columns
    return pd.DataFrame({**dict(zip(names, map(list, text))), names[-1]: np.array(rows, np.int64)})
