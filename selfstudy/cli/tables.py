"""Plain-text tables for reading results in a terminal.

Every cell and every line of text from the input is `printable`: its control
characters and line breaks are shown written out, never acted on by the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from selfstudy.core.printable import printable
from selfstudy.core.rubric import Rubric
from selfstudy.core.scoring import Result
from selfstudy.core.study import SelfStudy
from selfstudy.core.wording import STATUS_LABELS, clip, gap_text, level_text, percent_text


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """Columns padded to their widest cell; `align` has one 'l' or 'r' per column.

    A cell or header is shown `printable`: a line break or control character written out
    (a header may be data too, such as a rater's name).
    """
    cells = [[printable(str(h)) for h in headers]] + [
        ["" if c is None else printable(str(c)) for c in row] for row in rows
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


def result_table(rubric: Rubric, study: SelfStudy, result: Result) -> str:
    """A scored study for the terminal: who, overall, dimensions, standards, priorities."""
    program = study.program
    about = " · ".join(x for x in (program.organization, program.cohort, program.round) if x)
    lines = [
        printable(program.name + (f" ({about})" if about else "")),
        printable(f"{rubric.title}, version {rubric.version}"),
        "",
        _overall_line(rubric, result),
        "",
        _dimension_table(result),
        "",
        _standard_table(result),
    ]
    if result.priorities:
        lines += ["", "Priorities (largest gap first):", *_priority_lines(result)]
    return "\n".join(lines)


def _overall_line(rubric: Rubric, result: Result) -> str:
    overall = result.overall
    return (
        f"Overall: {level_text(overall.mean_level)} of {rubric.scale.highest} "
        f"(target {overall.target}) — {STATUS_LABELS[overall.status]}; "
        f"completeness {percent_text(result.completeness)} "
        f"({result.answered} of {result.required} required items)"
    )


def _dimension_table(result: Result) -> str:
    rows = [
        [
            d.title,
            level_text(d.score.mean_level),
            d.score.target,
            gap_text(d.score.gap),
            STATUS_LABELS[d.score.status],
            f"{d.answered}/{d.required}",
        ]
        for d in result.dimensions
    ]
    return text_table(["Dimension", "Level", "Target", "Gap", "Status", "Answered"], rows, "lrrrlr")


def _standard_table(result: Result) -> str:
    rows = [
        [
            s.id,
            clip(s.title, 56),
            level_text(s.score.mean_level),
            s.score.target,
            STATUS_LABELS[s.score.status],
        ]
        for s in result.standards
    ]
    return text_table(["Standard", "Title", "Level", "Target", "Status"], rows, "llrrl")


def _priority_lines(result: Result) -> list[str]:
    lines = []
    for rank, standard_id in enumerate(result.priorities, 1):
        s = result.standard(standard_id)
        lines.append(printable(f"{rank:>3}. {s.id}  {s.title}  ({gap_text(s.score.gap)})"))
    return lines
