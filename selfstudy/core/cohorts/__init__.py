"""Many self-studies side by side: one long table, scored at once, then compared.

A facilitator's network holds hundreds of self-studies. Scoring them one by one
with `scoring.score` is exact but slow, so this package turns them into one long
table of answers (study, item, value) (`table`) and scores every study at once
with numpy (`scoring`), with the same numbers.

On top of the scores sit the comparisons a facilitator asks for: per group
(cohort, round or any program field) and dimension or standard, the number of
programs, the mean and median of their mean levels, the spread and the share
that meets the target (`groups`); the change from baseline to follow-up, pairing
a program's rounds by program id (`changes`, with `rounds` deciding which
studies count); the standards that the fewest and the most programs meet
(`network` needs and assets); one program against its group's median; and
stable pseudonyms for sharing outside the network (`pseudonyms`). Only studies
complete enough count (`completeness`: by default every required item answered);
`comparison` computes them all at once and says which studies were left out.

Pure pandas/numpy: no I/O, no printing.
"""

from selfstudy.core.cohorts.changes import change_summary, changes
from selfstudy.core.cohorts.comparison import Comparison, compare
from selfstudy.core.cohorts.completeness import (
    DEFAULT_MIN_COMPLETE,
    Counted,
    LeftOut,
    check_min_complete,
    complete_percent,
    counted,
    counts,
    study_label,
    threshold_text,
)
from selfstudy.core.cohorts.groups import (
    STATISTICS,
    against_group,
    dimension_summary,
    group_fields,
    groups_of,
    levels_by_group,
    standard_summary,
)
from selfstudy.core.cohorts.network import assets, needs, standard_shares
from selfstudy.core.cohorts.pseudonyms import (
    DEFAULT_PSEUDONYM_SECRET,
    pseudonym,
    pseudonymized,
)
from selfstudy.core.cohorts.rounds import (
    duplicate_studies,
    latest_rounds,
    round_order,
    without_duplicates,
)
from selfstudy.core.cohorts.scoring import (
    APPROACHING,
    MEETS,
    NOT_RATED,
    NOT_YET,
    CohortScores,
    score_answers,
    score_studies,
)
from selfstudy.core.cohorts.table import (
    PROGRAM_FIELDS,
    Answers,
    RubricArrays,
    collect_answers,
    long_table,
    programs_table,
    rubric_arrays,
)

__all__ = [
    "APPROACHING",
    "DEFAULT_MIN_COMPLETE",
    "DEFAULT_PSEUDONYM_SECRET",
    "MEETS",
    "NOT_RATED",
    "NOT_YET",
    "PROGRAM_FIELDS",
    "STATISTICS",
    "Answers",
    "CohortScores",
    "Comparison",
    "Counted",
    "LeftOut",
    "RubricArrays",
    "against_group",
    "assets",
    "change_summary",
    "changes",
    "check_min_complete",
    "collect_answers",
    "compare",
    "complete_percent",
    "counted",
    "counts",
    "dimension_summary",
    "duplicate_studies",
    "group_fields",
    "groups_of",
    "latest_rounds",
    "levels_by_group",
    "long_table",
    "needs",
    "programs_table",
    "pseudonym",
    "pseudonymized",
    "round_order",
    "rubric_arrays",
    "score_answers",
    "score_studies",
    "standard_shares",
    "standard_summary",
    "study_label",
    "threshold_text",
    "without_duplicates",
]
