"""English and French texts of the data-collection forms (``data-model.md``, every table).

Column names, types, vocabularies and ranges come from :mod:`itpcohort.schema`; this module holds only
what a person reads: a label, a help sentence and an example for every column, a label for every
vocabulary value, the names of the column types and the sentences of the workbook's README sheet.
Every text exists in both languages (``Text``); tests check that nothing is missing for any column
or value of the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from itpcohort.schema import (
    DRUG_CLASSES,
    PLATELET_UNIT_SPELLINGS,
    RESCUE_CLASSES,
    SINGLE_DAY_DRUGS,
    TABLES,
    ColumnType,
)

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")


@dataclass(frozen=True)
class Text:
    """One text in English and in French."""

    en: str
    fr: str

    def __call__(self, lang: Language) -> str:
        """Return the text in ``lang`` (``en`` or ``fr``)."""
        if lang == "fr":
            return self.fr
        if lang == "en":
            return self.en
        raise ValueError(f"unknown language {lang!r}; allowed: en, fr")


@dataclass(frozen=True)
class ColumnText:
    """What a person reads about one column: a short label, a help sentence and an example value."""

    label: Text
    help: Text
    example: Text


def _same(text: str) -> Text:
    """A text written the same way in both languages (codes, dates, drug names)."""
    return Text(text, text)


def _drug_list(drugs: tuple[str, ...] | list[str]) -> str:
    return ", ".join(drugs)


_RESCUE_CLASS_DRUGS = [drug for drug, klass in DRUG_CLASSES.items() if klass in RESCUE_CLASSES]
_SINGLE_DAY = _drug_list([*SINGLE_DAY_DRUGS, *_RESCUE_CLASS_DRUGS])

#: (table, column) -> texts. patient_id and center of the tables other than patients are added below.
COLUMN_TEXTS: dict[tuple[str, str], ColumnText] = {
    # patients
    ("patients", "patient_id"): ColumnText(
        Text("Patient study code", "Code d'étude du patient"),
        Text(
            "The center's own pseudonymous study code, unique within the center. "
            "Never a name, initials or a national identifier.",
            "Code d'étude pseudonyme propre au centre, unique dans le centre. "
            "Jamais de nom, d'initiales ni de numéro national (NIR).",
        ),
        _same("TLS-012"),
    ),
    ("patients", "center"): ColumnText(
        Text("Center code", "Code du centre"),
        Text(
            "Short code of the participating center.",
            "Code court du centre participant.",
        ),
        _same("TLS"),
    ),
    ("patients", "sex"): ColumnText(
        Text("Sex", "Sexe"),
        Text("F (female) or M (male).", "F (femme) ou M (homme)."),
        _same("F"),
    ),
    ("patients", "birth_date"): ColumnText(
        Text("Date of birth", "Date de naissance"),
        Text(
            "Give only the month or the year if needed; a partial date is taken at the middle "
            "of its period to compute ages.",
            "Ne donner que le mois ou l'année si besoin ; une date partielle est prise au milieu "
            "de sa période pour calculer les âges.",
        ),
        _same("1975-06"),
    ),
    ("patients", "diagnosis_date"): ColumnText(
        Text("Date of ITP diagnosis", "Date du diagnostic de PTI"),
        Text(
            "Give only the month or the year if the day is unknown.",
            "Ne donner que le mois ou l'année si le jour est inconnu.",
        ),
        _same("2012-03-15"),
    ),
    ("patients", "itp_type"): ColumnText(
        Text("ITP type", "Type de PTI"),
        Text("primary or secondary ITP.", "PTI primaire (primary) ou secondaire (secondary)."),
        _same("primary"),
    ),
    ("patients", "secondary_cause"): ColumnText(
        Text("Cause of secondary ITP", "Cause du PTI secondaire"),
        Text(
            "Required for secondary ITP; leave empty for primary ITP.",
            "Obligatoire pour un PTI secondaire ; à laisser vide pour un PTI primaire.",
        ),
        _same("sle"),
    ),
    ("patients", "last_followup_date"): ColumnText(
        Text("Date of last follow-up", "Date des dernières nouvelles"),
        Text(
            "Last date the patient was seen or had a platelet count; no count may be dated after it.",
            "Dernière date à laquelle le patient a été vu ou a eu une numération plaquettaire ; "
            "aucune numération ne peut être postérieure.",
        ),
        _same("2023-11-20"),
    ),
    ("patients", "death_date"): ColumnText(
        Text("Date of death", "Date du décès"),
        Text("Empty if the patient is alive.", "Vide si le patient est vivant."),
        _same("2024-02-03"),
    ),
    ("patients", "death_cause"): ColumnText(
        Text("Cause of death", "Cause du décès"),
        Text(
            "Free text; empty if the patient is alive.",
            "Texte libre ; vide si le patient est vivant.",
        ),
        Text("intracranial haemorrhage", "hémorragie intracrânienne"),
    ),
    # treatments
    ("treatments", "drug"): ColumnText(
        Text("Drug or procedure", "Médicament ou procédure"),
        Text(
            "One row per exposure; rituximab and other infusions: one row per administration.",
            "Une ligne par exposition ; rituximab et autres perfusions : une ligne par "
            "administration.",
        ),
        _same("rituximab"),
    ),
    ("treatments", "drug_detail"): ColumnText(
        Text("Drug detail", "Précision sur le médicament"),
        Text(
            "Free text, when the drug is other (not in the list).",
            "Texte libre, quand le médicament est other (absent de la liste).",
        ),
        _same("efgartigimod"),
    ),
    ("treatments", "start_date"): ColumnText(
        Text("Start date", "Date de début"),
        Text(
            "Date of the administration, start of the exposure, or date of surgery for a "
            "splenectomy.",
            "Date de l'administration, début de l'exposition, ou date de l'intervention pour "
            "une splénectomie.",
        ),
        _same("2019-03-04"),
    ),
    ("treatments", "end_date"): ColumnText(
        Text("End date", "Date de fin"),
        Text(
            f"Empty: a single day for {_SINGLE_DAY} and for rescue rows; otherwise ongoing at "
            "last follow-up.",
            f"Vide : un seul jour pour {_SINGLE_DAY} et pour les lignes de secours ; sinon en "
            "cours aux dernières nouvelles.",
        ),
        _same("2019-06-30"),
    ),
    ("treatments", "dose"): ColumnText(
        Text("Dose per administration", "Dose par administration"),
        Text("A number, in the dose unit.", "Un nombre, dans l'unité de dose."),
        _same("375"),
    ),
    ("treatments", "dose_unit"): ColumnText(
        Text("Dose unit", "Unité de dose"),
        Text("Unit of the dose.", "Unité de la dose."),
        _same("mg/m2"),
    ),
    ("treatments", "rescue"): ColumnText(
        Text("Rescue treatment", "Traitement de secours"),
        Text(
            "yes when given as emergency/rescue (bleeding or dangerous drop), not as a line of "
            f"treatment; empty = no. {_drug_list(_RESCUE_CLASS_DRUGS)} are always rescue.",
            "oui si donné en urgence/secours (saignement ou chute dangereuse), et non comme "
            f"ligne de traitement ; vide = non. {_drug_list(_RESCUE_CLASS_DRUGS)} sont toujours "
            "des traitements de secours.",
        ),
        Text("no", "non"),
    ),
    ("treatments", "stop_reason"): ColumnText(
        Text("Reason the treatment stopped", "Motif d'arrêt du traitement"),
        Text(
            "Why this row of treatment ended (for continuous treatments such as TPO-RA); "
            "empty = unknown or still ongoing.",
            "Pourquoi cette ligne de traitement s'est arrêtée (traitements continus comme les "
            "agonistes du récepteur de la TPO) ; vide = inconnu ou toujours en cours.",
        ),
        _same("inefficacy"),
    ),
    # platelet_counts
    ("platelet_counts", "date"): ColumnText(
        Text("Date of the count", "Date de la numération"),
        Text("Date of the blood sample.", "Date du prélèvement sanguin."),
        _same("2019-03-11"),
    ),
    ("platelet_counts", "platelets"): ColumnText(
        Text("Platelet count", "Numération plaquettaire"),
        Text(
            "In 10^9/L (= G/L) unless another unit is given; 0 to 2000 after conversion.",
            "En 10^9/L (= G/L) sauf si une autre unité est indiquée ; de 0 à 2000 après "
            "conversion.",
        ),
        _same("45"),
    ),
    ("platelet_counts", "unit"): ColumnText(
        Text("Unit of the count", "Unité de la numération"),
        Text(
            "Empty = 10^9/L. Counts per µL or per mm3 are divided by 1000.",
            "Vide = 10^9/L. Les numérations par µL ou par mm3 sont divisées par 1000.",
        ),
        _same("G/L"),
    ),
    # bleeding_events
    ("bleeding_events", "date"): ColumnText(
        Text("Date of the bleeding", "Date du saignement"),
        Text("Date the bleeding started.", "Date de début du saignement."),
        _same("2019-02-20"),
    ),
    ("bleeding_events", "site"): ColumnText(
        Text("Bleeding site", "Site du saignement"),
        Text("One row per site and date.", "Une ligne par site et par date."),
        _same("epistaxis"),
    ),
    ("bleeding_events", "who_grade"): ColumnText(
        Text("WHO bleeding grade", "Grade OMS du saignement"),
        Text("0 to 4 (WHO bleeding scale).", "De 0 à 4 (échelle de saignement de l'OMS)."),
        _same("2"),
    ),
    ("bleeding_events", "severe"): ColumnText(
        Text("Severe bleeding", "Saignement grave"),
        Text(
            "Empty: yes when the WHO grade is 3 or more or the site is intracranial.",
            "Vide : oui si le grade OMS vaut 3 ou plus ou si le site est intracrânien.",
        ),
        Text("yes", "oui"),
    ),
    # adverse_events
    ("adverse_events", "onset_date"): ColumnText(
        Text("Onset date", "Date de survenue"),
        Text("Date the adverse event started.", "Date de début de l'événement indésirable."),
        _same("2019-03-05"),
    ),
    ("adverse_events", "event"): ColumnText(
        Text("Adverse event", "Événement indésirable"),
        Text("One row per event.", "Une ligne par événement."),
        _same("infusion_reaction"),
    ),
    ("adverse_events", "ctcae_grade"): ColumnText(
        Text("CTCAE grade", "Grade CTCAE"),
        Text("1 to 5 (CTCAE v5).", "De 1 à 5 (CTCAE v5)."),
        _same("2"),
    ),
    ("adverse_events", "serious"): ColumnText(
        Text("Serious adverse event", "Événement indésirable grave"),
        Text("yes or no; empty = not recorded.", "oui ou non ; vide = non renseigné."),
        Text("no", "non"),
    ),
    ("adverse_events", "description"): ColumnText(
        Text("Description", "Description"),
        Text("Free text.", "Texte libre."),
        Text("chills during the first infusion", "frissons pendant la première perfusion"),
    ),
    # biomarkers
    ("biomarkers", "date"): ColumnText(
        Text("Sample date", "Date du prélèvement"),
        Text("Date of the sample.", "Date du prélèvement."),
        _same("2019-02-28"),
    ),
    ("biomarkers", "test"): ColumnText(
        Text("Test", "Examen"),
        Text("One row per test and date.", "Une ligne par examen et par date."),
        _same("igg"),
    ),
    ("biomarkers", "value"): ColumnText(
        Text("Result", "Résultat"),
        Text(
            "A number for igg (g/L) and cd19 (cells/µL); positive or negative for the MAIPA "
            "tests and ana.",
            "Un nombre pour igg (g/L) et cd19 (cellules/µL) ; positive ou negative pour les "
            "tests MAIPA et ana.",
        ),
        _same("6.2"),
    ),
    ("biomarkers", "unit"): ColumnText(
        Text("Unit", "Unité"),
        Text("Unit of the result, as reported.", "Unité du résultat, telle que rendue."),
        _same("g/L"),
    ),
    # investigator_assessments
    ("investigator_assessments", "course_number"): ColumnText(
        Text("Rituximab course number", "Numéro de la cure de rituximab"),
        Text(
            "1 for the first rituximab course, then 2, 3... in date order.",
            "1 pour la première cure de rituximab, puis 2, 3... dans l'ordre des dates.",
        ),
        _same("2"),
    ),
    ("investigator_assessments", "response"): ColumnText(
        Text("Response (investigator)", "Réponse (investigateur)"),
        Text(
            "The response as the investigator recorded it; compared with the response computed "
            "from platelet counts, never replacing it.",
            "La réponse telle que l'investigateur l'a notée ; comparée à la réponse calculée à "
            "partir des numérations, sans jamais la remplacer.",
        ),
        _same("CR"),
    ),
    ("investigator_assessments", "response_date"): ColumnText(
        Text("Date of response", "Date de la réponse"),
        Text("Date the response was reached.", "Date à laquelle la réponse a été obtenue."),
        _same("2019-04-15"),
    ),
    ("investigator_assessments", "loss_of_response_date"): ColumnText(
        Text("Date of loss of response", "Date de perte de la réponse"),
        Text("Empty if the response was not lost.", "Vide si la réponse n'a pas été perdue."),
        _same("2020-09-01"),
    ),
}

# patient_id and center of every table other than patients: the same meaning everywhere.
for _table in TABLES[1:]:
    if "patient_id" in _table.column_names:
        COLUMN_TEXTS[(_table.name, "patient_id")] = ColumnText(
            COLUMN_TEXTS[("patients", "patient_id")].label,
            Text(
                "The patient's study code, as in the patients sheet.",
                "Le code d'étude du patient, comme dans la feuille patients.",
            ),
            _same("TLS-012"),
        )
    if "center" in _table.column_names:
        COLUMN_TEXTS[(_table.name, "center")] = ColumnText(
            COLUMN_TEXTS[("patients", "center")].label,
            Text(
                "Needed only where the same patient code exists in two centers of one file; "
                "otherwise leave empty.",
                "Utile seulement si le même code patient existe dans deux centres d'un même "
                "fichier ; sinon laisser vide.",
            ),
            _same(""),
        )

#: (table, column) required only under a condition (``data-model.md``: secondary_cause "if secondary")
REQUIRED_IF: dict[tuple[str, str], Text] = {
    ("patients", "secondary_cause"): Text("if secondary ITP", "si PTI secondaire"),
}

#: table -> what one row holds
TABLE_TEXTS: dict[str, Text] = {
    "patients": Text("One row per patient.", "Une ligne par patient."),
    "treatments": Text(
        "One row per exposure; rituximab and other infusions: one row per administration.",
        "Une ligne par exposition ; rituximab et autres perfusions : une ligne par administration.",
    ),
    "platelet_counts": Text(
        "One row per platelet count.", "Une ligne par numération plaquettaire."
    ),
    "bleeding_events": Text("One row per bleeding event.", "Une ligne par épisode hémorragique."),
    "adverse_events": Text("One row per adverse event.", "Une ligne par événement indésirable."),
    "biomarkers": Text("One row per biomarker result.", "Une ligne par résultat de biomarqueur."),
    "investigator_assessments": Text(
        "One row per rituximab course assessed by the center's investigator.",
        "Une ligne par cure de rituximab évaluée par l'investigateur du centre.",
    ),
}

#: vocabulary value -> label (values mean the same thing in every vocabulary they appear in)
VALUE_LABELS: dict[str, Text] = {
    # sex, itp_type
    "F": Text("Female", "Femme"),
    "M": Text("Male", "Homme"),
    "primary": Text("Primary ITP", "PTI primaire"),
    "secondary": Text("Secondary ITP", "PTI secondaire"),
    # secondary causes
    "sle": Text("Systemic lupus erythematosus", "Lupus systémique"),
    "antiphospholipid": Text("Antiphospholipid syndrome", "Syndrome des antiphospholipides"),
    "cvid": Text("Common variable immunodeficiency", "Déficit immunitaire commun variable"),
    "lymphoproliferative": Text("Lymphoproliferative disorder", "Syndrome lymphoprolifératif"),
    "hcv": Text("Hepatitis C virus", "Virus de l'hépatite C"),
    "hiv": Text("HIV", "VIH"),
    "h_pylori": _same("Helicobacter pylori"),
    "drug": Text("Drug-induced", "Cause médicamenteuse"),
    "other": Text("Other", "Autre"),
    # drugs
    "prednisone": _same("Prednisone"),
    "prednisolone": _same("Prednisolone"),
    "methylprednisolone": Text("Methylprednisolone", "Méthylprednisolone"),
    "dexamethasone": Text("Dexamethasone", "Dexaméthasone"),
    "ivig": Text("Intravenous immunoglobulin (IVIG)", "Immunoglobulines intraveineuses (IgIV)"),
    "anti_d": Text("Anti-D immunoglobulin", "Immunoglobulines anti-D"),
    "eltrombopag": _same("Eltrombopag"),
    "romiplostim": _same("Romiplostim"),
    "avatrombopag": _same("Avatrombopag"),
    "rituximab": _same("Rituximab"),
    "splenectomy": Text("Splenectomy", "Splénectomie"),
    "azathioprine": _same("Azathioprine"),
    "mycophenolate": Text("Mycophenolate", "Mycophénolate"),
    "ciclosporin": Text("Ciclosporin", "Ciclosporine"),
    "cyclophosphamide": _same("Cyclophosphamide"),
    "sirolimus": _same("Sirolimus"),
    "dapsone": _same("Dapsone"),
    "danazol": _same("Danazol"),
    "hydroxychloroquine": _same("Hydroxychloroquine"),
    "vincristine": _same("Vincristine"),
    "vinblastine": _same("Vinblastine"),
    "fostamatinib": _same("Fostamatinib"),
    "platelet_transfusion": Text("Platelet transfusion", "Transfusion de plaquettes"),
    "tranexamic_acid": Text("Tranexamic acid", "Acide tranexamique"),
    # dose units
    "mg": _same("mg"),
    "mg/kg": _same("mg/kg"),
    "mg/m2": _same("mg/m²"),
    "g/kg": _same("g/kg"),
    "ug/kg": _same("µg/kg"),
    # platelet units (schema spells them lower-case; matching is case-insensitive)
    "10^9/l": Text("the default unit", "l'unité par défaut"),
    "g/l": Text("same as 10^9/L", "identique à 10^9/L"),
    "x10^9/l": Text("same as 10^9/L", "identique à 10^9/L"),
    "10^3/ul": Text("same as 10^9/L", "identique à 10^9/L"),
    "10^3/mm3": Text("same as 10^9/L", "identique à 10^9/L"),
    "/ul": Text("per µL, divided by 1000", "par µL, divisé par 1000"),
    "/mm3": Text("per mm3, divided by 1000", "par mm3, divisé par 1000"),
    # bleeding sites
    "skin": Text("Skin (petechiae, bruises)", "Cutané (pétéchies, ecchymoses)"),
    "mucosal": Text("Mucosal", "Muqueux"),
    "epistaxis": Text("Epistaxis", "Épistaxis"),
    "gingival": Text("Gingival", "Gingivorragie"),
    "gastrointestinal": Text("Gastrointestinal", "Digestif"),
    "genitourinary": Text("Genitourinary", "Génito-urinaire"),
    "menorrhagia": Text("Menorrhagia", "Ménorragie"),
    "intracranial": Text("Intracranial", "Intracrânien"),
    # adverse events
    "infusion_reaction": Text("Infusion reaction", "Réaction à la perfusion"),
    "infection": _same("Infection"),
    "severe_infection": Text("Severe infection", "Infection sévère"),
    "hypogammaglobulinemia": Text("Hypogammaglobulinaemia", "Hypogammaglobulinémie"),
    "neutropenia": Text("Neutropenia", "Neutropénie"),
    "hbv_reactivation": Text("Hepatitis B reactivation", "Réactivation du virus de l'hépatite B"),
    "pml": Text(
        "Progressive multifocal leukoencephalopathy",
        "Leucoencéphalopathie multifocale progressive",
    ),
    "serum_sickness": Text("Serum sickness", "Maladie sérique"),
    "thrombosis": Text("Thrombosis", "Thrombose"),
    "hepatotoxicity": Text("Hepatotoxicity", "Hépatotoxicité"),
    "bone_marrow_fibrosis": Text("Bone marrow fibrosis", "Fibrose médullaire"),
    "death": Text("Death", "Décès"),
    # biomarker tests
    "igg": Text("Serum IgG (g/L)", "IgG sériques (g/L)"),
    "maipa_gpiibiiia": _same("MAIPA anti-GPIIb/IIIa"),
    "maipa_gpib": _same("MAIPA anti-GPIb"),
    "maipa_any": Text("MAIPA, any glycoprotein", "MAIPA, toute glycoprotéine"),
    "ana": Text("Antinuclear antibodies", "Anticorps antinucléaires"),
    "cd19": Text("CD19+ B cells (cells/µL)", "Lymphocytes B CD19+ (cellules/µL)"),
    # stop reasons of a treatment row
    "inefficacy": Text("Inefficacy", "Inefficacité"),
    "loss_of_response": Text("Loss of response", "Perte de réponse"),
    "fluctuation": Text("Platelet count fluctuation", "Fluctuation des plaquettes"),
    "adverse_event": Text("Adverse event", "Événement indésirable"),
    "patient_preference": Text("Patient preference", "Préférence du patient"),
    "remission": Text("Remission", "Rémission"),
    "unknown": Text("Unknown", "Inconnu"),
    # investigator responses
    "CR": Text("Complete response", "Réponse complète"),
    "R": Text("Response", "Réponse"),
    "NR": Text("No response", "Absence de réponse"),
    "NE": Text("Not evaluable", "Non évaluable"),
}

#: how a vocabulary value is best written in a cell, where the schema's spelling is only the
#: case-folded form used for matching (platelet units: ``10^9/l`` is written ``10^9/L``)
PREFERRED_SPELLING: dict[str, str] = dict(PLATELET_UNIT_SPELLINGS)


def spelling(value: str) -> str:
    """How ``value`` of a vocabulary is written in a form (its preferred spelling, else itself)."""
    return PREFERRED_SPELLING.get(value, value)


#: the boolean words offered in a dropdown, in each language (both accepted by the importer)
BOOLEAN_WORDS: dict[Language, tuple[str, str]] = {"en": ("yes", "no"), "fr": ("oui", "non")}

TYPE_TEXTS: dict[ColumnType, Text] = {
    ColumnType.TEXT: Text("text", "texte"),
    ColumnType.DATE: Text("date", "date"),
    ColumnType.PARTIAL_DATE: Text("date, partial allowed", "date, partielle acceptée"),
    ColumnType.NUMBER: Text("number", "nombre"),
    ColumnType.INTEGER: Text("whole number", "nombre entier"),
    ColumnType.VOCAB: Text("list", "liste"),
    ColumnType.BOOLEAN: Text("yes/no", "oui/non"),
}

#: every other sentence of the forms; ``{name}`` fields are filled from the schema by the writers
UI: dict[str, Text] = {
    # README sheet of the workbook
    "readme_title": Text(
        "itpcohort: data-collection workbook", "itpcohort : classeur de recueil des données"
    ),
    "readme_how_1": Text(
        "One sheet per table, one row per record. Keep the sheet names and the column names of "
        "row 1 as they are; fill from row 2 down.",
        "Une feuille par table, une ligne par enregistrement. Ne modifiez ni le nom des feuilles "
        "ni les noms de colonnes de la ligne 1 ; remplissez à partir de la ligne 2.",
    ),
    "readme_how_2": Text(
        "Required tables: {required_tables}. The other sheets may stay empty (none recorded).",
        "Tables obligatoires : {required_tables}. Les autres feuilles peuvent rester vides "
        "(rien de recueilli).",
    ),
    "readme_how_3": Text(
        "Required columns have an orange header; every column is described below, and a cell "
        "shows its column's help when selected.",
        "Les colonnes obligatoires ont un en-tête orange ; chaque colonne est décrite ci-dessous, "
        "et une cellule affiche l'aide de sa colonne quand on la sélectionne.",
    ),
    "readme_how_4": Text(
        "Dates: type them as Excel dates (for example 2019-03-04); they are shown as YYYY-MM-DD. "
        "Date text in another layout (03/04/2019 kept as text) is refused on import.",
        "Dates : saisissez-les comme des dates Excel (par exemple 2019-03-04 ou 04/03/2019) ; "
        "elles s'affichent en AAAA-MM-JJ. Une date restée en texte dans un autre format "
        "(03/04/2019 en texte) est refusée à l'import.",
    ),
    "readme_how_5": Text(
        "Partial dates ({partial_columns}): these columns are formatted as text so that YYYY-MM "
        "and YYYY stay as typed (Excel would turn 2019-03 into 1 March 2019); a full date is "
        "typed YYYY-MM-DD. Native Excel dates are accepted too.",
        "Dates partielles ({partial_columns}) : ces colonnes sont au format texte pour que "
        "AAAA-MM et AAAA restent tels que saisis (Excel transformerait 2019-03 en 1er mars "
        "2019) ; une date complète se saisit AAAA-MM-JJ. Les dates Excel natives sont aussi "
        "acceptées.",
    ),
    "readme_how_6": Text(
        "Lists: choose from the dropdown; the meaning of each code is given below. Upper or "
        "lower case does not matter.",
        "Listes : choisissez dans la liste déroulante ; le sens de chaque code est donné "
        "ci-dessous. Majuscules et minuscules sont indifférentes.",
    ),
    "readme_how_7": Text(
        "Yes/no columns: {boolean_words} (also accepted: {boolean_spellings}); an empty cell "
        "takes the default given in the description.",
        "Colonnes oui/non : {boolean_words} (aussi acceptés : {boolean_spellings}) ; une "
        "cellule vide prend la valeur par défaut indiquée dans la description.",
    ),
    "readme_how_8": Text(
        "Pseudonymous data only: patient_id is the center's study code. No names, no national "
        "identifiers, addresses, phone numbers or e-mails; a column named like one is refused.",
        "Données pseudonymisées uniquement : patient_id est le code d'étude du centre. Ni nom, "
        "ni numéro national, adresse, téléphone ou courriel ; une colonne nommée ainsi est "
        "refusée.",
    ),
    "readme_how_9": Text(
        "Platelet counts are in 10^9/L (G/L); Excel warns above 2000, usually a count per µL "
        "or mm3: then choose /uL or /mm3 in the unit column.",
        "Les numérations plaquettaires sont en 10^9/L (G/L) ; Excel avertit au-delà de 2000, "
        "souvent une numération par µL ou mm3 : choisissez alors /uL ou /mm3 dans la colonne "
        "unit.",
    ),
    "readme_how_10": Text(
        "Dropdowns and checks cover rows 2 to {last_row} of each sheet; further rows are still "
        "checked on import. The hidden sheet 'lists' holds the dropdown values: do not edit it.",
        "Les listes et contrôles couvrent les lignes 2 à {last_row} de chaque feuille ; les "
        "lignes suivantes sont contrôlées à l'import. La feuille masquée « lists » contient les "
        "valeurs des listes : ne la modifiez pas.",
    ),
    "readme_columns": Text("Columns", "Colonnes"),
    "head_table": Text("Table", "Table"),
    "head_column": Text("Column", "Colonne"),
    "head_label": Text("Label", "Libellé"),
    "head_type": Text("Type", "Type"),
    "head_required": Text("Required", "Obligatoire"),
    "head_allowed": Text("Allowed values", "Valeurs autorisées"),
    "head_example": Text("Example", "Exemple"),
    "head_description": Text("Description", "Description"),
    "yes": Text("yes", "oui"),
    "no": Text("no", "non"),
    "required_table": Text("required table", "table obligatoire"),
    "optional_table": Text("optional table", "table facultative"),
    "free_text": Text("free text", "texte libre"),
    "date_values": Text(
        "a date: Excel date, or text YYYY-MM-DD", "une date : date Excel, ou texte AAAA-MM-JJ"
    ),
    "partial_date_values": Text(
        "YYYY-MM-DD, YYYY-MM or YYYY (or an Excel date)",
        "AAAA-MM-JJ, AAAA-MM ou AAAA (ou une date Excel)",
    ),
    "range_between": Text("{low} to {high}", "de {low} à {high}"),
    "range_at_least": Text("{low} or more", "{low} ou plus"),
    "range_at_most": Text("{high} or less", "{high} ou moins"),
    "any_number": Text("a number", "un nombre"),
    "any_integer": Text("a whole number", "un nombre entier"),
    "boolean_values": Text("{words} (empty = default)", "{words} (vide = valeur par défaut)"),
    # prompts and error messages of the data validations (Excel: title <= 32, text <= 255 chars)
    "dv_list_title": Text("Choose from the list", "Choisir dans la liste"),
    "dv_list_error": Text(
        "Choose a value from the dropdown list (see the README sheet).",
        "Choisissez une valeur dans la liste déroulante (voir la feuille README).",
    ),
    "dv_date_title": Text("Date", "Date"),
    "dv_date_prompt": Text(
        "A date, typed like 2019-03-04.", "Une date, saisie comme 2019-03-04 ou 04/03/2019."
    ),
    "dv_date_error": Text(
        "Enter a valid date between 1900 and 2100, for example 2019-03-04.",
        "Saisissez une date valide entre 1900 et 2100, par exemple 2019-03-04.",
    ),
    "dv_partial_title": Text("Date, partial allowed", "Date, partielle acceptée"),
    "dv_partial_prompt": Text(
        "YYYY-MM-DD, or YYYY-MM or YYYY when the day or month is unknown.",
        "AAAA-MM-JJ, ou AAAA-MM ou AAAA si le jour ou le mois est inconnu.",
    ),
    "dv_partial_error": Text(
        "Enter YYYY-MM-DD, YYYY-MM or YYYY (for example 1975-06).",
        "Saisissez AAAA-MM-JJ, AAAA-MM ou AAAA (par exemple 1975-06).",
    ),
    "dv_number_title": Text("Number", "Nombre"),
    "dv_integer_title": Text("Whole number", "Nombre entier"),
    "dv_number_error": Text("Enter a number: {allowed}.", "Saisissez un nombre : {allowed}."),
    "dv_integer_error": Text(
        "Enter a whole number: {allowed}.", "Saisissez un nombre entier : {allowed}."
    ),
    "dv_platelets_error": Text(
        "Expected a count from 0 to 2000 (10^9/L). A higher number is usually a count per µL "
        "or mm3: then keep it and choose /uL or /mm3 in the unit column.",
        "Numération attendue de 0 à 2000 (10^9/L). Un nombre plus élevé est souvent une "
        "numération par µL ou mm3 : gardez-la alors et choisissez /uL ou /mm3 dans la colonne "
        "unit.",
    ),
    # REDCap dictionary
    "record_id_label": Text("Record ID", "Identifiant de l'enregistrement"),
    "record_id_note": Text(
        "REDCap record name; the patient's study code goes in patient_id.",
        "Nom de l'enregistrement REDCap ; le code d'étude du patient va dans patient_id.",
    ),
    "redcap_center_note": Text(
        "Leave empty when the project uses data access groups: the record's group is then the "
        "center.",
        "Laisser vide si le projet utilise des groupes d'accès aux données (DAG) : le groupe de "
        "l'enregistrement est alors le centre.",
    ),
    "redcap_partial_note": Text(
        "YYYY-MM-DD, or YYYY-MM or YYYY when the day or month is unknown.",
        "AAAA-MM-JJ, ou AAAA-MM ou AAAA si le jour ou le mois est inconnu.",
    ),
    "redcap_allowed_note": Text("Allowed values: {values}.", "Valeurs autorisées : {values}."),
    "redcap_repeating_intro": Text(
        "In REDCap, mark these instruments as repeating (Project Setup > Repeating instruments "
        "and events, or upload {file}):",
        "Dans REDCap, déclarez ces instruments comme répétables (Configuration du projet > "
        "Instruments et événements répétables, ou importez {file}) :",
    ),
}
