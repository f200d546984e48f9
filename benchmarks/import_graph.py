"""The layer import graph of ``src/itpcohort``, computed from the code (``architecture.md``, Layout).

``python -m benchmarks.import_graph`` prints, for each layer in order, the layers it imports; an
import against the order (a back-edge) is printed with its file and line, and the exit status is 1.
Every ``import`` counts, those inside functions (lazy imports) and under ``TYPE_CHECKING`` included.

The order is declared once, here (``LAYER_ORDER``), and ``tests/unit/test_layers.py`` holds the code
to it. A unit may import only units before it: the foundations every layer may use, then the five
layers io → store → derive → analysis → report, then the wiring (the modules that run one layer on
another, the command line). ``crf`` and ``synth`` stand beside the layers (``BESIDE``): each may
import the units up to its anchor, and only the wiring imports them.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: the package whose graph is drawn
PACKAGE = "itpcohort"
#: the default source root
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

#: foundations every layer may import, in their own order
FOUNDATIONS: tuple[str, ...] = (
    "__init__",
    "errors",
    "schema",
    "derived_schema",
    "criteria",
    "config",
    "shared",
)
#: the data layers, in the order data flows (each imports only those before it)
LAYERS: tuple[str, ...] = ("io", "store", "derive", "analysis", "report")
#: the modules that wire layers together, run a layer on another, or drive the command line
WIRING: tuple[str, ...] = (
    "derivation",
    "engines",
    "outputs",
    "omop",
    "pipeline",
    "omop_pipeline",
    "cli",
    "__main__",
)
#: the whole order: a unit may import only the units before it
LAYER_ORDER: tuple[str, ...] = FOUNDATIONS + LAYERS + WIRING
#: units beside the layers -> the last unit they may import (only the wiring imports them)
BESIDE: dict[str, str] = {"crf": "store", "synth": "shared"}


@dataclass(frozen=True)
class Edge:
    """One import of ``target`` by a module of ``source`` (units of ``LAYER_ORDER``/``BESIDE``)."""

    source: str
    target: str
    path: Path
    line: int


#: packages counted as the unit of another: a protocol document holds its criteria set (``protocols``
#: reads the criteria sets, a criteria set carries the protocol's course rules): one foundation
SAME_UNIT: dict[str, str] = {"protocols": "criteria"}


def unit_of(module: str) -> str:
    """The unit of a dotted module name under ``itpcohort``: its first component (or the unit it
    belongs to, ``SAME_UNIT``), or ``__init__`` for the package itself (``itpcohort.__version__``)."""
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 else "__init__"
    return SAME_UNIT.get(unit, unit)


def _module_name(root: Path, path: Path) -> tuple[str, bool]:
    relative = path.relative_to(root).with_suffix("")
    parts = [PACKAGE, *relative.parts]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names ``node`` imports, relative imports resolved against ``module``."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    if base == PACKAGE:  # from itpcohort import cli, __version__
        yield from (f"{PACKAGE}.{alias.name}" for alias in node.names)
    else:
        yield base


def import_edges(root: Path = SOURCE) -> list[Edge]:
    """Every import of one unit by another under ``root``, in file and line order."""
    units = known_units(root)
    edges = []
    for path in sorted(root.rglob("*.py")):
        module, is_package = _module_name(root, path)
        source = unit_of(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported(node, module, is_package):
                if name != PACKAGE and not name.startswith(PACKAGE + "."):
                    continue
                target = unit_of(name)
                if target not in units:  # from itpcohort import __version__
                    target = "__init__"
                if target != source:
                    edges.append(Edge(source, target, path, node.lineno))
    return sorted(edges, key=lambda e: (str(e.path), e.line, e.target))


def known_units(root: Path = SOURCE) -> set[str]:
    """The units under ``root``: top-level modules and packages, and ``__init__``."""
    found = {p.stem for p in root.glob("*.py")} | {
        p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    return {SAME_UNIT.get(unit, unit) for unit in found}


def rank(unit: str) -> float:
    """A unit's place in the order; a unit beside the layers sits just after its anchor."""
    if unit in BESIDE:
        return LAYER_ORDER.index(BESIDE[unit]) + 0.5
    return LAYER_ORDER.index(unit)


def allowed(source: str, target: str) -> bool:
    """Whether a module of ``source`` may import ``target``: an earlier unit, and a unit beside
    the layers only from the wiring."""
    if target in BESIDE and source not in WIRING:
        return False
    return rank(target) < rank(source)


def back_edges(edges: list[Edge]) -> list[Edge]:
    """The edges against ``LAYER_ORDER`` and ``BESIDE``."""
    return [e for e in edges if not allowed(e.source, e.target)]


def unplaced(root: Path = SOURCE) -> list[str]:
    """The units under ``root`` that have no place in the order (a new package must be given one)."""
    return sorted(known_units(root) - set(LAYER_ORDER) - set(BESIDE))


def graph_lines(edges: list[Edge]) -> list[str]:
    """The graph as text: one line per unit in order, with the units it imports, then every
    back-edge with its file and line."""
    targets: dict[str, set[str]] = {}
    for edge in edges:
        targets.setdefault(edge.source, set()).add(edge.target)
    order = sorted(
        {*LAYER_ORDER, *BESIDE} & ({e.source for e in edges} | set(LAYER_ORDER)), key=rank
    )
    lines = []
    for unit in order:
        imported = sorted(targets.get(unit, ()), key=rank)
        tag = f"  (beside, up to {BESIDE[unit]})" if unit in BESIDE else ""
        lines.append(f"{unit:>14} -> {', '.join(imported) or '-'}{tag}")
    wrong = back_edges(edges)
    lines.append(f"back-edges: {len(wrong)}")
    lines.extend(f"  {e.source} -> {e.target}  {e.path}:{e.line}" for e in wrong)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the graph of ``argv[0]`` (default ``src/itpcohort``); exit 1 on a back-edge or an
    unplaced unit."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else SOURCE
    edges = import_edges(root)
    print("\n".join(graph_lines(edges)))
    missing = unplaced(root)
    if missing:
        print(f"units with no place in LAYER_ORDER: {', '.join(missing)}")
    return 1 if back_edges(edges) or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
