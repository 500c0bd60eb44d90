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
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from selfstudy.cli import main
from selfstudy.core.problems import ProblemsFound
from selfstudy.core.rubric.parse import MAX_DEPTH, read_rubric
from selfstudy.edges.rubric_files import PROJECT_ROOT, rubric_by_id, rubric_problems
from selfstudy.edges.workbooks import xlsx_bytes
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


# --- 3. a rubric file is read within bounds -------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize("command", ["validate", "score"])
def test_a_billion_laughs_rubric_is_refused_at_each_alias(command, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS, encoding="utf-8")
    args = (
        [bomb] if command == "validate" else [SAMPLES_DIR / "p01-baseline.json", "--rubric", bomb]
    )
    result = invoke(command, *args)
    assert result.exit_code == 1
    assert [line.split(": ", 1)[0] for line in result.stderr.splitlines()[:8]] == [
        f"{bomb}:{n}" for n in range(2, 10)
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
    assert f"{huge}:1: the file is larger than a rubric can be" in result.stderr


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("id: x\nversion: \x01\n", 2),
        ("id: x\n\n\ntitle: a\x7fb\n", 4),
        ("id: \ud800\n", 1),
        ("? [a, b]\n: c\n", 1),
        ("id: x\n{[1]: 2}: y\n", 2),
    ],
)
def test_odd_yaml_is_a_located_problem_not_a_crash(text, line):
    rubric, problems = read_rubric(text, "odd.yaml")
    assert rubric is None
    assert problems[0].location == f"odd.yaml:{line}"
    assert problems.has_errors
