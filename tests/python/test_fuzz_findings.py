"""Files the fuzz harnesses (fuzz/README.md) found aborting the process. Each is read in a child
process, so that an abort fails the test instead of ending the test run."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import socialrx

_READ = """
import sys
from socialrx import _tables
try:
    _tables.read_table(sys.argv[1], "clients")
except ValueError as error:
    print(error)
"""


def _read_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    package_root = str(Path(socialrx.__file__).parents[1])
    return subprocess.run([sys.executable, "-c", _READ, str(path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": package_root}, check=False)


def _parquet_with_chunk_typed_int96() -> bytes:
    """One int64 column, client_id = [1], whose column chunk's metadata says INT96 while the
    schema says INT64. In the footer's compact Thrift, ColumnChunk.meta_data is field 3, a
    struct (byte 0x1c), and its first field, type (i32, 0x15), holds INT64 = 2 as the zigzag
    varint 4; INT96 = 3 is 6."""
    buffer = io.BytesIO()
    pq.write_table(pa.table({"client_id": pa.array([1], pa.int64())}), buffer, store_schema=False)
    data = bytearray(buffer.getvalue())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    at = data.index(b"\x1c\x15\x04", footer) + 2
    data[at] = 6
    return bytes(data)


def test_parquet_chunk_type_other_than_the_schema_type_is_a_value_error(tmp_path: Path) -> None:
    """pyarrow 26 aborts (an uncaught parquet::ParquetException) when the statistics of such a
    chunk are asked for; reading its rows raises OSError, which the reader turns into a ValueError."""
    path = tmp_path / "clients.parquet"
    path.write_bytes(_parquet_with_chunk_typed_int96())
    child = _read_in_child(path)
    assert child.returncode == 0, child.stderr
    assert child.stdout.startswith(f"{path}: not a readable Parquet file")
