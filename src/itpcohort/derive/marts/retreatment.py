"""Mart ``retreatment`` (``response-criteria.md`` section 7).

Grain: one row per patient with at least two courses (courses 1 and 2 compared).

- ``response_similar_or_better``: rank CR 3 > R 2 > NR 1, course-2 rank >= course-1 rank; NULL when
  either course is NE (those patients leave this comparison).
- Durations are the ``courses`` durations: a course-1 duration already ends at the latest at the
  course-2 start, which is a loss event (section 6).
- ``duration_similar_or_longer`` (NULL when course 1 is not a responder): false when course 2 is NR
  or NE ("counts as shorter"); true when the course-2 duration is >= ``similar_duration_ratio`` ×
  the course-1 duration, censored or not; when it is below, false if it is an event and NULL (not
  evaluable) if censored. Reading: a censored course-1 duration (only possible when follow-up ends
  before course 2) is used as it stands. The ratio product is compared with a 1e-9 tolerance
  (0.7 × 10 must equal 7).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from itpcohort.criteria import Criteria
from itpcohort.derive._common import PATIENT_ID, PRODUCT_TOLERANCE, as_declared, join_on
from itpcohort.derived_schema import RETREATMENT

#: the columns of ``derived/retreatment.csv``, in order (``derived_schema.RETREATMENT``)
RETREATMENT_COLUMNS: tuple[str, ...] = RETREATMENT.names


def _rank(response: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases((response == "CR", 3), (response == "R", 2), (response == "NR", 1), else_=0)


def retreatment(courses: ir.Table, criteria: Criteria) -> ir.Table:
    """Course 2 compared with course 1 per patient with two courses or more (section 7)."""

    def course(number: int) -> ir.Table:
        c = courses.filter(courses.course_number == number)
        return c.select(
            *PATIENT_ID,
            **{
                f"response_course{number}": c.response,
                f"duration_course{number}_days": c.duration_days,
                f"duration_course{number}_censored": c.duration_censored,
            },
        )

    t = join_on(course(1), course(2), PATIENT_ID, how="inner")
    r1, r2 = t.response_course1, t.response_course2
    evaluable_types = (r1 != "NE") & (r2 != "NE")
    d1, d2 = t.duration_course1_days, t.duration_course2_days
    long_enough = d2 >= criteria.similar_duration_ratio * d1 - PRODUCT_TOLERANCE
    duration_similar = ibis.cases(
        (~r1.isin(("CR", "R")), ibis.null("boolean")),
        (~r2.isin(("CR", "R")), ibis.literal(False)),
        (long_enough, ibis.literal(True)),
        (t.duration_course2_censored, ibis.null("boolean")),
        else_=ibis.literal(False),
    )
    return as_declared(
        t.select(
            *PATIENT_ID,
            "response_course1",
            "response_course2",
            response_similar_or_better=ibis.ifelse(
                evaluable_types, _rank(r2) >= _rank(r1), ibis.null("boolean")
            ),
            duration_course1_days=d1,
            duration_course1_censored=t.duration_course1_censored,
            duration_course2_days=d2,
            duration_course2_censored=t.duration_course2_censored,
            duration_similar_or_longer=duration_similar,
        ),
        RETREATMENT,
    )
