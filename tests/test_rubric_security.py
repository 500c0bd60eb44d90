"""A rubric, a self-study or a sheet copy from a stranger cannot read the server's files,
hang a command, smuggle a link or crash a chart.

- A rubric id read from data is looked up among the known rubrics only: a path in
  its place is refused with the same words whether that file exists or not.
- A rubric file is read within bounds: no YAML aliases, no deep nesting, no huge file.
- Only web and e-mail addresses become links, in the report, the workbook and the app.
- Control characters in a rubric's titles reach no chart.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric.parse import MAX_DEPTH, read_rubric
from selfstudy.edges.rubric_files import (
    PROJECT_ROOT,
    available_rubrics,
    rubric_by_id,
    rubric_problems,
)
from selfstudy.edges.workbooks import xlsx_bytes
from tests import hostile
from tests.conftest import DEFAULT_RUBRIC_PATH, SAMPLES_DIR

APP = str(PROJECT_ROOT / "app.py")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECRET = "TOPSECRET-7f3a"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def secret_yaml(tmp_path: Path) -> Path:
    """A YAML file on the server that no copy should be able to read: a rubric, even."""
    path = tmp_path / "private" / "secret.yaml"
    path.parent.mkdir()
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    path.write_text(f"{SECRET}_key: {SECRET}\n" + text.replace("title: ", f"title: {SECRET} ", 1))
    return path


# --- 1. a rubric id from data is never a path ----------------------------------------------

HOSTILE_IDS = [
    "../rubrics/stem-equity-self-study",
    "..",
    "stem-equity-self-study.yaml",
    "stem-equity-self-study.yml",
    "rubrics/stem-equity-self-study",
    "rubrics\\stem-equity-self-study",
    "stem-equity\x00-self-study",
    "Stem-Equity-Self-Study",
    "stem-equity-self-study\n",
    "a" * 101,
    "https://example.org/rubric.yaml",
]


@pytest.mark.parametrize("rubric_id", HOSTILE_IDS)
def test_an_id_that_could_name_a_file_is_refused_by_the_same_words(rubric_id):
    with pytest.raises(ProblemsFound) as refused:
        rubric_by_id(rubric_id, "1.0", where="study.json")
    (problem,) = refused.value.problems
    assert problem.code == "bad-slug"
    assert problem.location == "study.json"
    assert problem.message == (
        "the rubric named here is not a rubric id (an id is lower-case letters, digits and "
        "'-'); name one of the known rubrics: stem-equity-self-study"
    )


def test_an_unknown_but_proper_id_names_the_known_ones():
    with pytest.raises(ProblemsFound) as refused:
        rubric_by_id("no-such-rubric", "1.0", where="study.json")
    assert refused.value.codes() == ["rubric-not-found"]
    assert "no rubric with id 'no-such-rubric'; known ids: stem-equity-self-study" in str(
        refused.value
    )


def _study_naming(path: Path, rubric_id: str) -> Path:
    document = json.loads((SAMPLES_DIR / "p01-baseline.json").read_text(encoding="utf-8"))
    document["rubric"]["id"] = rubric_id
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["score", "import", "report"])
def test_a_study_naming_a_server_file_as_its_rubric_learns_nothing_of_it(
    command, tmp_path, secret_yaml
):
    study = tmp_path / "study.json"
    args = ["--out", tmp_path / "report.html"] if command == "report" else []
    existing = invoke(command, _study_naming(study, str(secret_yaml)), *args)
    missing = invoke(command, _study_naming(study, str(secret_yaml.with_name("none.yaml"))), *args)
    assert existing.exit_code == missing.exit_code == 1
    assert SECRET not in existing.output
    assert "Traceback" not in existing.output
    assert existing.output == missing.output
    assert f"{study}: the rubric named here is not a rubric id" in existing.output
    assert not (tmp_path / "report.html").exists()


def _copy_naming(rubric_id: str) -> bytes:
    """The project's own .xlsx copy of a sample, its START HERE 'Rubric' cell then changed."""
    sample = json.loads((SAMPLES_DIR / "p01-baseline.json").read_text(encoding="utf-8"))
    from selfstudy.core.study import SelfStudy
    from selfstudy.edges.rubric_files import load_rubric

    study = SelfStudy.model_validate(sample)
    workbook = load_workbook(io.BytesIO(xlsx_bytes(study, load_rubric(DEFAULT_RUBRIC_PATH))))
    sheet = workbook["START HERE"]
    (cell,) = [row[1] for row in sheet.iter_rows() if row[0].value == "Rubric"]
    cell.value = rubric_id
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_copy_naming_a_server_file_as_its_rubric_learns_nothing_of_it_on_import(
    tmp_path, secret_yaml
):
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(_copy_naming(str(secret_yaml)))
    existing = invoke("import", copy)
    copy.write_bytes(_copy_naming(str(secret_yaml.with_name("none.yaml"))))
    missing = invoke("import", copy)
    assert existing.exit_code == missing.exit_code == 1
    assert SECRET not in existing.output
    assert existing.output == missing.output
    assert f"{copy}: 'START HERE'!B" in existing.stderr
    assert "the rubric named here is not a rubric id" in existing.stderr


def _app_upload(data: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("selfstudy/app/pages/import_sync.py").run()
    at.file_uploader(key="import_files").set_value([("copy.xlsx", data, XLSX)])
    return at.run()


def _page_text(at: AppTest) -> str:
    kinds = ("markdown", "error", "warning", "info", "success", "caption", "exception")
    texts = [str(e.value) for kind in kinds for e in at.get(kind)]
    texts += [t.value.to_csv() for t in at.table]
    return "\n".join(texts)


def test_an_uploaded_copy_naming_a_server_file_learns_nothing_of_it(db, secret_yaml):
    existing = _app_upload(_copy_naming(str(secret_yaml)))
    missing = _app_upload(_copy_naming(str(secret_yaml.with_name("none.yaml"))))
    assert not existing.exception
    assert SECRET not in _page_text(existing)
    assert _page_text(existing) == _page_text(missing)
    table = existing.table[0].value
    assert table.index[0].startswith("'START HERE'!B")
    assert "not a rubric id" in table["Problem and how to fix it"].iloc[0]
    assert db.list_studies() == []


def test_the_rubric_option_may_still_be_a_file(tmp_path):
    rubric = tmp_path / "mine.yaml"
    rubric.write_text(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    result = invoke("score", SAMPLES_DIR / "p01-baseline.json", "--rubric", rubric)
    assert result.exit_code == 0, result.output


def test_a_link_to_nothing_in_the_rubric_folder_hides_no_other_rubric(tmp_path, monkeypatch):
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / DEFAULT_RUBRIC_PATH.name).write_bytes(DEFAULT_RUBRIC_PATH.read_bytes())
    gone = folder / "gone.yaml"
    gone.symlink_to(tmp_path / "deleted.yaml")
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(folder))
    assert [r.id for r in available_rubrics()] == ["stem-equity-self-study"]
    assert rubric_by_id("stem-equity-self-study").id == "stem-equity-self-study"
    assert invoke("score", SAMPLES_DIR / "p01-baseline.json").exit_code == 0
    result = invoke("validate", folder)
    assert result.exit_code == 1
    assert f"{gone}: cannot read the file" in result.stderr
    assert "Traceback" not in result.output


def test_a_named_pipe_in_the_rubric_folder_hangs_no_command(tmp_path):
    # A pipe with a writer that holds it open and writes nothing: reading it would wait for
    # ever. Only a file is a rubric file; the pipe is named by `validate`, and skipped.
    folder = tmp_path / "rubrics"
    folder.mkdir()
    (folder / DEFAULT_RUBRIC_PATH.name).write_bytes(DEFAULT_RUBRIC_PATH.read_bytes())
    pipe = folder / "x.yaml"
    os.mkfifo(pipe)
    writer = os.open(pipe, os.O_RDWR)
    selfstudy = Path(sys.executable).parent / "selfstudy"
    env = {**os.environ, "SELFSTUDY_RUBRICS": str(folder)}
    try:
        runs = [
            subprocess.run(
                [str(selfstudy), *map(str, args)],
                capture_output=True,
                text=True,
                timeout=300,
                env=env,
            )
            for args in (
                ["score", SAMPLES_DIR / "p01-baseline.json"],
                ["validate", folder],
                ["score", SAMPLES_DIR / "p01-baseline.json", "--rubric", pipe],
            )
        ]
    except subprocess.TimeoutExpired:
        pytest.fail("a command waited on the pipe in the rubric folder (a hang)")
    finally:
        os.close(writer)
    scored, validated, named = runs
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert validated.returncode == 1
    assert validated.stderr.splitlines()[0] == (
        f"{pipe}: this is a named pipe, not a file, so it is not read; give the name of a file"
    )
    assert named.returncode == 1
    assert named.stderr.endswith(
        ": this is a named pipe, not a file, so it is not read; give the name of a file\n"
    )


# --- 3. a rubric file is read within bounds -------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "score"])
def test_a_billion_laughs_rubric_is_refused_at_each_alias(command, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(hostile.BILLION_LAUGHS, encoding="utf-8")
    args = (
        [bomb] if command == "validate" else [SAMPLES_DIR / "p01-baseline.json", "--rubric", bomb]
    )
    result = invoke(command, *args)
    assert result.exit_code == 1
    assert [line.split(": ", 1)[0] for line in result.stderr.splitlines()[:8]] == [
        f"{bomb}:{n}"
        for n in range(6, 14)  # the lines of b: to i:, each with aliases
    ]
    assert "a YAML alias (`*name`) is not allowed in a rubric" in result.stderr


def test_an_anchor_merged_into_a_rubric_is_refused_too():
    text = (
        DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8").replace("scale:\n", "scale: &scale\n", 1)
        + "copy: *scale\n"
    )
    rubric, problems = read_rubric(text, "r.yaml")
    assert rubric is None
    assert problems.codes() == ["yaml-alias"]
    assert problems[0].location == f"r.yaml:{text.count(chr(10))}"


def test_the_bundled_rubrics_still_load_without_a_problem():
    for path in [DEFAULT_RUBRIC_PATH, *sorted((PROJECT_ROOT / "tests/data/rubrics").glob("*"))]:
        assert rubric_problems(path) == [], path


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5000])
def test_deep_nesting_is_one_located_problem(depth):
    text = 'id: x\nversion: "1"\ntitle:\n' + "  " + "[" * depth + "]" * depth + "\n"
    rubric, problems = read_rubric(text, "deep.yaml")
    assert rubric is None
    assert len(problems) == 1
    assert problems[0].location == "deep.yaml:4"
    assert problems[0].code in ("yaml-too-deep", "yaml-syntax")


def test_deep_block_nesting_is_one_located_problem():
    lines = [f"{'  ' * n}k{n}:" for n in range(200)]
    rubric, problems = read_rubric("\n".join(lines) + " x\n", "deep.yaml")
    assert rubric is None
    assert problems.flatten(["code", "location"]) == [
        ["yaml-too-deep", f"deep.yaml:{MAX_DEPTH + 1}"]  # the block that is one too deep
    ]


def test_a_huge_rubric_file_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as file:
        file.truncate(50_000_000)  # sparse: 50 MB of nothing, never read
    result = invoke("validate", huge)
    assert result.exit_code == 1
    assert f"{huge}: this file is too large to be a rubric" in result.stderr


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id: x\nversion: \x01\n", 2),
        ("id: x\n\n\ntitle: a\x7fb\n", 4),
        ("id: \ud800\n", 1),
        ("? [a, b]\n: c\n", 1),
        ("id: x\n{[1]: 2}: y\n", 2),
        ("id: x\ntitle: !!timestamp soon\n", 2),  # a tag its value does not fit
        ("id: x\n!!timestamp 2025-01-01x: y\n", 2),  # on a key
        ("id: x\nversion: !!int one\n", 2),
    ],
)
def test_odd_yaml_is_a_located_problem_not_a_crash(text, line):
    rubric, problems = read_rubric(text, "odd.yaml")
    assert rubric is None
    assert problems[0].location == f"odd.yaml:{line}"
    assert problems.has_errors


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (".inf", "wrong-type"),
        ("-.inf", "wrong-type"),
        (".nan", "wrong-type"),
        ("9" * 5000, "number-too-long"),  # Python reads at most 4,300 digits
    ],
    ids=["inf", "-inf", "nan", "5000-digits"],
)
def test_a_number_that_is_not_an_ordinary_one_is_a_located_problem(number, code):
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8").replace("target: 3", f"target: {number}")
    rubric, problems = read_rubric(text, "r.yaml")
    assert rubric is None
    line = text.splitlines().index(f"target: {number}") + 1
    assert [code, f"r.yaml:{line}"] in problems.flatten(["code", "location"])


def test_a_version_or_item_id_longer_than_the_storage_keeps_is_a_located_problem():
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    version = next(line for line in text.splitlines() if line.startswith("version:"))
    item = next(line for line in text.splitlines() if line.strip().startswith("- id: PG.1.a"))
    text = text.replace(version, f'version: "{"1" * 5000}"').replace(
        item, item.replace("PG.1.a", "PG." + "a" * 300)
    )
    rubric, problems = read_rubric(text, "r.yaml")
    assert rubric is None
    lines = text.splitlines()
    assert [
        ["bad-value", f"r.yaml:{lines.index(line) + 1}"]
        for line in lines
        if line.startswith("version:") or "PG.aaa" in line
    ] == [p for p in problems.flatten(["code", "location"]) if p[0] == "bad-value"]
    assert all("at most 200" in p.message for p in problems if p.code == "bad-value")


# --- 4. only web and e-mail addresses become links ------------------------------------------

HIDDEN = "".join(f"\\x{c:02x}" for c in [*range(0x20), 0x7F])  # as YAML escapes

HOSTILE_RUBRIC = f"""\
id: hostile
version: "1"
title: "Hostile{HIDDEN} rubric"
scale:
  levels:
    - {{value: 1, label: "Not{HIDDEN} yet"}}
    - {{value: 2, label: Emerging}}
    - {{value: 3, label: Established}}
target: 3
dimensions:
  - id: goals
    title: "Goals{HIDDEN} and [aims](javascript:alert(1)) <b>bold</b>"
    description: "See [here](javascript:alert(2)) or <javascript:alert(3)> or ![x](https://x.example/i.png)"
    standards:
      - id: G.1
        title: "Written{HIDDEN} goals"
        description: "Costs $5 or $10 \\\\[x](javascript:alert(4))"
        resources:
          - {{title: Script, url: "javascript:alert(5)"}}
          - {{title: Data, url: "data:text/html,<script>alert(6)</script>"}}
          - {{title: VB, url: "vbscript:msgbox(7)"}}
          - {{title: File, url: "file:///etc/passwd"}}
          - {{title: Tabbed, url: "java\\tscript:alert(8)"}}
          - {{title: Shouting, url: " JAVASCRIPT:alert(9)"}}
          - {{title: "Safe [guide]", url: "https://example.org/guide_(2)"}}
          - {{title: Mail us, url: "mailto:team@example.org"}}
        items:
          - {{id: G.1.a, text: "We have goals{HIDDEN} [x](javascript:alert(10))"}}
"""
HOSTILE_URLS = 6
SAFE = "https://example.org/guide_(2)"


@pytest.fixture
def hostile_path(tmp_path) -> Path:
    path = tmp_path / "rubrics" / "hostile.yaml"
    path.parent.mkdir()
    path.write_text(HOSTILE_RUBRIC, encoding="utf-8")
    return path


@pytest.fixture
def hostile_study(tmp_path, hostile_path) -> Path:
    """A study of the hostile rubric below its target, so G.1 and its resources are a priority."""
    path = tmp_path / "study.json"
    study = {
        "format": "selfstudy/1",
        "rubric": {"id": "hostile", "version": "1"},
        "program": {"name": "Bridge\x07to\x1bSTEM", "cohort": "2025", "round": "baseline"},
        "answers": {"G.1.a": {"value": 1}},
    }
    path.write_text(json.dumps(study), encoding="utf-8")
    return path


def test_the_loader_warns_of_every_address_that_will_not_be_a_link(hostile_path):
    problems = rubric_problems(hostile_path)
    assert problems.codes() == ["not-a-link"] * HOSTILE_URLS
    assert {p.severity for p in problems} == {"warning"}
    lines = HOSTILE_RUBRIC.splitlines()
    for problem in problems:
        number = int(problem.location.rsplit(":", 1)[1])
        assert "url:" in lines[number - 1]
        assert "alert" not in problem.message and "passwd" not in problem.message
    assert "a 'javascript' address is shown as text, never as a link" in problems[0].message
    result = invoke("validate", hostile_path)
    assert result.exit_code == 0
    assert result.stderr.count("warning: ") == HOSTILE_URLS


def _hostile(hostile_path):
    from selfstudy.core.scoring import score
    from selfstudy.edges.rubric_files import load_rubric
    from selfstudy.edges.study_files import load_study

    rubric = load_rubric(hostile_path)
    study = load_study(hostile_path.parent.parent / "study.json")
    return rubric, study, score(rubric, study)


def test_the_exported_workbook_links_only_web_and_mail_addresses(hostile_path, hostile_study):
    rubric, study, _ = _hostile(hostile_path)
    workbook = load_workbook(io.BytesIO(xlsx_bytes(study, rubric)))
    links = [
        (cell.value, cell.hyperlink.target)
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if cell.hyperlink is not None
    ]
    assert links == [(SAFE, SAFE), ("mailto:team@example.org", "mailto:team@example.org")]
    texts = {cell.value for row in workbook["SUMMARY"].iter_rows() for cell in row}
    assert "javascript:alert(5)" in texts  # still there to read, as text


def _hrefs(page: str) -> list[str]:
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name in ("href", "src", "xlink:href"))

    Links().feed(page)
    return found


def test_the_html_report_links_only_web_and_mail_addresses(tmp_path, hostile_path, hostile_study):
    from selfstudy.edges.reports.html_report import html_report

    page = html_report(*_hostile(hostile_path))
    assert _hrefs(page) == [SAFE, "mailto:team@example.org"]
    assert "javascript:alert(5)" in page  # shown as text


def _unescaped_links(markdown: str) -> list[str]:
    """The addresses Streamlit would make links of: `[..](address)` and `<address>` not
    escaped by a backslash."""
    unescaped = r"(?<!\\)(?:\\\\)*"
    inline = re.findall(unescaped + r"\[(?:\\.|[^\]\\])*\]\(([^)\s]*)", markdown)
    auto = re.findall(unescaped + r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>", markdown)
    return inline + auto


def test_the_rubric_page_links_only_web_and_mail_addresses(monkeypatch, hostile_path):
    monkeypatch.setenv("SELFSTUDY_RUBRICS", str(hostile_path.parent))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("selfstudy/app/pages/rubric.py").run()
    assert not at.exception
    labels = [e.value for kind in ("header", "subheader", "title") for e in at.get(kind)]
    labels += list(at.radio[0].options)
    shown = [e.value for e in at.markdown] + labels
    links = [address for text in shown for address in _unescaped_links(text)]
    assert links == ["https://example.org/guide_%282%29", "mailto:team@example.org"]
    assert "Safe \\[guide\\]" in "\n".join(shown)
    assert "javascript:alert(5)" in "\n".join(shown)  # shown as text


def test_the_page_helpers_leave_ordinary_text_alone():
    from selfstudy.app import markdown

    assert markdown.text("**Fill it in together.** *Not yet*: 3 - 4") == (
        "**Fill it in together.** *Not yet*: 3 - 4"
    )
    assert markdown.link("Guide", "https://example.org/a?b=1#c") == (
        "[Guide](https://example.org/a?b=1#c)"
    )
    assert markdown.link("Guide", None) == "Guide"


# --- 9. control characters reach no chart ---------------------------------------------------


def test_a_report_of_a_rubric_with_control_characters_in_its_titles_is_written(
    tmp_path, hostile_path, hostile_study
):
    """Run as its own process: the chart renderer used to abort the whole process here."""
    out = tmp_path / "report.html"
    selfstudy = Path(sys.executable).parent / "selfstudy"
    args = [hostile_study, "--rubric", hostile_path, "--previous", hostile_study, "--out", out]
    run = subprocess.run(
        [str(selfstudy), "report", *map(str, args)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 1
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "Goals and" in svg
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", svg)


def test_every_chart_of_a_hostile_rubric_renders_to_svg_and_png(hostile_path, hostile_study):
    import vl_convert

    from selfstudy.core.cohorts import against_group, changes, score_studies
    from selfstudy.edges.reports import charts, cohort_charts

    rubric, study, result = _hostile(hostile_path)
    later = study.model_copy(
        update={"program": study.program.model_copy(update={"round": "follow\x07up"})}
    )
    scores = score_studies(rubric, [study, later])
    titles = {d.id: d.title for d in rubric.dimensions}
    frame = scores.dimensions()
    frame["group"] = "North\x00"
    made = [
        charts.dimension_chart(rubric, result, result),
        charts.standard_chart(rubric, result),
        charts.standard_chart(rubric, result, "goals"),
        cohort_charts.heatmap(scores),
        cohort_charts.distributions(frame, "group", titles),
        cohort_charts.dumbbell(changes(scores), None, "Overall\x1b"),
        cohort_charts.against_group_chart(against_group(scores, 0), titles, "Bridge\x00"),
    ]
    for chart in made:
        spec = chart.to_dict()
        assert not re.search(r"[\x00-\x1f\x7f]", json.dumps(spec, ensure_ascii=False))
        assert vl_convert.vegalite_to_svg(spec).startswith("<svg")
        assert vl_convert.vegalite_to_png(spec).startswith(b"\x89PNG")
