"""What every Python harness shares: bad input must come back as ValueError, TypeError or
ImportError (a missing optional package); any other exception escaping is a crash that atheris
reports and saves. socialrx's own modules are instrumented for coverage, the libraries under
it are not (they are fuzzed by their own projects)."""

from __future__ import annotations

import contextlib
import gc
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import atheris
import numpy  # noqa: F401  imported before the instrumented block, so left uninstrumented
import pandas  # noqa: F401
import pyarrow  # noqa: F401

with atheris.instrument_imports(include=["socialrx"]):
    import socialrx  # noqa: F401

EXPECTED = (ValueError, TypeError, ImportError)

# One directory for the files a harness writes, overwritten input after input: in memory where
# the system has a tmpfs, since rewriting a file on a disk file system cost 2.8 ms against 14 us.
_MEMORY = Path("/dev/shm")
_scratch = tempfile.TemporaryDirectory(prefix="socialrx-fuzz-", dir=_MEMORY if _MEMORY.is_dir() else None)
SCRATCH = Path(_scratch.name)


def input_errors() -> contextlib.suppress:
    """A block in which the errors bad input should raise are caught."""
    return contextlib.suppress(*EXPECTED)


def accept_input_errors(test_one_input: Callable[[bytes], object]) -> Callable[[bytes], None]:
    """``test_one_input`` with the errors bad input should raise caught."""

    def run(data: bytes) -> None:
        with input_errors():
            test_one_input(data)

    return run


def fuzz(test_one_input: Callable[[bytes], object]) -> None:
    """Fuzz ``test_one_input`` with the command line's libFuzzer options and corpus."""
    atheris.Setup(sys.argv, accept_input_errors(test_one_input))
    gc.freeze()  # the libraries' objects, alive for the whole run, left out of every collection
    atheris.Fuzz()


def scratch_file(name: str, data: bytes) -> Path:
    """``data`` written to the scratch file ``name``."""
    path = SCRATCH / name
    path.write_bytes(data)
    return path
