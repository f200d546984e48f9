"""Layers import one way (``architecture.md``): io → store → derive → analysis → report, with crf
and synth beside them, and no module name repeated across layers. The order is declared once, in
``benchmarks/import_graph.py``."""

from __future__ import annotations

from pathlib import Path

from benchmarks.import_graph import (
    SOURCE,
    Edge,
    back_edges,
    graph_lines,
    import_edges,
    known_units,
    unplaced,
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_no_import_goes_against_the_layers() -> None:
    wrong = back_edges(import_edges())
    assert wrong == [], "\n".join(graph_lines(import_edges()))


def test_every_unit_has_a_place_in_the_order() -> None:
    assert unplaced() == []


def test_a_lazy_import_against_the_layers_is_a_back_edge(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "itpcohort",
        {
            "__init__.py": "",
            "io/__init__.py": "",
            "io/validation.py": "def check():\n    from itpcohort.store import validate\n",
            "store/__init__.py": "from itpcohort.io import validation\n",
            "report/__init__.py": "from ..analysis import results\n",
            "analysis/__init__.py": "",
            "analysis/results.py": "from . import plan\n",
        },
    )
    edges = import_edges(root)
    assert {(e.source, e.target) for e in edges} == {
        ("io", "store"),
        ("store", "io"),
        ("report", "analysis"),
    }
    assert back_edges(edges) == [Edge("io", "store", root / "io" / "validation.py", 2)]


def test_units_beside_the_layers_are_imported_only_by_the_wiring(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "itpcohort",
        {
            "__init__.py": "",
            "crf/__init__.py": "import itpcohort.store\n",
            "io/__init__.py": "from itpcohort.crf import labels\n",
            "cli.py": "from itpcohort import crf, synth\n",
        },
    )
    wrong = back_edges(import_edges(root))
    assert [(e.source, e.target) for e in wrong] == [("io", "crf")]


def _repeated_names(source: Path) -> list[str]:
    """Public module and package names (no leading underscore) found in two units of ``source``."""
    seen: dict[str, str] = {unit: unit for unit in known_units(source) if unit != "__init__"}
    repeated = []
    for unit in sorted(known_units(source)):
        top = source / unit
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            name = path.stem if path.suffix == ".py" else path.name
            if (path.suffix != ".py" and not (path / "__init__.py").exists()) or name.startswith(
                "_"
            ):
                continue
            if seen.setdefault(name, unit) != unit:
                repeated.append(f"{name}: {seen[name]} and {unit}")
    return repeated


def test_no_module_name_is_repeated_across_layers() -> None:
    """A ``pipeline`` of the store beside the project's ``pipeline`` reads as the same thing."""
    assert _repeated_names(SOURCE) == []


def test_a_repeated_name_is_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "itpcohort",
        {
            "pipeline.py": "",
            "store/__init__.py": "",
            "store/pipeline.py": "",
            "io/__init__.py": "",
            "io/report.py": "",
            "report/__init__.py": "",
            "report/_summary.py": "",
            "io/summary.py": "",
        },
    )
    assert _repeated_names(root) == ["report: report and io", "pipeline: pipeline and store"]
