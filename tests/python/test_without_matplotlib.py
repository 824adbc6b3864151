"""Without matplotlib (the ``report`` extra): socialrx imports and computes, and asking for the
report is an ImportError that says how to install what it needs.

Each check runs in a fresh interpreter whose import system refuses ``matplotlib``, so that
nothing this test session already imported (matplotlib, the compiled core) can hide a missing
guard, and the session itself is left as it was.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import socialrx

# Installed before anything else runs: `import matplotlib` (or any submodule) fails as it
# would where matplotlib is not installed.
BLOCK_MATPLOTLIB = textwrap.dedent("""
    import importlib.abc
    import sys

    class _NoMatplotlib(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "matplotlib" or name.startswith("matplotlib."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoMatplotlib())
    for loaded in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        del sys.modules[loaded]
""")

INSTALL_HINT = re.compile(r"pip install ['\"]?socialrx\[report\]['\"]?")


def _run_without_matplotlib(code: str, tmp_path: Path) -> dict:
    """Runs `code` (which sets `result`, a JSON-able dict) with matplotlib hidden."""
    package_root = str(Path(socialrx.__file__).resolve().parents[1])
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    script = BLOCK_MATPLOTLIB + textwrap.dedent(code) + "\nimport json\nprint(json.dumps(result))\n"
    completed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=environment,
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, f"the child failed:\n{completed.stderr}"
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_block_works(tmp_path):
    result = _run_without_matplotlib("""
        try:
            import matplotlib  # noqa: F401
            result = {"imported": True}
        except ImportError:
            result = {"imported": False}
    """, tmp_path)
    assert result == {"imported": False}


def test_socialrx_imports_and_computes_without_matplotlib(tmp_path):
    result = _run_without_matplotlib("""
        import sys
        import socialrx
        import socialrx.report  # the report module itself imports; drawing needs matplotlib
        service = socialrx.synthetic(n_clients=200, n_comparison=800, seed=3)
        ev = socialrx.Evaluation(clients=service.clients, events=service.events, tariff="example",
                                 data_start=service.data_start, data_end=service.data_end)
        reach = ev.reach()
        result = {"rows": len(reach), "matplotlib_loaded": any(m.startswith("matplotlib") for m in sys.modules)}
    """, tmp_path)
    assert result["rows"] > 0
    assert result["matplotlib_loaded"] is False


def test_require_matplotlib_names_the_extra(tmp_path):
    result = _run_without_matplotlib("""
        from socialrx._optional import require_matplotlib
        try:
            require_matplotlib()
            result = {"raised": None}
        except ImportError as error:
            result = {"raised": type(error).__name__, "message": str(error), "name": error.name}
    """, tmp_path)
    assert result["raised"] == "ImportError"
    assert result["name"] == "matplotlib"
    assert INSTALL_HINT.search(result["message"]), result["message"]


def test_report_without_matplotlib_says_how_to_install_it(tmp_path):
    result = _run_without_matplotlib("""
        import socialrx
        service = socialrx.synthetic(n_clients=200, n_comparison=800, seed=3)
        ev = socialrx.Evaluation(clients=service.clients, events=service.events,
                                 assessments=service.assessments, interventions=service.interventions,
                                 feedback=service.feedback, comparison=service.comparison, tariff="example",
                                 data_start=service.data_start, data_end=service.data_end)
        try:
            ev.report("report.html", bootstrap=20)
            result = {"raised": None}
        except ImportError as error:
            result = {"raised": type(error).__name__, "message": str(error)}
        import os
        result["written"] = os.path.exists("report.html")
    """, tmp_path)
    assert result["raised"] == "ImportError", "Evaluation.report wrote a report without matplotlib"
    assert INSTALL_HINT.search(result["message"]), (
        f"Evaluation.report's ImportError does not say `pip install 'socialrx[report]'`: {result['message']!r}")
    assert result["written"] is False
