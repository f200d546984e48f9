"""The publication report: ``report.html``, ``report.docx``, ``figures/`` and ``tables/``.

``write_report(results, derived, out_dir, lang)`` writes the whole report of a run from the
results.json dict and the executed derived tables (``flagship-study.md``, Outputs of run);
``Report`` builds it step by step (``Report(results, derived, "fr").add_summary()...save(out)``).
"""

from itpcohort.report._i18n import LANGS, Translator
from itpcohort.report._listings import ReportLimits, SwimmerArtwork, draw_swimmer
from itpcohort.report._messages import MESSAGES
from itpcohort.report._report import Report, ReportFiles, draw_figures, write_report

__all__ = [
    "LANGS",
    "MESSAGES",
    "Report",
    "ReportFiles",
    "ReportLimits",
    "SwimmerArtwork",
    "Translator",
    "draw_figures",
    "draw_swimmer",
    "write_report",
]
