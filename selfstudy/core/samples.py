"""Realistic synthetic self-studies, so every screen has something real to show.

`sample_studies` is seeded and pure: the same rubric and seed give the same
studies. Programs come in two cohorts, each with a baseline and a follow-up
round. Each program has strong and weak dimensions; the follow-up improves
mostly where the baseline was weak; a few items are N/A, and many ratings carry
evidence text. Every study is finished except the last program's follow-up, a
round still under way with a few required items unanswered: a cohort comparison
counts finished studies only, and the samples show both.
"""

from __future__ import annotations

import random

from selfstudy.core.rubric import NA, Item, Rubric
from selfstudy.core.study import Answer, AnswerValue, SelfStudy, unanswered_required

PROGRAMS = [
    ("Bridge to STEM Summer Academy", "Eastside Community College Foundation"),
    ("Young Engineers of the Valley", "Valley Youth Alliance"),
    ("Raíces Science Scholars", "Centro Comunitario del Sur"),
    ("Northern Lights Math Circle", "Northern Tribal College"),
    ("Code the Block", "Harbor Street Youth Center"),
    ("Future Physicians Pipeline", "Metro Health Sciences University"),
    ("River Ecology Research Fellows", "Watershed Education Partnership"),
    ("Girls Who Build Robots", "Southside Makerspace"),
    ("STEM Pathways Saturday Academy", "Lakeview Unified School District"),
    ("Indigenous Earth Sciences Camp", "Four Directions Learning Center"),
    ("Research Apprenticeship for High Schoolers", "Capitol State University"),
    ("Data Science for Social Justice", "Civic Tech Collaborative"),
]

COHORTS = ("2025 Network cohort", "2026 Network cohort")
ROUNDS = ("baseline", "follow-up")

EVIDENCE = [
    "Staff meeting minutes, {month}",
    "Student survey results ({n} respondents)",
    "Program handbook, section {k}",
    "Recruitment flyer and outreach log",
    "Enrolment spreadsheet by race/ethnicity",
    "Partner MOU with {partner}",
    "Family night sign-in sheets",
    "Mentor training agenda and attendance",
    "Alumni tracking sheet, updated {month}",
    "Student portfolios reviewed by staff",
    "Focus group notes from students",
    "Budget line for stipends and transport",
    "Annual report to the board",
    "Observation notes from two sessions",
]
NOTES = [
    "Discuss with the leadership team in the spring.",
    "Data exists but is not yet shared with staff.",
    "Try a small test of change next term.",
    "Depends on renewing the grant.",
    "Ask alumni to help with this.",
    "",
]
REFLECTIONS = [
    "Time for staff to look at data together, and a simple template to do it.",
    "A partner who can help us reach families in the neighbourhoods we are missing.",
    "Funding for stipends so students do not have to choose between us and a job.",
    "Training for mentors on talking with students about race and racism in STEM.",
    "A shared calendar of college visits and application deadlines with our schools.",
    "Better ways to hear from students who leave the program early.",
]
MONTHS = ["January", "March", "May", "September", "October", "November"]
PARTNERS = [
    "the school district",
    "the public library",
    "a local tribal council",
    "a community health center",
]


def sample_studies(rubric: Rubric, programs: int = 8, seed: int = 2025) -> list[SelfStudy]:
    """Baseline and follow-up self-studies for `programs` programs in two cohorts."""
    rng = random.Random(seed)
    studies: list[SelfStudy] = []
    for index in range(programs):
        name, organization = PROGRAMS[index % len(PROGRAMS)]
        if index >= len(PROGRAMS):
            name = f"{name} {index // len(PROGRAMS) + 1}"
        profile = _profile(rubric, rng)
        for round_index, round_name in enumerate(ROUNDS):
            study = SelfStudy.new(
                rubric,
                name,
                id=f"p{index + 1:02d}",
                organization=organization,
                cohort=COHORTS[index % 2],
                round=round_name,
                completed_on=f"{2025 + round_index}-0{3 + index % 6}-15",
                completed_by="Program director and two staff members",
            )
            growth = 0.0 if round_index == 0 else rng.uniform(0.2, 0.7)
            study.answers = _answers(rubric, profile, growth, rng)
            if (index, round_index) != (programs - 1, len(ROUNDS) - 1):
                # its own generator, so the answers drawn above are the same either way
                _finish(
                    rubric, study.answers, profile, random.Random(f"{seed}/{index}/{round_name}")
                )
            studies.append(study)
    return studies


def _profile(rubric: Rubric, rng: random.Random) -> dict[str, float]:
    """A latent level per dimension: one program-wide level plus a strong and a weak dimension."""
    base = rng.uniform(1.9, 3.1)
    levels = {d.id: base + rng.gauss(0, 0.35) for d in rubric.dimensions}
    strong, weak = rng.sample([d.id for d in rubric.dimensions], 2)
    levels[strong] += 0.8
    levels[weak] -= 0.8
    return levels


def _answers(
    rubric: Rubric, profile: dict[str, float], growth: float, rng: random.Random
) -> dict[str, Answer]:
    low, high = rubric.scale.lowest, rubric.scale.highest
    answers: dict[str, Answer] = {}
    for dimension in rubric.dimensions:
        # Weak dimensions improve most between rounds.
        latent = profile[dimension.id] + growth * (1.5 if profile[dimension.id] < 2.5 else 0.7)
        for standard in dimension.standards:
            standard_level = latent + rng.gauss(0, 0.4)
            for item in standard.items:
                roll = rng.random()
                if item.is_required and roll < 0.03:
                    continue  # left unanswered
                value = _value(rubric, item, standard_level, rng, low, high)
                if value is None:
                    continue
                answers[item.id] = Answer(
                    value=value,
                    evidence=_evidence(rng)
                    if item.is_rating and value != NA and rng.random() < 0.6
                    else "",
                    notes=rng.choice(NOTES) if item.is_rating and rng.random() < 0.2 else "",
                )
    return answers


def _finish(
    rubric: Rubric, answers: dict[str, Answer], profile: dict[str, float], rng: random.Random
) -> None:
    """Answer every required item still unanswered (an answer can show further items)."""
    dimension_of = {
        item.id: dimension.id
        for dimension in rubric.dimensions
        for standard in dimension.standards
        for item in standard.items
    }
    low, high = rubric.scale.lowest, rubric.scale.highest
    while missing := unanswered_required(rubric, answers):
        for item in missing:
            level = profile[dimension_of[item.id]]
            value = _value(rubric, item, level, rng, low, high)
            answers[item.id] = Answer(value=rng.choice(REFLECTIONS) if value is None else value)
    in_order = {item.id: answers[item.id] for item in rubric.items() if item.id in answers}
    answers.clear()
    answers.update(in_order)  # in rubric order, as files and sheet copies list them


def _value(
    rubric: Rubric, item: Item, level: float, rng: random.Random, low: float, high: float
) -> AnswerValue:
    if item.type == "rating":
        if rubric.scale.allow_na and rng.random() < 0.04:
            return NA
        wanted = min(max(level + rng.gauss(0, 0.5), low), high)
        return min(rubric.scale.values, key=lambda v: abs(v - wanted))
    if item.type == "text":
        return rng.choice(REFLECTIONS) if rng.random() < 0.7 else None
    if item.type == "number":
        return int(rng.choice([60, 80, 100, 120, 150, 200]))
    options = item.options or []
    if item.type == "choice":
        return rng.choice(options)
    chosen = [o for o in options if rng.random() < 0.5 and not o.lower().startswith("none")]
    return chosen or [options[-1]]


def _evidence(rng: random.Random) -> str:
    template = rng.choice(EVIDENCE)
    return template.format(
        month=rng.choice(MONTHS),
        n=rng.randint(12, 90),
        k=rng.randint(1, 9),
        partner=rng.choice(PARTNERS),
    )
