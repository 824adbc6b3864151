"""What a reader returns: socialrx tables and the account of every row read."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._measures import EVENT_KINDS
from ._ledger import ACCOUNT_COLUMNS, UNKNOWN_CODE_COLUMNS, Ledger
from ._read import CodeMap, as_datetimes

_TABLES = ("events", "diagnoses", "clients", "interventions", "assessments")


@dataclass(frozen=True)
class Extract:
    """One extract read into socialrx tables.

    ``events`` (``person_id`` int64, ``date`` datetime64, ``kind``, ``count`` int64 and any
    columns the reader keeps beside them), ``diagnoses``, ``clients``, ``interventions`` and
    ``assessments`` are None where the extract has none. ``account`` has one line per fate of
    the input rows (``extract``, ``outcome`` mapped / merged / dropped, ``detail``, ``rows``):
    its rows add up to the rows read. ``unknown_codes`` counts the codes no map knew, and
    ``code_maps`` are the maps used, each with its source.
    """

    name: str
    account: pd.DataFrame
    unknown_codes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(UNKNOWN_CODE_COLUMNS)))
    code_maps: Mapping[str, CodeMap] = field(default_factory=dict)
    events: pd.DataFrame | None = None
    diagnoses: pd.DataFrame | None = None
    clients: pd.DataFrame | None = None
    interventions: pd.DataFrame | None = None
    assessments: pd.DataFrame | None = None

    @property
    def rows_read(self) -> int:
        return int(self.account["rows"].sum())

    def _table_sizes(self) -> list[str]:
        return [f"{name}: {len(table):,} rows" for name in _TABLES if (table := getattr(self, name)) is not None]

    def summary(self) -> str:
        """The account as text: rows read, then each fate with its rows, tables out, unknown codes."""
        lines = [f"{self.name}: {self.rows_read:,} rows read", *("  " + s for s in self._table_sizes())]
        width = max((len(f"{r.extract}  {r.outcome:<8} {r.detail}") for r in self.account.itertuples()), default=0)
        for row in self.account.itertuples(index=False):
            lines.append(f"  {f'{row.extract}  {row.outcome:<8} {row.detail}':<{width}}  {row.rows:>12,}")
        for row in self.unknown_codes.itertuples(index=False):
            lines.append(f"  unknown {row.column} code {row.code!r}: {row.rows:,} rows")
        lines += [f"  code map {code_map.column}: {code_map.source}" for code_map in self.code_maps.values()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Extract {self.name}: {self.rows_read:,} rows read; {'; '.join(self._table_sizes())}>"

    def _repr_html_(self) -> str:
        tables = "".join(f"<li>{html.escape(s)}</li>" for s in self._table_sizes())
        sources = "".join(f"<li>{html.escape(m.column)}: {html.escape(m.source)}</li>" for m in self.code_maps.values())
        unknown = self.unknown_codes.to_html(index=False) if len(self.unknown_codes) else ""
        return (f"<b>{html.escape(self.name)}</b>: {self.rows_read:,} rows read<ul>{tables}</ul>"
                f"{self.account.to_html(index=False)}{unknown}"
                + (f"<p>Code maps:</p><ul>{sources}</ul>" if sources else ""))


def events_frame(person: np.ndarray, day_numbers: np.ndarray, kind: np.ndarray, count: np.ndarray | None = None,
                 beside: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The events table: ``day_numbers`` as int32 days (or datetime64 already), ``kind`` as
    indices into ``EVENT_KINDS`` (a categorical with every kind, in their order, which the
    engines read without recoding), ``count`` 1 unless given, and any columns ``beside`` the
    events."""
    return pd.DataFrame({
        "person_id": person, "date": day_numbers if day_numbers.dtype.kind == "M" else as_datetimes(day_numbers),
        "kind": pd.Categorical.from_codes(kind, categories=pd.Index(EVENT_KINDS)),
        "count": np.ones(len(person), np.int64) if count is None else np.asarray(count, np.int64),
        **(beside or {}),
    }, copy=False)  # the columns are new arrays: consolidating them into blocks would copy them all


def kind_index(kinds: list[str], extract: str, column: str) -> np.ndarray:
    """Each target of a code map as its position in ``EVENT_KINDS``; a target that is no event
    kind (from a user's code map) is a ValueError."""
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise ValueError(f"{extract}: code_map for {column} maps to {', '.join(map(repr, unknown))}, not event "
                         f"kinds (expected one of: {', '.join(EVENT_KINDS)})")
    return np.array([EVENT_KINDS.index(k) for k in kinds], dtype=np.int8)  # the categorical's own code type


def finished(ledger: Ledger, code_maps: Mapping[str, CodeMap] | None = None, *, name: str | None = None,
             also: Sequence[Ledger] = (), **tables: pd.DataFrame | None) -> Extract:
    """The extract read: ``ledger``'s account, then those of the extract's other tables (``also``)."""
    ledgers = [ledger, *also]
    account = pd.concat([lg.account() for lg in ledgers], ignore_index=True)
    unknown = pd.concat([lg.unknown_codes() for lg in ledgers], ignore_index=True)
    return Extract(name or ledger.extract, account, unknown, dict(code_maps or {}), **tables)


def combine(*parts: Extract) -> Extract:
    """One extract from several: every part's events (and diagnoses) in one table, the accounts
    one after the other, each line naming its extract. Clients, interventions and assessments
    come from the one part that has them; two parts with clients are a ValueError, since a
    person would be two clients."""
    if not parts or not all(isinstance(p, Extract) for p in parts):
        raise TypeError("combine: expected one or more Extracts")
    tables: dict[str, pd.DataFrame | None] = {}
    for name in ("events", "diagnoses"):
        present = [t for p in parts if (t := getattr(p, name)) is not None]
        tables[name] = pd.concat(present, ignore_index=True) if present else None
    for name in ("clients", "interventions", "assessments"):
        holders = [p for p in parts if getattr(p, name) is not None]
        if len(holders) > 1:
            raise ValueError(f"combine: {name} come from {' and '.join(p.name for p in holders)}; combine the "
                             f"events and take {name} from one of them")
        tables[name] = getattr(holders[0], name) if holders else None
    return Extract(
        "+".join(p.name for p in parts),
        pd.concat([p.account for p in parts], ignore_index=True)[list(ACCOUNT_COLUMNS)],
        pd.concat([p.unknown_codes for p in parts if len(p.unknown_codes)] or [parts[0].unknown_codes],
                  ignore_index=True),
        {f"{p.name}.{column}": m for p in parts for column, m in p.code_maps.items()},
        **tables)
