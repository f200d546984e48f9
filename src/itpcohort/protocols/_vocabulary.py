"""The words a protocol's ``[design]`` may use (``protocols.md``, The protocol file;
``flagship-study.md``, Analyses 5 and 7).

Predictors are the factors of the analysis plan; ``stop_reason_course1`` and ``direction`` exist for
exposure protocols only. A sensitivity run is a named run (``ne_excluded``: patients with an NE
compared course dropped) or one criteria override written ``parameter=value``.
"""

from __future__ import annotations

#: predictors of infusion and exposure protocols alike, in the order of the analysis plan
PREDICTORS_ANY_KIND = (
    "response_course1",
    "sex",
    "itp_type",
    "age_course2",
    "itp_duration_course2_months",
    "prior_lines_course2",
    "splenectomy_before_course2",
    "interval_months",
    "duration_course1_days",
)
#: predictors by course kind
PREDICTORS: dict[str, tuple[str, ...]] = {
    "infusions": (*PREDICTORS_ANY_KIND, "regimen_course2"),
    "exposure": (*PREDICTORS_ANY_KIND, "stop_reason_course1", "direction"),
}
#: sensitivity runs with a name of their own (not a criteria override)
NAMED_SENSITIVITY_RUNS = ("ne_excluded",)
#: ``design.compare`` values: the first switch and the course before it, or courses 1 and 2
COMPARE_FIRST_SWITCH = "first_switch"
COMPARE_COURSES = (1, 2)
