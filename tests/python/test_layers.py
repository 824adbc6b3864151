"""The package imports one way: readers and definitions, then the engines' figures, then
presentation. Every import counts, at module level or inside a function; only imports for type
checking (under ``if TYPE_CHECKING:``) are left out, since they never run."""

from __future__ import annotations

import ast
from pathlib import Path

import socialrx

PACKAGE = Path(socialrx.__file__).parent
# Lower layers first; a module may import its own layer and those before it, never a later one.
LAYERS = (
    {"_version", "_core", "_optional"},
    {"_columns", "_codes", "_measures", "tariff", "linkage", "extracts", "extracts._apc", "extracts._events",
     "extracts._extract", "extracts._ledger", "extracts._read", "extracts._records", "_tables", "periods",
     "kind_groups", "population"},
    {"disclosure", "outcomes", "support", "funding", "synthetic", "did", "matching", "evaluation", "summary",
     "practices", "risk", "risk.case_list", "risk.comorbidity", "risk.hiu", "risk.lace", "risk.models", "risk.scoring",
     "quality", "trends", "equity", "partitioned", "dask", "spark", "out_of_core", "surveys", "operations"},
    {"_plots", "cli", "__main__", "report", "report._html", "report._comparison", "report._published",
     "report._summary", "report._reach", "report._referred", "report._support", "report._feedback", "report._outcomes",
     "report._wellbeing", "report._utilisation", "report._did", "report._cost", "report._net", "report._methods",
     "report._periods", "report._header", "report._matching", "report._quality", "report._trends", "report._practices",
     "report._equity", "report._funding", "report._surveys", "report._workforce"},
)
# The calls that reach up a layer: Evaluation.report() hands the evaluation to the report, and
# DiDResult.plot(), TrendResult.plot() and EquityResult.plot() hand the result's figures to the
# plotting module. Evaluation(events=<Parquet files>) makes the out-of-core evaluation, a
# subclass, when it is called (a loop within one layer).
HOOKS = {("evaluation", "report"), ("did", "_plots"), ("trends", "_plots"), ("equity", "_plots"),
         ("evaluation", "out_of_core")}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path) -> set[str]:
    """The package's own modules that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    here = _module_name(path).split(".")
    package = here[:-1] if path.name != "__init__.py" else here
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level == 0 or node.lineno in skip:
            continue
        base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        base = [p for p in base if p != "__init__"]
        if node.module:
            found.add(".".join([*base, *node.module.split(".")]))
        else:  # from . import x
            found.update(".".join([*base, alias.name]) for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    graph = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}
    return {m: {d for d in deps if d in graph or d == "_core"} for m, deps in graph.items()}


def _layer(module: str) -> int:
    return next(i for i, members in enumerate(LAYERS) if module in members)


def test_every_module_has_a_layer():
    modules = set(_graph()) - {"__init__"}
    assert modules <= set().union(*LAYERS), modules - set().union(*LAYERS)


def test_no_module_imports_a_later_layer():
    upward = sorted((m, d) for m, deps in _graph().items() if m != "__init__" for d in deps
                    if _layer(d) > _layer(m) and (m, d) not in HOOKS)
    assert upward == []


def test_no_import_cycle():
    # A hook runs only when its call does, after every module has loaded: the loop it closes
    # (the report reads the headline, which reads the evaluation) is the one the layers allow.
    graph = {m: {d for d in deps if (m, d) not in HOOKS} for m, deps in _graph().items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph.get(module, ())):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep] if dep in path else [module, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The rules above can fail: a planted cycle and an upward import are both caught."""
    for name, text in (("__init__.py", ""), ("_columns.py", "from .cli import main\n"),
                       ("cli.py", "from ._columns import x\n")):
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    graph = _graph()
    assert graph["_columns"] == {"cli"} and graph["cli"] == {"_columns"}
    assert _layer("cli") > _layer("_columns")
