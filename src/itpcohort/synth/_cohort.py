"""Clinical timelines of a chunk of synthetic ITP patients, simulated with whole-array numpy steps.

One call simulates ``n`` patients of one center at once: every step draws a vector (one value per
patient, per course or per row) and no Python loop runs per patient or per row; the only loops are
over the (at most four) rituximab courses and over the kinds of rows. The result holds the tables
of ``data-model.md`` as typed arrays (dates as days since 1970-01-01, vocabulary values as indices
into the ``schema`` tuples); ``_render`` turns them into the text a center writes.

The story of a patient (``response-criteria.md`` gives the rules the timelines exercise):

* diagnosis (most have a count and first-line corticosteroids then; some IVIg, some bleed);
* months to years of second-line treatments (TPO-RAs, dapsone, splenectomy...) before rituximab;
* one to four rituximab courses of the usual regimens (375 mg/m2 x4 weekly, 1000 mg x2 two weeks
  apart, 100 mg weekly, occasionally 500 mg x2), each preceded by a baseline count within 30 days
  (not always), with methylprednisolone premedication or concurrent prednisone in some patients and
  IVIg just before in a few;
* a response (complete, partial or none) reached in weeks, confirmed by counts more than 7 days
  apart, lasting months to years, then lost through falling counts, a bleed, a rescue (IVIg,
  platelet transfusion, methylprednisolone bolus) or a new line (TPO-RA, immunosuppressant...);
  responses to later courses depend strongly on the response to the previous course;
* counts clustered in the weeks after each course and sparser during follow-up; bleeding events,
  adverse events (infusion reactions on infusion days, infections, hypogammaglobulinemia...),
  biomarkers, the investigator's own assessment of each course (mostly agreeing with the counts),
  and deaths.

Every coherence rule of ``data-model.md`` holds by construction: no count after the last
follow-up, nothing after death, nothing before birth, end dates after start dates, last follow-up
and death after diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from itpcohort.synth._arrays import Table
from itpcohort.synth._counts import simulate_counts
from itpcohort.synth._events import simulate_events
from itpcohort.synth._timeline import patients_table, simulate_timeline
from itpcohort.synth._treatments import simulate_treatments


@dataclass(frozen=True)
class Chunk:
    """The tables of ``n`` simulated patients (local patient indices 0..n-1 in column ``pidx``)."""

    n: int
    patients: Table
    treatments: Table
    platelet_counts: Table
    bleeding_events: Table
    adverse_events: Table
    biomarkers: Table
    investigator_assessments: Table

    def table(self, name: str) -> Table:
        """The table called ``name`` (a ``schema.TABLES`` name)."""
        table: Table = getattr(self, name)
        return table


def simulate_chunk(rng: np.random.Generator, n: int) -> Chunk:
    """Simulate ``n`` patients of one center (module docstring); deterministic given ``rng``."""
    timeline = simulate_timeline(rng, n)
    patients = patients_table(rng, timeline)
    treatments = simulate_treatments(rng, timeline)
    bleeding, adverse, biomarkers, assessments = simulate_events(rng, timeline)
    counts = simulate_counts(rng, timeline, treatments)
    return Chunk(n, patients, treatments, counts, bleeding, adverse, biomarkers, assessments)
