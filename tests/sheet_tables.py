"""Small sheet copies written inline in tests, pyxform style.

`table()` reads a markdown-ish table: one `|`-separated line per row, blank
cells are empty, `{3}` / `{3.0}` are number cells, `{TRUE}` a boolean, anything
else is text (kept exactly, spaces trimmed only at the cell edges of the
markdown). A line of just `|` is an empty row. `xlsx()` turns tabs of rows into
a real .xlsx file with openpyxl, every text cell a text cell.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

from hypothesis import strategies as st
from openpyxl import Workbook

from selfstudy.core.rubric import NA, Rubric
from selfstudy.core.rubric.parse import parse_rubric
from selfstudy.core.sheetcopy import Cell, Rows, Sheets
from selfstudy.core.study import Answer, Program, RubricRef, SelfStudy

TINY_RUBRIC = """
id: tiny
version: "2.0"
title: Tiny self-study
scale:
  allow_na: true
  levels:
    - {value: 1, label: Not yet}
    - {value: 2, label: Emerging}
    - {value: 3, label: Established}
    - {value: 4, label: Sustaining}
target: 3
dimensions:
  - id: program-goals
    title: Program Goals
    standards:
      - id: PG.1
        title: Explicit goals
        resources:
          - {title: Write a logic model, url: "https://example.org/logic"}
        items:
          - {id: PG.1.a, text: We have written goals.}
          - {id: PG.1.b, text: Goals are measurable.}
          - {id: PG.R, type: text, text: What would help?}
  - id: student-recruitment
    title: Student Recruitment
    standards:
      - id: SR.1
        title: Reaching students
        items:
          - {id: SR.1.a, text: We recruit where students are.}
          - {id: SR.1.hours, type: number, text: Hours of outreach?}
          - id: SR.1.stipend
            type: choice
            text: Stipend?
            options: ["Yes", "No", "Some students"]
          - id: SR.1.ways
            type: multichoice
            text: How do you reach families?
            options: ["Flyers", "Home visits, with a translator", "Radio; local", "Social media"]
"""

TINY = parse_rubric(TINY_RUBRIC, "<tiny>")


def tiny_study(**answers: Answer) -> SelfStudy:
    """A self-study of the tiny rubric with `answers`."""
    return SelfStudy(
        rubric=RubricRef(id="tiny", version="2.0"),
        program=Program(name="Bridge to STEM", cohort="2025"),
        answers=answers,
    )


def _cell(text: str) -> Cell:
    text = text.strip()
    if text == "":
        return None
    if text.startswith("{") and text.endswith("}"):
        inner = text[1:-1]
        if inner in ("TRUE", "FALSE"):
            return inner == "TRUE"
        return float(inner) if "." in inner or "e" in inner else int(inner)
    return text


def table(text: str) -> Rows:
    rows: Rows = []
    for line in textwrap.dedent(text).strip().splitlines():
        line = line.strip()
        if set(line) <= {"|"}:
            rows.append([])
            continue
        cells = line.strip("|").split("|")
        rows.append([_cell(c) for c in cells])
    return rows


def tiny_copy(**overrides: str | Rows | None) -> Sheets:
    """A valid filled-in copy of the tiny rubric; pass tab=None to drop a tab."""
    tabs: dict[str, str | Rows | None] = {
        "START HERE": """
            | Tiny self-study |
            | Fill in column B |
            |
            | Program name   | Bridge to STEM |
            | Program ID     | p01 |
            | Cohort         | 2025 |
            | Rubric         | tiny |
            | Rubric version | 2.0 |
        """,
        "1. Program Goals": """
            | Program Goals |
            |
            | ID     | Standard | Indicator              | Rating      | Evidence     | Notes |
            |        | PG.1     | Explicit goals         |             |              |       |
            | PG.1.a | PG.1     | We have written goals. | Established | Goals page   |       |
            | PG.1.b | PG.1     | Goals are measurable.  | Emerging    |              | Ask board |
            | PG.R   | PG.1     | What would help?       | Time        |              |       |
        """,
        "2. Student Recruitment": """
            | ID          | Indicator | Rating | Evidence | Notes |
            | SR.1.a      | Recruit   | N/A    |          |       |
            | SR.1.hours  | Hours     | {120}  |          |       |
            | SR.1.stipend| Stipend   | Yes    |          |       |
            | SR.1.ways   | Ways      | Flyers; Social media |  |  |
        """,
    }
    tabs.update({k.replace("_", " "): v for k, v in overrides.items()})
    return {
        title: table(content) if isinstance(content, str) else content
        for title, content in tabs.items()
        if content is not None
    }


def xlsx(sheets: Sheets, path: Path | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    if path is not None:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


# --- random self-studies for property tests -------------------------------------------------

TEXT = st.text(
    # NUL cannot be in a CSV file, and U+FFFE/U+FFFF cannot be in an .xlsx file.
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"),
    max_size=30,
)
TRICKY = st.sampled_from(
    [
        "=1+1",
        "+44 20",
        "-",
        "@here",
        "'quoted",
        " lead",
        "trail ",
        "a\nb",
        "a\r\nb",
        "3",
        "3.0",
        "_x000D_",
        "N/A",
        "   ",
        "\t",
        "é😀",
    ]
)
SOME_TEXT = st.one_of(TRICKY, TEXT, st.builds(lambda a, b: a + b, TRICKY, TEXT))
SHOWN_TEXT = SOME_TEXT.filter(lambda s: s.strip() != "")


@st.composite
def studies(draw: st.DrawFn, rubric: Rubric) -> SelfStudy:
    answers: dict[str, Answer] = {}
    for item in rubric.items():
        if not draw(st.booleans()):
            continue
        if item.type == "rating":
            value = draw(st.sampled_from([None, NA, *rubric.scale.values]))
        elif item.type == "number":
            value = draw(
                st.none()
                | st.integers(-(10**20), 10**20)
                | st.floats(allow_nan=False, allow_infinity=False)
            )
        elif item.type == "choice":
            value = draw(st.none() | st.sampled_from(item.options))
        elif item.type == "multichoice":
            value = draw(st.lists(st.sampled_from(item.options), unique=True))
        else:
            value = draw(st.none() | SHOWN_TEXT)
        answer = Answer(
            value=value or None if value == [] else value,
            evidence=draw(SOME_TEXT),
            notes=draw(SOME_TEXT),
        )
        if answer.value is not None or answer.evidence or answer.notes:
            answers[item.id] = answer
    extra = draw(st.dictionaries(st.sampled_from(["region", "grant"]), SHOWN_TEXT, max_size=2))
    program = Program(
        name=draw(SHOWN_TEXT),
        id=draw(st.none() | SHOWN_TEXT),
        organization=draw(st.none() | SHOWN_TEXT),
        cohort=draw(st.none() | SHOWN_TEXT),
        round=draw(st.none() | SHOWN_TEXT),
        **extra,
    )
    return SelfStudy(
        rubric=RubricRef(id=rubric.id, version=rubric.version), program=program, answers=answers
    )
