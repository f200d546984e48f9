"""Data-collection forms: CRF workbook and REDCap data dictionary (``data-model.md``).

Both are generated from :mod:`itpcohort.schema`, in English or French: ``workbook`` writes the
.xlsx a center fills by hand, ``redcap_dictionary`` the REDCap data dictionary and the list of its
repeating instruments. ``export`` writes an imported study back in either form
(``itpcohort export``).
"""

from __future__ import annotations

from pathlib import Path

from itpcohort.crf.labels import UI, Language
from itpcohort.crf.redcap_dictionary import repeating_instruments, write_redcap_dictionary
from itpcohort.crf.workbook import NON_TABLE_SHEETS, write_workbook
from itpcohort.errors import UsageError

__all__ = ["NON_TABLE_SHEETS", "write_crf", "write_redcap_dictionary", "write_workbook"]

_SUFFIX = {"xlsx": ".xlsx", "redcap": ".csv"}


def write_crf(format_: str, out_file: Path, lang: str = "en") -> list[str]:
    """Write the forms of ``format_`` (``xlsx`` or ``redcap``) to ``out_file`` in ``lang``.

    Implements ``itpcohort crf`` (``flagship-study.md``, Command line). Refuses (UsageError, exit 2)
    an unknown format or language, an ``--out`` that is a folder or whose suffix does not match
    the format, and a file that cannot be written. Returns the lines to print: the files written
    and, for REDCap, the instruments to mark as repeating.
    """
    if format_ not in _SUFFIX:
        raise UsageError(f"unknown --format {format_!r}; allowed: {', '.join(_SUFFIX)}")
    if lang not in ("en", "fr"):
        raise UsageError(f"unknown --lang {lang!r}; allowed: en, fr")
    language: Language = "fr" if lang == "fr" else "en"
    if out_file.is_dir():
        raise UsageError(
            f"--out {out_file} is a folder; give a file name ending in {_SUFFIX[format_]}"
        )
    if out_file.suffix.lower() != _SUFFIX[format_]:
        raise UsageError(
            f"--out {out_file}: a --format {format_} file must end in {_SUFFIX[format_]}"
        )
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        if format_ == "xlsx":
            write_workbook(out_file, language)
            return [f"wrote {out_file}"]
        dictionary, repeating = write_redcap_dictionary(out_file, language)
    except OSError as error:
        raise UsageError(f"cannot write {out_file}: {error.strerror or error}") from error
    lines = [f"wrote {dictionary}", f"wrote {repeating}"]
    lines.append(UI["redcap_repeating_intro"](language).format(file=repeating.name))
    lines += [f"  {form}" for form, _ in repeating_instruments()]
    return lines
