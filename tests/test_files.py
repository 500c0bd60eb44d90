"""Output files are written whole: a failure leaves the old file, permissions and links hold."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from selfstudy.core.problems import ProblemsFound
from selfstudy.edges.files import ensure_folder, read_text, write_atomically


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "study.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_link_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomically(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_a_failed_write_leaves_what_was_there_and_no_temporary_file(tmp_path):
    # The rename at the end fails for real: the target is a folder someone made there.
    target = tmp_path / "report.html"
    target.mkdir()
    (target / "kept.txt").write_text("the good report")
    with pytest.raises(ProblemsFound) as caught:
        write_atomically(target, b"new report")
    assert caught.value.codes() == ["cannot-write"]
    assert (target / "kept.txt").read_text() == "the good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_missing_folder_or_a_file_in_the_way_is_one_problem(tmp_path):
    with pytest.raises(ProblemsFound) as caught:
        write_atomically(tmp_path / "no" / "such" / "x.json", b"{}")
    assert "does not exist" in caught.value.problems[0].message
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ProblemsFound) as caught:
        ensure_folder(tmp_path / "taken")
    assert caught.value.codes() == ["cannot-write"]


def test_a_file_is_read_no_further_than_its_limit_whatever_it_says_of_its_size(tmp_path):
    # /dev/zero says it is empty and never ends: read whole, it would fill the memory.
    with pytest.raises(ProblemsFound) as endless:
        read_text(Path("/dev/zero"), 2**16, "a service-account key file")
    big = tmp_path / "key.json"
    big.write_bytes(b" " * (2**16 + 1))
    with pytest.raises(ProblemsFound) as large:
        read_text(big, 2**16, "a service-account key file")
    for raised in (endless, large):
        [problem] = raised.value.problems
        assert problem.code == "file-too-large"
        assert "too large to be a service-account key file" in problem.message
    big.write_bytes(b"{}\r\n")
    assert read_text(big, 2**16) == "{}\n"  # line ends read as text mode reads them
