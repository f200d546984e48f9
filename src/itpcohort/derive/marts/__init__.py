"""Marts: the derived tables the analysis reads (courses, patient_baseline, ae_by_course)."""
