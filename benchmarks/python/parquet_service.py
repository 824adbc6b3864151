"""The synthetic service as Parquet files, for the benchmarks that read from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import socialrx


def write_service(folder: Path, n_clients: int, n_comparison: int, min_events: int, files: int) -> dict[str, Any]:
    """``clients.parquet``, ``comparison/`` and ``events/`` in ``folder``: the events repeated up
    to ``min_events`` rows, each copy shared out over ``files`` files of 1M-row groups (so that
    every file holds some of each). Returns the data range (Timestamps) and the event count."""
    service = socialrx.synthetic(n_clients=n_clients, n_comparison=n_comparison, seed=7)
    service.clients.to_parquet(folder / "clients.parquet", index=False)
    (folder / "comparison").mkdir()
    service.comparison.to_parquet(folder / "comparison" / "part-0.parquet", index=False)
    events = pa.Table.from_pandas(service.events, preserve_index=False)
    copies = max(1, -(-min_events // len(events)))
    (folder / "events").mkdir()
    writers = [pq.ParquetWriter(folder / "events" / f"part-{i}.parquet", events.schema) for i in range(files)]
    share = -(-len(events) // files)
    for _ in range(copies):
        for i, writer in enumerate(writers):
            writer.write_table(events.slice(i * share, share), row_group_size=1_000_000)
    for writer in writers:
        writer.close()
    return {"data_start": service.data_start, "data_end": service.data_end, "events": copies * len(events)}
