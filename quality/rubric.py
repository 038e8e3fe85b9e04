"""The scoring rubric: every weight and threshold of the quality scores, in one versioned place.

Change a number here and bump ``VERSION``: stored reports carry the version they were scored
with, so a rescan is due when it changes, and two scores are comparable only when their
versions match.

**Grades.** Each score is 0–100 with a grade: A ≥ 80, B ≥ 60, C ≥ 40, D ≥ 20, E below.
For AI-training fitness the grades are the bands of the project's quality design note:
A = AI-ready, B = usable with caveats, C = needs work, D and E = not fit.

**Metadata** (``METADATA_WEIGHTS``): data.gouv.fr's nine criteria weigh 1 each, and the four
criteria ctd adds (contact point, declared schema, keywords, themes) 0.5 each. The score is
the weighted share of criteria met. The report also gives data.gouv.fr's own figure, the
count of its nine criteria met over nine, so the two can be compared.

**AI-training fitness**::

    AIF = 100 · G_lic · (0.20 D + 0.20 S + 0.20 C + 0.15 I + 0.10 U + 0.10 F + 0.05 P)

- ``G_lic``, the licence gate: 1 for Licence Ouverte, CC-BY or CC0; 0.8 for ODbL
  (share-alike binds the models' outputs); 0.4 for an unspecified licence; 0.6 for any other
  licence or for a dataset that is not open — such data is usable for training only under an
  agreement, which the report says.
- ``D`` documentation: the metadata score, Croissant's required fields, and the share of
  columns a schema describes.
- ``S`` structure: 0 when the file cannot be read or holds encoding errors; otherwise the
  format factor times ``1 − min(1, CELL_ERROR_SLOPE × cell-error rate)`` minus
  ``HEADER_PENALTY`` per header problem (at most ``HEADER_PENALTY_MAX``).
- ``C`` completeness: ``(1 − mean null rate) · (1 − duplicate-row rate) · type conformance``.
- ``I`` interoperability: an official schema followed, codes with their leading zeros, and
  temporal and spatial coverage declared.
- ``U`` ML utility: ``min(1, log10(rows) / UTILITY_LOG_ROWS) · (1 − share of constant or
  ID-like columns)``.
- ``F`` freshness: a frequency declared, and the last update on time for it.
- ``P`` provenance: publisher, modification date, checksums and source address.

When a term cannot be assessed (``ctd score FILE`` has no metadata), it is left out and the
remaining weights are scaled back to a total of 1; the report lists what was not assessed.

**Minimisation** (GDPR Art. 5(1)(c); the three G29/CNIL anonymisation criteria)::

    MIN = 100 · G_DI · (0.30 Rs + 0.20 Ra + 0.20 L + 0.15 Inf + 0.15 Gr)

- ``G_DI``, the direct-identifier gate: 0 for a NIR, IBAN or licence-plate column; 0.3 for
  person names together with a contact (e-mail, phone, postal address); 0.5 for two other
  kinds of direct identifiers; 0.7 for one (officials' work e-mails, a sole trader's SIRET…);
  1 otherwise.
- ``Rs`` singling out: 1 − the share of records in quasi-identifier classes smaller than k
  (k = 11 by default, after INSEE's 11-household rule).
- ``Ra`` average risk: min(1, mean class size / k).
- ``L`` linkability: 1 − the share of quasi-identifier and pseudonym columns at linkable
  precision (a birth date to the day, GPS with 4 decimals or more, a stable pseudonym).
- ``Inf`` inference: 1 − the share of records in classes where a sensitive column (GDPR
  Art. 9 or 10) takes fewer than 2 values.
- ``Gr`` granularity: 1 − the share of quasi-identifier and free-text columns more precise
  than a use needs (GPS past 4 decimals, a birth date to the day, personal data in free text).

Without quasi-identifiers, ``Rs``, ``Ra`` and ``Inf`` are 1. Bands: ≥ 85 minimised, 60–84 to be
reviewed by the DPO, below 60 (or a gate of 0) opening and AI use are blocked. The dataset's
verdict follows: ``do_not_share`` with a gate of 0 or special-category data beside direct
identifiers; ``agreement_only`` for other personal data, or a dataset that is not open;
``open`` otherwise. A ``do_not_share`` verdict sets the AI-training band to ``not_fit``.
"""

from __future__ import annotations

VERSION = "2026.12"

GRADES = [(80, "A"), (60, "B"), (40, "C"), (20, "D"), (0, "E")]

# Metadata: data.gouv.fr's nine criteria, then ctd's four.
DATAGOUV_CRITERIA = [
    "licence", "temporal_coverage", "spatial_coverage", "frequency", "update_on_time",
    "description", "open_formats", "resources_available", "documentation",
]  # fmt: skip
METADATA_WEIGHTS = {
    **dict.fromkeys(DATAGOUV_CRITERIA, 1.0),
    "contact_point": 0.5,
    "schema": 0.5,
    "keywords": 0.5,
    "themes": 0.5,
}
DESCRIPTION_MIN_CHARS = 100
# Formats data.gouv.fr counts as closed.
CLOSED_FORMATS = {"pdf", "doc", "docx", "xls", "xlsx"}
# An update is on time when it is no older than the frequency's period plus this tolerance.
ON_TIME_TOLERANCE_DAYS = 1
# The period of each frequency code (EU authority table), in days; codes without a period
# (continuous, irregular, never, other, unknown) have no deadline.
FREQUENCY_DAYS = {
    "HOURLY": 1, "DAILY": 1, "WEEKLY": 7, "BIWEEKLY": 14, "MONTHLY": 31, "BIMONTHLY": 62,
    "QUARTERLY": 92, "ANNUAL_2": 183, "ANNUAL": 366, "BIENNIAL": 731, "TRIENNIAL": 1096,
}  # fmt: skip
# Frequencies that say nothing about when the next update comes.
UNDECLARED_FREQUENCIES = {"UNKNOWN", "OTHER"}

# AI-training fitness.
AI_WEIGHTS = {
    "documentation": 0.20,
    "structure": 0.20,
    "completeness": 0.20,
    "interoperability": 0.15,
    "utility": 0.10,
    "freshness": 0.10,
    "provenance": 0.05,
}
OPEN_LICENCES = {"fr-lo-2.0": 1.0, "cc-by-4.0": 1.0, "cc0-1.0": 1.0, "odbl-1.0": 0.8}
UNSPECIFIED_LICENCE = "notspecified"
UNSPECIFIED_LICENCE_GATE = 0.4
AGREEMENT_ONLY_GATE = 0.6
# Documentation: parts of D.
DOCUMENTATION_WEIGHTS = {"metadata": 0.4, "croissant": 0.3, "columns": 0.3}
# Croissant 1.1's required dataset properties, as ctd fills them.
CROISSANT_REQUIRED = ["name", "description", "license", "url", "creator", "datePublished"]
# Structure.
FORMAT_FACTORS = {"csv": 1.0, "tsv": 1.0, "parquet": 1.0, "geojson": 1.0, "json": 0.9,
                  "ods": 0.8, "xlsx": 0.7, "xls": 0.7}
CELL_ERROR_SLOPE = 10  # 10 % of cells in error gives a structure of 0
HEADER_PENALTY = 0.1
HEADER_PENALTY_MAX = 0.5
HEADER_ERRORS = {"blank-header", "blank-label", "duplicate-label", "missing-label",
                 "extra-label"}
CELL_ERRORS = {"extra-cell", "missing-cell", "type-error", "constraint-error", "unique-error",
               "primary-key", "blank-row"}
# Interoperability: parts of I.
INTEROPERABILITY_WEIGHTS = {"schema": 0.4, "codes": 0.3, "temporal": 0.15, "spatial": 0.15}
# A file whose header matches an official schema this well probably follows it.
SCHEMA_GUESS_THRESHOLD = 0.6
# What a schema that is only guessed, not declared, is worth.
GUESSED_SCHEMA_CREDIT = 0.3
# Code columns by header word, with the width of the code: a shorter number lost its zeros.
CODE_WIDTHS = {"insee": 5, "codgeo": 5, "depcom": 5, "cog": 5, "cp": 5, "postal": 5,
               "codepostal": 5, "siren": 9, "siret": 14}
# ML utility.
UTILITY_LOG_ROWS = 4  # 10,000 rows or more count in full
# Bands of the AI-training fitness, by grade.
AI_BANDS = {"A": "ai_ready", "B": "usable_with_caveats", "C": "needs_work", "D": "not_fit",
            "E": "not_fit"}


# Minimisation.
# Detections whose values a report may still quote (the profile's top values, extremes and
# finding notes); other personal columns are never quoted.
QUOTABLE_KINDS = {"postal_code", "commune", "iris", "sex"}
MINIMISATION_WEIGHTS = {
    "singling_out": 0.30,
    "average_risk": 0.20,
    "linkability": 0.20,
    "inference": 0.15,
    "granularity": 0.15,
}
# The direct-identifier gate: what blocks, then by the kinds of direct identifiers present.
IDENTIFIER_KINDS = {"nir", "iban", "plate"}
CONTACT_KINDS = {"email", "phone", "address"}
NAME_AND_CONTACT_GATE = 0.3
DIRECT_GATES = {0: 1.0, 1: 0.7}  # two kinds or more: MANY_DIRECT_GATE
MANY_DIRECT_GATE = 0.5
DEFAULT_K = 11
# GPS coordinates with this many decimals (about 11 m) locate a household.
LINKABLE_GPS_DECIMALS = 4
# Bands of the minimisation score.
MINIMISED = 85
DPO_REVIEW = 60
# Remedies: the automatic recipe suppresses small classes only when this share of records or
# less goes.
MAX_SUPPRESSED_SHARE = 0.05
# Remedies: the grid GPS points are moved to (INSEE publishes on a 200 m grid).
GPS_GRID_METRES = 200


def grade(value: float) -> str:
    for floor, letter in GRADES:
        if value >= floor:
            return letter
    return GRADES[-1][1]
