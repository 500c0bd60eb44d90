"""Text from a file, a copy or the database never drives the terminal.

A program name, an evidence text, a rubric title or a file name may hold escape
sequences (clear the screen, retitle the window, colour what follows), line breaks
that would start a line looking like our own, or marks that reorder a line. Every
command shows them written out (`\\x1b`), in its lines, its tables and its JSON, and
JSON still gives the text back exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from selfstudy.cli import main
from selfstudy.edges.storage import Storage
from tests.conftest import DEFAULT_RUBRIC_PATH, SAMPLES_DIR

HOSTILE = "Evil\x1b[2J\x1b]0;PWNED\x07\x1b[31mRED\x9b1m\u202eX\nFAKE LINE"
# What a terminal acts on: C0 controls but the tab and the line feed of our own lines, DEL,
# C1 controls, line and paragraph separators, bidirectional embeddings and overrides.
ACTED_ON = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")
YAML_HOSTILE = r'"Evil\e[2J\e]0;PWNED\a\e[31mRED\x9b1m\u202eX\nFAKE LINE"'


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_shown_written_out(result: Result) -> None:
    """The output holds no character a terminal acts on, and no line the input began."""
    said = result.stdout + result.stderr
    assert "Traceback" not in said, said[-2000:]
    assert not ACTED_ON.search(said), said[-2000:]
    assert not any(line.lstrip().startswith("FAKE LINE") for line in said.splitlines())


def hostile_study(folder: Path) -> Path:
    """A copy of a sample study whose program details and answer texts are hostile."""
    study = json.loads((SAMPLES_DIR / "p01-baseline.json").read_text(encoding="utf-8"))
    study["program"].update(name=HOSTILE, organization=HOSTILE, cohort=HOSTILE, round=HOSTILE)
    study["program"][HOSTILE] = "an extra field"
    study["answers"]["PG.1.a"].update(evidence=HOSTILE, notes=HOSTILE)
    path = folder / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    return path


def hostile_rubric(folder: Path) -> Path:
    """The bundled rubric with hostile titles (same id, version and items)."""
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    for line in ("title: Equity self-study", "    title: Program Goals", "        title: Explicit"):
        start = text.index(line)
        end = text.index("\n", start)
        text = text[:start] + line.split("title:")[0] + f"title: {YAML_HOSTILE}" + text[end:]
    path = folder / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scores_reports_copies_and_cohorts_show_hostile_text_written_out(tmp_path):
    study, rubric = hostile_study(tmp_path), hostile_rubric(tmp_path)
    runs = {
        "score": invoke("score", study, "--rubric", rubric),
        "score json": invoke("score", study, "--rubric", rubric, "--format", "json"),
        "report": invoke("report", study, "--rubric", rubric, "--out", tmp_path / "r.html"),
        "import": invoke("import", study),
        "import --out": invoke("import", study, "--out", tmp_path / "out.json"),
        "export": invoke("export", study, "--rubric", rubric, "--to", tmp_path / "copy.xlsx"),
        "cohort": invoke("cohort", study, "--rubric", rubric),
        "cohort json": invoke("cohort", study, "--rubric", rubric, "--format", "json"),
        "cohort --by": invoke("cohort", study, "--by", "nosuch"),
    }
    for name, result in runs.items():
        assert result.exit_code == (2 if name == "cohort --by" else 0), (name, result.output)
        assert_shown_written_out(result)
    table = runs["score"].stdout
    assert table.splitlines()[0].startswith(r"Evil\x1b[2J\x1b]0;PWNED\x07\x1b[31mRED\x9b1m")
    assert r"\u202eX\nFAKE LINE" in table
    assert json.loads(runs["import"].stdout)["answers"]["PG.1.a"]["evidence"] == HOSTILE
    assert json.loads(runs["cohort json"].stdout)["groups"][0]["key"] == HOSTILE
    assert json.loads(runs["score json"].stdout)["dimensions"][0]["title"] == HOSTILE


@pytest.fixture
def stored(db: Storage, tmp_path) -> str:
    """The hostile study in the app's database, its evidence changed by a hostile name."""
    imported = invoke("import", hostile_study(tmp_path), "--save")
    assert imported.exit_code == 0, imported.output
    assert_shown_written_out(imported)
    [summary] = db.list_studies()
    seen = db.get_study(summary.id).revisions["PG.1.a"]
    db.save_field(summary.id, "PG.1.a", "evidence", f"new {HOSTILE}", seen, by=HOSTILE)
    return summary.id


def test_the_database_commands_show_hostile_text_written_out(stored):
    runs = [
        invoke("history", stored),
        invoke("history", stored, "--format", "json"),
        invoke("delete", stored, "--by", HOSTILE),
        invoke("deleted"),
        invoke("history", stored),  # a deleted study's history is a table
        invoke("restore", stored),
        invoke("restore-value", stored, 1),
        invoke("cohort", "--from-db"),
        invoke("delete", stored),
        invoke("purge-deleted", "--older-than", 0, "--yes"),
    ]
    for result in runs:
        assert result.exit_code == 0, result.output
        assert_shown_written_out(result)
    assert r"moved Evil\x1b[2J" in runs[2].stdout
    assert r"restored Evil\x1b[2J" in runs[5].stdout
    history = json.loads(runs[1].stdout)["history"]
    assert {change["by"] for change in history} >= {HOSTILE}
