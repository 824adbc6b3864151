"""Readers for NHS extracts: each returns socialrx tables and an account of every row.

Each reader takes a pandas DataFrame, an Arrow table or a path (CSV when it ends in ``.csv``
or ``.csv.gz``, Parquet in ``.parquet`` or ``.pq``; any other name is refused), with the
column names in its docstring: ``columns={"extract name": "socialrx name"}`` renames yours.
It returns an :class:`Extract` whose ``account`` says what became of every row read: mapped
(to an event kind or a table), merged into another row, or dropped by a reason; the rows add
up to the rows read.

Dates follow the package's one rule: Arrow/pandas dates and datetimes as they are, ISO 8601
text, any other text by ``date_format=`` (strftime, such as ``%d/%m/%Y``), whole numbers only
with ``date_format="%Y%m%d"`` or ``"excel"``, 1900-2100; a date that does not read is a
ValueError naming the extract, the column and the row.

With ``pseudonymise_key=`` (bytes, kept nowhere) ``person_id`` holds NHS numbers: they are
checked (Modulus 11; missing and invalid ones counted and dropped) and replaced by keyed
pseudonyms (see :mod:`socialrx.linkage`), the same in every extract read with the same key.
Without a key ``person_id`` must hold int64 ids.

Code maps ship as JSON in ``extracts/maps/``, each naming its source; ``code_map=`` replaces
entries code by code (a target, or None to leave the code out), and ``Extract.code_maps``
shows the maps used.
"""

from __future__ import annotations

from ._apc import apc_spells
from ._events import ambulance, ecds, gp_appointments, nhs111
from ._extract import Extract, combine
from ._read import CodeMap, shipped_map
from ._records import gp_coded, prsb

__all__ = ["CodeMap", "Extract", "ambulance", "apc_spells", "combine", "ecds", "gp_appointments", "gp_coded",
           "nhs111", "prsb", "shipped_map"]
