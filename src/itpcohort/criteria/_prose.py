"""The criteria set written as a methods paragraph (English and French), like Circe's print-friendly.

The prose is generated from the same object the derivations read, so the methods section of the
report can never disagree with the numbers used; the treatment is named from the protocol's course
rules (``Criteria.courses``, ``protocols.md``), and the rules that exposure courses apply
differently (baseline, window, loss, duration comparison, attribution: ``protocols.md``, Exposure
courses rules 6, 7, 9 and 10) are stated as they apply them.
"""

from __future__ import annotations

from typing import Any

from itpcohort.criteria._sets import Criteria
from itpcohort.protocols._courses import french_de, prose_list
from itpcohort.schema import CENSORING_STOP_REASONS, LOSS_STOP_REASONS

#: the stop reasons as the loss rule of exposure courses words them (``protocols.md`` rule 9)
_REASON_WORDS = {
    "en": {
        "inefficacy": "inefficacy",
        "loss_of_response": "loss of response",
        "fluctuation": "platelet fluctuation",
        "adverse_event": "side effects",
        "patient_preference": "patient preference",
        "remission": "remission",
        "other": "another reason",
        "unknown": "an unknown reason",
    },
    "fr": {
        "inefficacy": "inefficacité",
        "loss_of_response": "perte de réponse",
        "fluctuation": "fluctuation plaquettaire",
        "adverse_event": "effets indésirables",
        "patient_preference": "préférence du patient",
        "remission": "rémission",
        "other": "un autre motif",
        "unknown": "un motif inconnu",
    },
}


def _number(value: float, lang: str) -> str:
    text = str(int(value)) if float(value).is_integer() else repr(float(value))
    return text.replace(".", ",") if lang == "fr" else text


def _days(value: int, lang: str) -> str:
    if lang == "fr":
        return f"{value} jour" if value <= 1 else f"{value} jours"
    return f"{value} day" if value == 1 else f"{value} days"


def _percent(value: float, lang: str) -> str:
    pct = _number(round(value * 100, 6), lang)
    return f"{pct} %" if lang == "fr" else f"{pct}%"


def _overrides(criteria: Criteria, lang: str) -> str:
    if not criteria.overrides:
        return (
            "sans modification des valeurs par défaut"
            if lang == "fr"
            else "with every default unchanged"
        )
    items = ", ".join(
        f"{name} = {_number(getattr(criteria, name), lang)}" for name in criteria.overrides
    )
    return f"avec les modifications suivantes : {items}" if lang == "fr" else f"overridden: {items}"


def _reasons(codes: tuple[str, ...], lang: str) -> str:
    return prose_list([_REASON_WORDS[lang][code] for code in codes], lang)


def _infusions_en(c: Criteria, d: Any) -> dict[str, str]:
    """The sentences that depend on the course kind (``baseline``, ``window``, ``loss``,
    ``similar``, ``attribution``: ``response-criteria.md`` sections 3, 4, 6, 7, 8) for infusion
    courses."""
    agents = c.courses.agents_phrase("en")
    return {
        "baseline": "The baseline count of a course was the last count in the "
        f"{d(c.baseline_days)} before the first infusion, a count on the day of the first "
        "infusion being taken as pre-infusion.",
        "window": "Counts were assessed after the first infusion, for at most "
        f"{d(c.response_window_days)} and until the next {agents} course, the start of a new "
        "ITP treatment, last follow-up or death; counts from the start of a rescue treatment "
        "(intravenous immunoglobulin, anti-D, platelet transfusion, tranexamic acid, or any "
        f"treatment given as rescue) to {d(c.rescue_exclusion_days)} after its end were not used.",
        "loss": "Loss of response was the first of two neighbouring counts below the response "
        f"threshold more than {d(c.loss_confirm_days)} apart, a bleeding event, a rescue "
        f"treatment, a new ITP treatment or the next {agents} course, whichever came first; "
        "durations without loss were censored at last follow-up or death.",
        "similar": "The response to retreatment was of similar or longer duration when it lasted "
        f"at least {_percent(c.similar_duration_ratio, 'en')} of the response to the first "
        "course.",
        "attribution": "Adverse events were attributed to the latest course started on or before "
        f"their onset when they began within {d(c.ae_attribution_days)} after its last "
        f"infusion; infusion reactions at most {d(c.infusion_reaction_days)} after an infusion "
        "of that course.",
    }


def _infusions_fr(c: Criteria, d: Any) -> dict[str, str]:
    """``_infusions_en`` in French."""
    agents = c.courses.agents_phrase("fr")
    return {
        "baseline": "La numération de référence d'une cure était la dernière numération des "
        f"{d(c.baseline_days)} précédant la première perfusion, une numération du jour de la "
        "première perfusion étant considérée comme antérieure à celle-ci.",
        "window": "Les numérations ont été évaluées après la première perfusion, pendant au plus "
        f"{d(c.response_window_days)} et jusqu'à la cure {french_de(agents)} suivante, le début "
        "d'un nouveau traitement du PTI, la dernière nouvelle ou le décès ; les numérations "
        "comprises entre le début d'un traitement de secours (immunoglobulines intraveineuses, "
        "anti-D, transfusion plaquettaire, acide tranexamique ou tout traitement donné en "
        f"urgence) et {d(c.rescue_exclusion_days)} après sa fin n'ont pas été utilisées.",
        "loss": "La perte de réponse était la première de deux numérations voisines sous le seuil "
        f"de réponse espacées de plus de {d(c.loss_confirm_days)}, un saignement, un traitement "
        f"de secours, un nouveau traitement du PTI ou la cure {french_de(agents)} suivante, selon "
        "le premier survenu ; les durées sans perte ont été censurées à la dernière nouvelle ou "
        "au décès.",
        "similar": "La réponse au retraitement était de durée similaire ou plus longue lorsqu'elle "
        f"durait au moins {_percent(c.similar_duration_ratio, 'fr')} de la réponse à la première "
        "cure.",
        "attribution": "Les événements indésirables ont été attribués à la dernière cure débutée "
        "au plus tard le jour de leur survenue s'ils survenaient dans les "
        f"{d(c.ae_attribution_days)} suivant sa dernière perfusion ; les réactions à la "
        f"perfusion au plus {d(c.infusion_reaction_days)} après une perfusion de cette cure.",
    }


def _exposure_en(c: Criteria, agents: str, d: Any) -> dict[str, str]:
    """The same sentences as exposure courses apply them (``protocols.md``, Exposure courses
    rules 6, 7, 9 and 10)."""
    effect = d(c.courses.exposure_effect_days)
    return {
        "baseline": "The baseline count of a course was the last count in the "
        f"{d(c.baseline_days)} before its start, a count on the start day being taken as "
        f"pre-treatment; a course starting at most {effect} after the end of the previous one "
        "kept the previous course's baseline (a count taken on the previous agent is not a "
        "pre-treatment count).",
        "window": "Counts were assessed after the course start, for at most "
        f"{d(c.response_window_days)} and until {effect} after the course end, the next "
        f"{agents} course, the start of a new ITP treatment, last follow-up or death; counts "
        "from the start of a rescue treatment (intravenous immunoglobulin, anti-D, platelet "
        "transfusion, tranexamic acid, or any treatment given as rescue) to "
        f"{d(c.rescue_exclusion_days)} after its end were not used.",
        "loss": "Loss of response was the first of two neighbouring counts below the response "
        f"threshold more than {d(c.loss_confirm_days)} apart, a bleeding event, a rescue "
        "treatment, a new ITP treatment or, after a course stopped for "
        f"{_reasons(LOSS_STOP_REASONS, 'en')}, the next {agents} course, whichever came first "
        "(counts after the course end were still used); durations without loss were censored "
        f"at the next course start after a course stopped for {_reasons(CENSORING_STOP_REASONS, 'en')}, "
        "otherwise at last follow-up or death.",
        "similar": "The response to the later compared course was of similar or longer duration "
        f"when it lasted at least {_percent(c.similar_duration_ratio, 'en')} of the response to "
        "the earlier one.",
        "attribution": "Adverse events were attributed to the course during which they began, "
        f"else to the latest course that had ended 1 to {effect} before their onset; other "
        "events were not attributed to a course.",
    }


def _exposure_fr(c: Criteria, agents: str, d: Any) -> dict[str, str]:
    """``_exposure_en`` in French."""
    effect = d(c.courses.exposure_effect_days)
    return {
        "baseline": "La numération de référence d'une cure était la dernière numération des "
        f"{d(c.baseline_days)} précédant son début, une numération du jour du début étant "
        f"considérée comme antérieure au traitement ; une cure débutant au plus {effect} après "
        "la fin de la précédente conservait la numération de référence de celle-ci (une "
        "numération sous l'agent précédent n'est pas une numération avant traitement).",
        "window": "Les numérations ont été évaluées après le début de la cure, pendant au plus "
        f"{d(c.response_window_days)} et jusqu'à {effect} après la fin de la cure, la cure "
        f"{french_de(agents)} suivante, le début d'un nouveau traitement du PTI, la dernière "
        "nouvelle ou le décès ; les numérations comprises entre le début d'un traitement de "
        "secours (immunoglobulines intraveineuses, anti-D, transfusion plaquettaire, acide "
        "tranexamique ou tout traitement donné en urgence) et "
        f"{d(c.rescue_exclusion_days)} après sa fin n'ont pas été utilisées.",
        "loss": "La perte de réponse était la première de deux numérations voisines sous le seuil "
        f"de réponse espacées de plus de {d(c.loss_confirm_days)}, un saignement, un traitement "
        "de secours, un nouveau traitement du PTI ou, après une cure arrêtée pour "
        f"{_reasons(LOSS_STOP_REASONS, 'fr')}, la cure {french_de(agents)} suivante, selon le "
        "premier survenu (les numérations postérieures à la fin de la cure restant utilisées) ; "
        "les durées sans perte ont été censurées au début de la cure suivante après une cure "
        f"arrêtée pour {_reasons(CENSORING_STOP_REASONS, 'fr')}, sinon à la dernière nouvelle ou au décès.",
        "similar": "La réponse à la seconde cure comparée était de durée similaire ou plus longue "
        f"lorsqu'elle durait au moins {_percent(c.similar_duration_ratio, 'fr')} de la réponse "
        "à la première.",
        "attribution": "Les événements indésirables ont été attribués à la cure pendant laquelle "
        f"ils ont débuté, sinon à la dernière cure terminée 1 à {effect} avant leur survenue ; "
        "les autres n'ont été attribués à aucune cure.",
    }


def _grouping_en(c: Criteria, agents: str, d: Any) -> str:
    """How courses were made: infusions grouped by ``course_gap_days``, or exposure eras
    (``protocols.md``, Exposure courses: ``era_gap_days``, ``exposure_effect_days``)."""
    if c.courses.kind == "exposure":
        return (
            f"Treatment rows of each of {agents} were grouped into one era when each started at "
            f"most {d(c.courses.era_gap_days)} after the era's last day; eras in start order were "
            "the courses, a course of another agent than the previous one being a switch, and "
            f"counts and adverse events up to {d(c.courses.exposure_effect_days)} after a "
            "course's end still belonged to it."
        )
    return (
        f"{agents[:1].upper() + agents[1:]} administrations were grouped into one course when "
        "each followed the previous "
        f"one by at most {d(c.course_gap_days)}; nominal doses were matched within "
        f"±{c.dose_tolerance_pct}%."
    )


def _grouping_fr(c: Criteria, agents: str, d: Any) -> str:
    """``_grouping_en`` in French."""
    if c.courses.kind == "exposure":
        return (
            f"Les lignes de traitement de chaque agent ({agents}) ont été regroupées en une "
            f"période lorsque chacune commençait au plus {d(c.courses.era_gap_days)} après le "
            "dernier jour de la période ; les périodes, dans l'ordre de leur début, formaient "
            "les cures, une cure d'un autre agent que la précédente étant un changement, et les "
            f"numérations et événements indésirables jusqu'à {d(c.courses.exposure_effect_days)} "
            "après la fin d'une cure lui étaient rattachés."
        )
    return (
        f"Les administrations {french_de(agents)} ont été regroupées en une cure lorsque chacune "
        f"suivait la précédente d'au plus {d(c.course_gap_days)} ; les doses nominales ont été "
        f"reconnues à ±{c.dose_tolerance_pct} % près."
    )


def _english(c: Criteria) -> str:
    d = lambda v: _days(v, "en")  # noqa: E731
    n = lambda v: _number(v, "en")  # noqa: E731
    agents = c.courses.agents_phrase("en")
    rules = _exposure_en(c, agents, d) if c.courses.kind == "exposure" else _infusions_en(c, d)
    return " ".join(
        (
            f"Response was derived from platelet counts with the criteria set {c.name} "
            f"(version {c.version}), {_overrides(c, 'en')}, following the International Working "
            "Group definitions (Rodeghiero et al., Blood 2009).",
            _grouping_en(c, agents, d),
            f"ITP was newly diagnosed less than {c.persistent_from_months} months after diagnosis, "
            f"persistent from {c.persistent_from_months} to {c.chronic_after_months} months "
            f"inclusive and chronic beyond {c.chronic_after_months} months (a month being "
            "365.25/12 days).",
            rules["baseline"],
            rules["window"],
            f"Complete response (CR) was a platelet count of at least {n(c.cr_threshold)} ×10⁹/L; "
            f"response (R) a count of at least {n(c.r_threshold)} ×10⁹/L and at least "
            f"{n(c.r_fold)} times the baseline count (the fold condition was dropped when no "
            "baseline count was available), or a CR count.",
            "A level was reached when consecutive counts qualifying for it spanned more than "
            f"{d(c.confirm_days)}, with no bleeding of WHO grade {c.bleeding_min_grade} or more "
            "(or severe) and no rescue treatment started between the first and the last count.",
            "A course with fewer than two usable counts was not evaluable (NE); otherwise, a course "
            "reaching neither level was a non-response (NR).",
            rules["loss"],
            rules["similar"],
            rules["attribution"],
        )
    )


def _french(c: Criteria) -> str:
    d = lambda v: _days(v, "fr")  # noqa: E731
    n = lambda v: _number(v, "fr")  # noqa: E731
    agents = c.courses.agents_phrase("fr")
    rules = _exposure_fr(c, agents, d) if c.courses.kind == "exposure" else _infusions_fr(c, d)
    return " ".join(
        (
            "La réponse a été déterminée à partir des numérations plaquettaires selon le jeu de "
            f"critères {c.name} (version {c.version}), {_overrides(c, 'fr')}, conformément aux "
            "définitions de l'International Working Group (Rodeghiero et al., Blood 2009).",
            _grouping_fr(c, agents, d),
            "Le PTI était nouvellement diagnostiqué moins de "
            f"{c.persistent_from_months} mois après le diagnostic, persistant de "
            f"{c.persistent_from_months} à {c.chronic_after_months} mois inclus et chronique "
            f"au-delà de {c.chronic_after_months} mois (un mois valant 365,25/12 jours).",
            rules["baseline"],
            rules["window"],
            "La réponse complète (RC) était une numération d'au moins "
            f"{n(c.cr_threshold)} ×10⁹/L ; la réponse (R) une numération d'au moins "
            f"{n(c.r_threshold)} ×10⁹/L et au moins {n(c.r_fold)} fois la numération de référence "
            "(condition abandonnée en l'absence de numération de référence), ou une numération de RC.",
            "Un niveau était atteint lorsque des numérations consécutives le satisfaisant "
            f"couvraient plus de {d(c.confirm_days)}, sans saignement de grade OMS "
            f"{c.bleeding_min_grade} ou plus (ou sévère) ni traitement de secours débuté entre la "
            "première et la dernière numération.",
            "Une cure comptant moins de deux numérations utilisables était non évaluable (NE) ; "
            "sinon, une cure n'atteignant aucun niveau était un échec (NR).",
            rules["loss"],
            rules["similar"],
            rules["attribution"],
        )
    )


def methods_prose(criteria: Criteria, lang: str) -> str:
    """The criteria set as one methods paragraph in ``lang`` (``en`` or ``fr``), every number stated.

    Follows ``response-criteria.md`` sections 1–8 in order; overrides are named with their values.
    """
    if lang == "en":
        return _english(criteria)
    if lang == "fr":
        return _french(criteria)
    raise ValueError(f"no methods prose for language {lang!r}; allowed: en, fr")
