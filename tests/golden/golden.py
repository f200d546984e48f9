"""The flagship's outputs on the demo study, normalised so that two runs can be compared byte for byte.

Normalised: ``generated_at`` (results.json, the report's first and reproducibility lines) and the run's
folders (replaced by ``<OUT>``); the report's text drops the lines that print the protocol (elements
whose class holds ``protocol-print``, added by issue 19 to methods and reproducibility). Everything
else is compared as written. ``python -m tests.golden.golden DIR_EN DIR_FR`` rewrites the golden files
from two finished runs (the demo, then ``run DIR_EN/input --lang fr``).
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

GOLDEN = Path(__file__).parent / "flagship_demo"
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_BLOCKS = {
    "p", "h1", "h2", "h3", "h4", "li", "tr", "td", "th", "caption", "figcaption", "div",
    "section", "dt", "dd", "title", "pre", "table", "ul", "ol", "figure",
}  # fmt: skip
_VOID = {"img", "meta", "br", "link", "hr", "input", "source", "col", "wbr"}


class _Text(HTMLParser):
    """The visible text of report.html, one line per block, without the protocol lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.stack: list[bool] = []  # per open element: whether its text is hidden

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.lines.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        hidden = bool(self.stack and self.stack[-1])
        hidden = hidden or tag in ("style", "script")
        hidden = hidden or "protocol-print" in (dict(attrs).get("class") or "")
        if tag in _BLOCKS:
            self._flush()
        if tag not in _VOID:
            self.stack.append(hidden)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.current.append(data)


def _normalise(text: str, folders: list[Path]) -> str:
    for folder in folders:
        text = text.replace(str(folder), "<OUT>")
    return _STAMP.sub("<GENERATED_AT>", text)


def report_text(html: Path, folders: list[Path]) -> str:
    """The report's text, one line per block, with the protocol lines, stamps and folders removed."""
    parser = _Text()
    parser.feed(html.read_text(encoding="utf-8"))
    parser.close()
    parser._flush()
    return _normalise("\n".join(parser.lines) + "\n", folders)


def results_text(results: Path, folders: list[Path]) -> str:
    """results.json byte for byte as written, without its ``generated_at`` line, folders replaced."""
    text = results.read_text(encoding="utf-8")
    assert json.loads(text)["generated_at"], "results.json has no generated_at"
    kept = [line for line in text.splitlines(keepends=True) if '"generated_at":' not in line]
    return _normalise("".join(kept), folders)


def outputs(run_en: Path, run_fr: Path) -> dict[str, str]:
    """Every compared output of the two runs, by golden file name."""
    folders = [run_en, run_fr]
    found = {
        f"derived/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((run_en / "derived").glob("*.csv"))
    }
    found["results.json"] = results_text(run_en / "results.json", folders)
    found["report_en.txt"] = report_text(run_en / "report.html", folders)
    found["report_fr.txt"] = report_text(run_fr / "report.html", folders)
    return found


def golden() -> dict[str, str]:
    """The committed golden files, by name."""
    return {
        str(path.relative_to(GOLDEN)): path.read_text(encoding="utf-8")
        for path in sorted(GOLDEN.rglob("*"))
        if path.is_file()
    }


if __name__ == "__main__":
    for name, text in outputs(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()).items():
        target = GOLDEN / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
