"""The written report as files: languages, determinism, Word structure, CSV safety, figures.

A test here reads what ``write_report`` wrote for the realistic fixture cohort (``conftest``).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import GENERATED_AT, Cohort
from PIL import Image
from report_helpers import csv_grid, docx_text, read_html

from itpcohort.report import MESSAGES, ReportFiles, write_report

EXPECTED_FIGURES = ("flow", "transitions", "km", "km_cr", "swimmer", "forest")


def _identical_in_both_languages() -> list[re.Pattern[str]]:
    """Texts the catalogue declares the same in English and French (codes, names, "Figure"),
    as patterns (a placeholder matches anything; a numbered label "Figure 1." matches "Figure")."""
    patterns = []
    for en, fr in MESSAGES.values():
        if en == fr:
            parts = re.split(r"\{[^}]*\}", en)
            patterns.append(
                re.compile(".+".join(re.escape(part) for part in parts) + r"(?:\s*\d+\.)?")
            )
    return patterns


def _words(text: str) -> bool:
    return re.search(r"[A-Za-z]{2,}", text) is not None


def test_french_html_holds_no_english_text(written: dict[str, ReportFiles]) -> None:
    """Every translatable English text node of the English report is absent from the French one.

    Data copied verbatim (codes, file names, hashes, the reference; marked ``translate="no"``)
    and texts the catalogue declares identical in both languages are not English strings.
    """
    english = read_html(written["en"].html)
    french = read_html(written["fr"].html)
    same = _identical_in_both_languages()
    french_texts = set(french.texts)
    leaked = sorted(
        text
        for text in set(english.texts)
        if _words(text)
        and text in french_texts
        and not any(pattern.fullmatch(text) for pattern in same)
    )
    assert leaked == [], leaked
    french_blob = "\n".join(french.texts)
    for en, fr in MESSAGES.values():
        if en != fr and "{" not in en and len(en) > 12:
            assert en not in french_blob, en
    assert len(french.texts) > 300


def test_french_word_document_holds_no_english_catalogue_text(
    written: dict[str, ReportFiles],
) -> None:
    text = docx_text(written["fr"].docx)
    for en, fr in MESSAGES.values():
        if en == fr or len(en) <= 12:
            continue
        # a text with placeholders is checked through its longest fixed part
        part = max(re.split(r"\{[^}]*\}", en), key=len).strip()
        if len(part) > 12:
            assert part not in text, en


def test_french_numbers_use_the_decimal_comma(written: dict[str, ReportFiles]) -> None:
    french = "\n".join(read_html(written["fr"].html).texts)
    english = "\n".join(read_html(written["en"].html).texts)
    assert "59,2\u00a0%" in french and "59.2%" in english
    assert "IC 95\u00a0%" in french and "95% CI" in english
    assert re.search(r"\d\.\d\u00a0?%", french) is None
    assert "12\u00a0345" in french and "12,345" in english


def test_every_figure_is_written_as_png_300_dpi_and_svg(written: dict[str, ReportFiles]) -> None:
    for files in written.values():
        names = sorted(path.name for path in files.figures)
        stems = sorted({re.sub(r"^figureS?\d+_|-\d+$", "", Path(n).stem) for n in names})
        assert stems == sorted(EXPECTED_FIGURES)
        for path in files.figures:
            content = path.read_bytes()
            if path.suffix == ".png":
                image = Image.open(io.BytesIO(content))
                assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
                assert image.size[0] > 1500
                assert b"Software" not in content
            else:
                text = content.decode("utf-8")
                assert text.lstrip().startswith("<?xml") and "<svg" in text
                assert "<dc:date>" not in text


def test_word_document_structure(written: dict[str, ReportFiles]) -> None:
    """Heading 1/2 styles (navigation pane), captions, real tables, embedded figures, A4."""
    document = docx.Document(str(written["en"].docx))
    styles = [p.style.name for p in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Summary", "Methods", "Results", "Data quality", "Reproducibility"]
    assert styles.count("Heading 2") == 13
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert sum(c.startswith("Table ") for c in captions) == len(document.tables) == 17
    # the complete swimmer plot is a supplementary figure in several parts (one caption and
    # picture per part), numbered apart from the main figures (the compact swimmer plot is one)
    parts = sum("_swimmer-" in p.name for p in written["en"].figures if p.suffix == ".png")
    assert parts >= 2
    assert sum(c.startswith("Figure ") for c in captions) == len(EXPECTED_FIGURES)
    assert sum(c.startswith("Supplementary figure S1. ") for c in captions) == parts
    assert len(document.inline_shapes) == len(EXPECTED_FIGURES) + parts
    assert 'w:instr=" SEQ Table' in document.element.xml
    assert document.element.xml.count('w:instr=" SEQ Figure') == len(EXPECTED_FIGURES)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert document.core_properties.created.isoformat().startswith("2025-06-01T10:00:00")


def test_csv_tables_neutralise_formulas(written: dict[str, ReportFiles]) -> None:
    path = next(p for p in written["en"].tables if p.name.endswith("_rejections.csv"))
    grid = csv_grid(path)
    values = [row[3] for row in grid[1:]]
    assert values[0] == '\'=HYPERLINK("http://x")'
    for files in written.values():
        for table in files.tables:
            for row in csv_grid(table):
                assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_html_is_self_contained(written: dict[str, ReportFiles]) -> None:
    for files in written.values():
        html = read_html(files.html)
        assert html.images and all(
            src.startswith("data:image/svg+xml;base64,") for src in html.images
        )
        assert all(url.startswith(("data:", "#")) for url in html.urls)
        text = files.html.read_text("utf-8")
        assert "<script" not in text and "@import" not in text and "url(" not in text
        assert "@page" in text


def _zip_contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_two_writes_give_the_same_bytes_except_the_timestamp(
    realistic: Cohort, written: dict[str, ReportFiles], tmp_path: Path
) -> None:
    results = dict(realistic.results, generated_at="2031-12-31T23:59:59+00:00")
    again = write_report(results, realistic.derived, tmp_path, "en")
    first = written["en"]
    for old, new in zip(
        (*first.figures, *first.tables), (*again.figures, *again.tables), strict=True
    ):
        assert old.name == new.name
        assert old.read_bytes() == new.read_bytes(), old.name
    old_html = first.html.read_text("utf-8").replace(GENERATED_AT, "TIME")
    new_html = again.html.read_text("utf-8").replace("2031-12-31T23:59:59+00:00", "TIME")
    assert old_html == new_html
    old_docx, new_docx = _zip_contents(first.docx), _zip_contents(again.docx)
    assert old_docx.keys() == new_docx.keys()
    for name in old_docx:
        if name != "docProps/core.xml":
            old = old_docx[name].replace(GENERATED_AT.encode(), b"TIME")
            new = new_docx[name].replace(b"2031-12-31T23:59:59+00:00", b"TIME")
            assert old == new, name
    third = write_report(realistic.results, realistic.derived, tmp_path / "same", "en")
    assert third.docx.read_bytes() == first.docx.read_bytes()


def test_word_property_elements_follow_the_schema_order(written: dict[str, ReportFiles]) -> None:
    """Word refuses out-of-order property elements (tblPr, tcPr, trPr, rPr children)."""
    from docx.oxml.ns import qn

    from itpcohort.report._docx import SCHEMA_ORDER

    for files in written.values():
        root = docx.Document(str(files.docx)).element
        styles = docx.Document(str(files.docx)).styles.element
        for tag, sequence in SCHEMA_ORDER.items():
            ranks = {qn(name): rank for rank, name in enumerate(sequence)}
            parents = [*root.iter(qn(tag)), *styles.iter(qn(tag))]
            assert parents, tag
            for parent in parents:
                seen = [ranks[child.tag] for child in parent if child.tag in ranks]
                assert seen == sorted(seen), (tag, [child.tag for child in parent])
