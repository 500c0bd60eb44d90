"""The sync record beside a self-study file: what was last pushed to or pulled from each sheet.

`STUDY.sync.json` holds one snapshot per spreadsheet key (see `core.merge`).
It is written whole; a damaged one is reported with what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from selfstudy.core.merge import Snapshot
from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.edges.files import read_text, write_all_atomically

SUFFIX = ".sync.json"
MAX_RECORD_BYTES = 256 * 2**20  # a snapshot per sheet, each no larger than its study


def record_of(study_path: Path) -> Path:
    """Where the sync record of the self-study file `study_path` is kept."""
    return study_path.with_name(study_path.stem + SUFFIX)


def read_bases(study_path: Path) -> dict[str, Any]:
    """Every remembered snapshot, by spreadsheet key (empty when there is no record yet).

    A record is an object of objects (`{sheet key: {entry: value}}`); anything
    else, however it came to be, is one `bad-sync-file` problem.
    """
    record = record_of(study_path)
    if not record.is_file():
        return {}
    try:
        bases = json.loads(read_text(record, MAX_RECORD_BYTES, "a sync record"))
        reason = "it is not an object of snapshots"
    except ProblemsFound as exc:  # unreadable, not UTF-8, too large: say which
        bases, reason = None, exc.problems[0].message
    except (ValueError, RecursionError):  # not JSON, or nested beyond reason
        bases, reason = None, "it is not JSON"
    if not isinstance(bases, dict) or not all(isinstance(b, dict) for b in bases.values()):
        raise ProblemsFound(
            [
                Problem(
                    "bad-sync-file",
                    str(record),
                    f"this sync record cannot be used ({reason}); if it is damaged, delete it "
                    "(the next sync then treats every difference as a conflict to choose)",
                )
            ]
        )
    return bases


def remember(study_path: Path, key: str, base: Snapshot, study_text: str | None = None) -> None:
    """Keep `base` as the state last shared with the spreadsheet `key`.

    With `study_text`, the study file is written too, and the two as one: both,
    or (on a full disk, say) neither, so a record never describes a study that
    was not saved.
    """
    bases = read_bases(study_path)
    bases[key] = base
    files = {record_of(study_path): (json.dumps(bases, indent=2, ensure_ascii=False) + "\n")}
    if study_text is not None:
        files[study_path] = study_text
    write_all_atomically({path: text.encode("utf-8") for path, text in files.items()})
