"""Text the app did not write is shown as written on every page: never a link, never an image.

Streamlit reads Markdown in far more than `st.markdown`: messages, widget labels, the
options of radios, pills and segmented controls, tab names, progress texts and tables.
A program name, a rubric's labels, a colleague's evidence or a `?study=` link may
hold `[text](address)`, `![x](address)` or `<address>`; each test puts them there and
reads every text the page sends to the browser.
"""

from __future__ import annotations

import re
import textwrap

import pytest
from streamlit.testing.v1 import AppTest

from selfstudy.core.study import MAX_TEXT_LENGTH, Answer, SelfStudy
from selfstudy.edges.rubric_files import PROJECT_ROOT, load_rubric
from selfstudy.edges.workbooks import read_xlsx, xlsx_bytes
from tests.sheet_tables import xlsx

APP = str(PROJECT_ROOT / "app.py")
PAGES = "selfstudy/app/pages"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL = "[click](http://evil.example/a) ![x](http://evil.example/i.png) <http://evil.example/b>"

HOSTILE_RUBRIC = f"""
id: hostile-text
version: "1"
title: Hostile text
scale:
  levels:
    - {{value: 1, label: "Low {EVIL}"}}
    - {{value: 2, label: "High {EVIL}"}}
target: 2
dimensions:
  - id: first
    title: "First {EVIL}"
    standards:
      - id: S1
        title: "Standard {EVIL}"
        items:
          - {{id: S1.a, text: "Rate {EVIL}", help: "Help {EVIL}"}}
          - {{id: S1.kind, text: Kind, type: choice, options: ["One {EVIL}", Two]}}
          - {{id: S1.many, text: Many, type: multichoice, options: ["Three {EVIL}", Four]}}
  - id: second
    title: "Second {EVIL}"
    standards:
      - id: S2
        title: Other
        items:
          - {{id: S2.a, text: Rate}}
"""

# Where Streamlit reads Markdown: the body of texts and messages, labels, tooltips, the
# options of radios, pills and segmented controls, progress texts. A select box's options
# and a text box's value are plain text, and a chart's spec is not Markdown.
MARKDOWN_FIELDS = {"body", "label", "help", "text", "content", "captions"}
PLAIN_OPTIONS = {"Selectbox", "Multiselect"}


def sent_markdown(at: AppTest) -> list[str]:
    """Every text the page sends that the browser reads as Markdown."""
    found: list[str] = []

    def walk(message, element: str) -> None:
        for field, value in message.ListFields():
            for one in value if field.is_repeated else [value]:
                if field.type == field.TYPE_MESSAGE:
                    walk(one, element)
                elif field.type == field.TYPE_STRING and (
                    field.name in MARKDOWN_FIELDS
                    or (field.name == "options" and element not in PLAIN_OPTIONS)
                ):
                    found.append(one)

    def visit(node) -> None:
        if getattr(node, "proto", None) is not None:
            walk(node.proto, type(node).__name__)
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    return found


_UNESCAPED = r"(?<!\\)(?:\\\\)*"
_LINK = re.compile(_UNESCAPED + r"\[(?:\\.|[^\]\\])*\]\(([^)\s]*)")  # [text](address), ![x](…)
_AUTOLINK = re.compile(_UNESCAPED + r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")


def hostile_links(texts: list[str]) -> list[str]:
    """The addresses of the hostile text that Markdown would make a link or an image of."""
    found = [a for t in texts for a in _LINK.findall(t) + _AUTOLINK.findall(t)]
    return [address for address in found if "evil" in address]


@pytest.fixture
def hostile_rubric(monkeypatch, tmp_path):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    path = folder / "hostile-text.yaml"
    path.write_text(textwrap.dedent(HOSTILE_RUBRIC), encoding="utf-8")
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    return load_rubric(path)


def hostile_study(rubric, completed_on: str = "2025-05-01", **answers: Answer) -> SelfStudy:
    study = SelfStudy.new(
        rubric,
        f"Name {EVIL}",
        organization=f"Org {EVIL}",
        cohort=f"Cohort {EVIL}",
        round=f"Round {EVIL}",
        completed_on=completed_on,
    )
    study.answers.update(answers)
    return study


def open_page(page: str, study_id: str | None = None, who: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if study_id:
        at.query_params["study"] = study_id
    if who:
        at.session_state["who"] = who
    at.run()
    return at.switch_page(f"{PAGES}/{page}").run()


def test_program_details_show_as_written_on_the_start_page(db, default_rubric):
    study_id = db.create_study(hostile_study(default_rubric))
    deleted = db.create_study(hostile_study(default_rubric))
    db.delete_study(deleted)
    at = open_page("start.py", study_id)
    next(b for b in at.button if b.key == f"delete-{study_id}").click().run()
    assert not at.exception
    shown = sent_markdown(at)
    assert any("You have **Name" in t for t in shown)  # the study this browser has open
    assert any(t.startswith("Delete **Name") for t in shown)  # asked before deleting
    assert sum("Round" in t for t in shown) >= 3
    assert hostile_links(shown) == []


def test_a_rubrics_labels_help_and_options_show_as_written_on_the_self_study_page(
    db, hostile_rubric
):
    study_id = db.create_study(hostile_study(hostile_rubric))
    at = open_page("questionnaire.py", study_id)
    assert not at.exception
    shown = sent_markdown(at)
    assert any(t.startswith("Low") for t in shown)  # a rating's options
    assert any(t.startswith("One") for t in shown)  # a choice's options
    assert any(t.startswith("Three") for t in shown)  # a multiple choice's options
    assert any(t.startswith("Help") for t in shown)  # an item's help
    assert any(t.startswith("Second") and "required answered" in t for t in shown)  # progress
    assert hostile_links(shown) == []


def test_dimension_titles_and_rounds_show_as_written_on_the_results_page(db, hostile_rubric):
    db.create_study(hostile_study(hostile_rubric, "2024-05-01", **{"S1.a": Answer(value=1)}))
    later = hostile_study(hostile_rubric, **{"S1.a": Answer(value=2)})
    at = open_page("results.py", db.create_study(later))
    assert not at.exception
    shown = sent_markdown(at)
    assert any(t.startswith("Second") for t in shown)  # a tab
    assert any(t.startswith("Change since Round") for t in shown)  # the earlier round
    assert hostile_links(shown) == []


def test_a_colleagues_name_and_words_show_as_written_in_notices_and_the_history(db, hostile_rubric):
    study_id = db.create_study(hostile_study(hostile_rubric))
    ana = open_page("questionnaire.py", study_id, who=f"Ana {EVIL}")
    ben = open_page("questionnaire.py", study_id)
    rating = "S1.a — Rate"
    next(s for s in ana.segmented_control if s.label.startswith(rating)).set_value(1).run()
    next(s for s in ben.segmented_control if s.label.startswith(rating)).set_value(2).run()
    told = sent_markdown(ben)
    ben.session_state[f"w:{study_id}:S1.a:history"] = True  # Ben opens the item's history
    ben.run()
    assert not ben.exception
    history = sent_markdown(ben)
    assert any("changed by Ana" in t for t in told)  # the notice
    assert any(" · Ana " in t for t in history)
    assert hostile_links(told + history) == []


def test_a_stored_round_and_a_copys_problems_show_as_written_on_the_import_page(db, default_rubric):
    study = hostile_study(default_rubric, **{"PG.1.a": Answer(value=3)})
    db.create_study(study)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page(f"{PAGES}/import_sync.py").run()
    sheets = read_xlsx(xlsx_bytes(study, default_rubric))
    sheets["1. Program Goals"][5][3] = f"Great {EVIL}"  # the rating of PG.1.a
    at.file_uploader(key="import_files").set_value([("broken.xlsx", xlsx(sheets), XLSX)]).run()
    assert not at.exception
    table = at.table[0].value  # a table reads every cell as Markdown too
    cells = [*table.index, *(str(cell) for row in table.values for cell in row)]
    assert any("Great" in cell for cell in cells)
    assert hostile_links(cells) == []

    copy = ("copy.xlsx", xlsx_bytes(study, default_rubric), XLSX)
    at.file_uploader(key="import_files").set_value([copy]).run()
    assert not at.exception
    shown = sent_markdown(at)
    assert any("is already stored" in t and "Round" in t for t in shown)
    assert hostile_links(shown) == []


def test_a_link_naming_no_possible_study_is_never_quoted(db):
    crafted = f"x` {EVIL} `"
    for page in ("questionnaire.py", "results.py"):
        at = open_page(page, crafted)
        assert not at.exception
        [error] = at.error
        assert "does not name a self-study" in error.value
        assert "evil" not in error.value
        assert hostile_links(sent_markdown(at)) == []


def test_a_program_name_over_the_limit_is_refused_at_begin_with_its_field(db):
    at = open_page("start.py")
    # An emoji counts twice, as in every spreadsheet and browser: one too many to store.
    too_long = "\N{SLIGHTLY SMILING FACE}" * (MAX_TEXT_LENGTH // 2 + 1)
    next(t for t in at.text_input if t.label == "Program name *").input(too_long)
    next(b for b in at.button if b.label == "Begin the self-study").click().run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Program name: the text is 30,002 characters long")
    assert db.list_studies() == []


def test_a_sheet_copy_that_cannot_be_written_says_why_instead_of_failing(db, monkeypatch, tmp_path):
    """An item text longer than an Excel cell holds: neither .xlsx file can be made."""
    folder = tmp_path / "rubrics"
    folder.mkdir()
    rubric_text = (PROJECT_ROOT / "tests" / "data" / "rubrics" / "odd-scale.yaml").read_text()
    long_text = rubric_text.replace("Mentors are matched on interests", "M" * 33_000)
    (folder / "odd-scale.yaml").write_text(long_text, encoding="utf-8")
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    study_id = db.create_study(SelfStudy.new(load_rubric(folder / "odd-scale.yaml"), "Pilot"))
    at = open_page("import_sync.py", study_id)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 2  # the blank template, and the study's copy
    assert all("'1. Relationships'!C6: this text is 33,000 characters long" in e for e in errors)
    assert not at.get("download_button")
