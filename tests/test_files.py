"""Output files are written whole: a failure leaves the old file, permissions and links hold."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from selfstudy.core.problems import Problem, ProblemsFound
from selfstudy.edges.files import (
    ensure_folder,
    read_text,
    write_all_atomically,
    write_atomically,
)


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


def test_a_missing_folder_or_a_file_in_the_way_is_one_problem_naming_it(tmp_path):
    problem = refused(lambda: write_atomically(tmp_path / "no" / "such" / "x.json", b"{}"))
    assert "does not exist" in problem.message
    taken = tmp_path / "taken"
    taken.write_text("a file")
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    for folder, where, what in [
        (taken, taken, "this is a file, not a folder"),
        (taken / "sub", taken, "this is a file, not a folder"),  # the file above is named
        (loop / "sub", loop, "this is a link that leads back to itself"),
    ]:
        problem = refused(lambda folder=folder: ensure_folder(folder))
        assert (problem.code, problem.location) == ("cannot-write", str(where))
        assert problem.message.startswith(what)
        problem = refused(lambda folder=folder: write_atomically(folder / "x.json", b"{}"))
        assert (problem.code, problem.location) == ("cannot-write", str(where))
    assert taken.read_text() == "a file"


def test_only_a_file_is_ever_replaced_never_a_pipe_a_socket_or_a_device(tmp_path):
    pipe = tmp_path / "pipe.xlsx"
    os.mkfifo(pipe)
    link = tmp_path / "link.html"
    link.symlink_to(pipe)
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    socket_path = tmp_path / "socket.json"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(socket_path))
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    things = {pipe: "a named pipe", link: "a link to a named pipe", socket_path: "a socket"}
    things[loop] = "a link that leads back to itself"
    if os.geteuid() == 0:  # only root makes devices; as root, /dev/null would have been lost
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        things[device] = "a device"
    for path, what in things.items():
        problem = refused(lambda path=path: write_all_atomically({kept: b"new", path: b"x"}))
        assert (problem.code, problem.location) == ("cannot-write", str(path))
        assert problem.message.startswith(f"this is {what}")
        assert "\n" not in str(problem)
    assert [stat.S_ISFIFO(pipe.stat().st_mode), socket_path.is_socket()] == [True, True]
    if os.geteuid() == 0:
        assert device.is_char_device()
    assert kept.read_text() == "old"  # none of the files is written
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in [*things, kept])


def test_a_file_is_read_no_further_than_its_limit_whatever_it_says_of_its_size(tmp_path):
    big = tmp_path / "key.json"
    big.write_bytes(b" " * (2**16 + 1))
    with pytest.raises(ProblemsFound) as large:
        read_text(big, 2**16, "a service-account key file")
    [problem] = large.value.problems
    assert problem.code == "file-too-large"
    assert "too large to be a service-account key file" in problem.message
    big.write_bytes(b"{}\r\n")
    assert read_text(big, 2**16) == "{}\n"  # line ends read as text mode reads them


def test_only_a_file_is_read_never_a_device_a_pipe_or_a_folder(tmp_path):
    # /dev/zero never ends, a terminal or a pipe waits for someone to type or write: none
    # is opened for reading, and each is named in words.
    endless = tmp_path / "endless.json"
    endless.symlink_to("/dev/zero")
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    said = {
        path.name: refused(lambda path=path: read_text(path, 2**16))
        for path in (endless, pipe, folder)
    }
    assert {name: problem.code for name, problem in said.items()} == dict.fromkeys(
        said, "unreadable-file"
    )
    assert "a link to a device" in said["endless.json"].message
    assert "a named pipe, not a file" in said["pipe.json"].message
    assert "a folder, not a file" in said["folder.json"].message


def refused(call) -> Problem:
    with pytest.raises(ProblemsFound) as caught:
        call()
    [problem] = caught.value.problems
    return problem
