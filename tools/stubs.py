"""Type stubs of the compiled core, python/socialrx/_core.pyi, made by pybind11-stubgen.

    python tools/stubs.py            # regenerate the committed stubs from the importable socialrx._core
    python tools/stubs.py --check    # exit 1, with a diff, when they differ from what the core gives now
    python tools/stubs.py --output DIR   # write DIR/socialrx/_core.pyi instead

The core read is the one of the ``socialrx`` this interpreter imports: the installed package
(``pip install --no-build-isolation --no-deps .`` first, after any change to bindings/), or with
``PYTHONPATH=python`` the core built in place. stubgen reads the signatures and docstrings pybind11
gives it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "socialrx._core"
COMMITTED = ROOT / "python" / "socialrx" / "_core.pyi"
REGENERATE = "python tools/stubs.py (after pip install --no-build-isolation --no-deps .)"


def core_home() -> tuple[Path, Path]:
    """(the folder holding the ``socialrx`` package this interpreter imports, its compiled core)."""
    spec = importlib.util.find_spec("socialrx")
    if spec is None or spec.origin is None:
        raise RuntimeError(f"socialrx is not importable: {REGENERATE}")
    package = Path(spec.origin).parent
    cores = [package / f"_core{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    core = next((path for path in cores if path.is_file()), None)
    if core is None:
        raise RuntimeError(f"{package} has no compiled _core: {REGENERATE}")
    return package.parent, core


def generate(output: Path, home: Path, python: str = sys.executable) -> Path:
    """Writes the stubs of the core of the ``socialrx`` in `home` under `output` (as
    output/socialrx/_core.pyi) and returns that file."""
    command = [python, "-m", "pybind11_stubgen", MODULE, "--output-dir", str(output), "--exit-code"]
    # Run from the output folder with `home` as the only extra path, so that stubgen reads the
    # core found above, whatever the caller's working folder or relative PYTHONPATH.
    environment = {**os.environ, "PYTHONPATH": str(home)}
    completed = subprocess.run(command, cwd=output, env=environment, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"pybind11-stubgen failed ({' '.join(command)}):\n{completed.stdout}{completed.stderr}")
    stub = output / "socialrx" / "_core.pyi"
    if not stub.is_file():
        raise RuntimeError(f"pybind11-stubgen wrote no {stub}")
    return stub


def drift(committed: Path, generated: Path) -> str:
    """A unified diff from the committed stubs to the generated ones; empty when they agree."""
    old = committed.read_text(encoding="utf-8").splitlines(keepends=True) if committed.is_file() else []
    new = generated.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, str(committed.relative_to(ROOT)), "generated now"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    parser.add_argument("--output", type=Path, help="write DIR/socialrx/_core.pyi instead of the committed file")
    args = parser.parse_args(argv)
    home, core = core_home()
    with tempfile.TemporaryDirectory() as folder:
        stub = generate(Path(folder), home)
        if args.check:
            difference = drift(COMMITTED, stub)
            if difference:
                sys.stdout.write(difference)
                print(f"\n{COMMITTED.relative_to(ROOT)} is out of date with {core}: {REGENERATE}", file=sys.stderr)
                return 1
            print(f"{COMMITTED.relative_to(ROOT)} matches {core}")
            return 0
        target = args.output / "socialrx" / "_core.pyi" if args.output else COMMITTED
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stub.read_text(encoding="utf-8"), encoding="utf-8")
        print(f"wrote {target} from {core}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
