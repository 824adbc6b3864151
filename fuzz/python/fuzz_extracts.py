#!/usr/bin/env python3
"""The extract readers (socialrx.extracts) on a small DataFrame drawn from fuzz bytes.

The bytes pick the reader, the number of rows, the date format, whether NHS numbers are
pseudonymised, and each column's type (whole numbers, floats, text, dates) and cells, with
missing cells among them: every column a reader reads, its optional ones included.
"""

from __future__ import annotations

import _harness
import atheris
import pandas as pd

from socialrx import extracts

# Each reader with the columns it reads besides person_id.
READERS = (
    (extracts.ecds, ("arrival_date", "attendance_category", "department_type")),
    (extracts.gp_appointments, ("appointment_date", "appointment_mode", "appointment_status")),
    (extracts.ambulance, ("incident_date", "outcome")),
    (extracts.nhs111, ("call_date",)),
    (extracts.apc_spells, ("admission_date", "discharge_date", "admission_method", "spell_id", "episode_order",
                           "provider_code", "diagnosis_1")),
)
DATE_FORMATS = (None, "%d/%m/%Y", "%Y%m%d", "excel")
MAX_ROWS = 6


def whole(fdp: atheris.FuzzedDataProvider) -> int:
    return fdp.ConsumeIntInRange(-3, 40) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(-(2**63), 2**63 - 1)


def decimal(fdp: atheris.FuzzedDataProvider) -> float:
    return float(fdp.ConsumeFloat())  # NaN and the infinities among them


def text(fdp: atheris.FuzzedDataProvider) -> str:
    return str(fdp.ConsumeUnicodeNoSurrogates(12))


def date(fdp: atheris.FuzzedDataProvider) -> pd.Timestamp:
    return pd.Timestamp(fdp.ConsumeIntInRange(1900, 2100), fdp.ConsumeIntInRange(1, 12), fdp.ConsumeIntInRange(1, 28))


CELLS = (whole, decimal, text, date)


def column(fdp: atheris.FuzzedDataProvider, rows: int) -> list[object]:
    """One column: cells of one type, a few of them missing."""
    cell = CELLS[fdp.ConsumeIntInRange(0, len(CELLS) - 1)]
    return [None if fdp.ConsumeIntInRange(0, 7) == 0 else cell(fdp) for _ in range(rows)]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    reader, names = READERS[fdp.ConsumeIntInRange(0, len(READERS) - 1)]
    rows = fdp.ConsumeIntInRange(0, MAX_ROWS)
    frame = pd.DataFrame({name: column(fdp, rows) for name in ("person_id", *names)})
    key = b"fuzz key" if fdp.ConsumeBool() else None
    reader(frame, date_format=DATE_FORMATS[fdp.ConsumeIntInRange(0, len(DATE_FORMATS) - 1)], pseudonymise_key=key)


if __name__ == "__main__":
    _harness.fuzz(test_one_input)
