"""Plain-text tables for reading results in a terminal."""

from __future__ import annotations

from collections.abc import Sequence

from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import STATUS_LABELS, Result, Score
from selfstudy.core.study import SelfStudy


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """Columns padded to their widest cell; `align` has one 'l' or 'r' per column."""
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = align or "l" * len(headers)

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(w) if a == "r" else cell.ljust(w)
            for cell, w, a in zip(row, widths, align, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _level(score: Score) -> str:
    return "—" if score.mean_level is None else f"{score.mean_level:.2f}"


def _gap(score: Score) -> str:
    return "" if score.gap is None else f"{score.gap:+.2f}"


def result_table(rubric: Rubric, study: SelfStudy, result: Result) -> str:
    program = study.program
    about = " · ".join(x for x in (program.organization, program.cohort, program.round) if x)
    overall = result.overall
    lines = [
        f"{program.name}" + (f" ({about})" if about else ""),
        f"{rubric.title}, version {rubric.version}",
        "",
        f"Overall: {_level(overall)} of {rubric.scale.highest} (target {overall.target}) — "
        f"{STATUS_LABELS[overall.status]}; completeness {result.completeness:.0%} "
        f"({result.answered} of {result.required} required items)",
        "",
        text_table(
            ["Dimension", "Level", "Target", "Gap", "Status", "Answered"],
            [
                [
                    d.title,
                    _level(d.score),
                    d.score.target,
                    _gap(d.score),
                    STATUS_LABELS[d.score.status],
                    f"{d.answered}/{d.required}",
                ]
                for d in result.dimensions
            ],
            "lrrrlr",
        ),
        "",
        text_table(
            ["Standard", "Title", "Level", "Target", "Status"],
            [
                [
                    s.id,
                    clip(s.title, 56),
                    _level(s.score),
                    s.score.target,
                    STATUS_LABELS[s.score.status],
                ]
                for s in result.standards
            ],
            "llrrl",
        ),
    ]
    if result.priorities:
        lines += ["", "Priorities (largest gap first):"]
        for rank, standard_id in enumerate(result.priorities, 1):
            s = result.standard(standard_id)
            lines.append(f"{rank:>3}. {s.id}  {s.title}  (gap {s.score.gap:.2f})")
    return "\n".join(lines)


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
