# -*- coding: utf-8 -*-
"""replace_tested: the target changes only after the candidate passed its test, is backed up first, and no
temporary file is left behind, whatever happens."""

import os
import pathlib
import shutil
import stat

import pytest

from ansible_collections.dumbflix.stack.plugins.module_utils import managed_file
from ansible_collections.dumbflix.stack.plugins.module_utils.managed_file import (
    KEEP,
    REMOVE,
    CandidateRefused,
    replace_tested,
)


class FakeModule:
    """The two AnsibleModule methods the helper uses, done the plain way; records the order of events."""

    def __init__(self, tmpdir):
        self.tmpdir = str(tmpdir)
        self.events = []

    def backup_local(self, path):
        backup = path + ".bak"
        shutil.copy2(path, backup)
        self.events.append("backup")
        return backup

    def atomic_move(self, src, dest):
        self.events.append("move")
        os.rename(src, dest)


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "conf" / "app.conf"
    path.parent.mkdir()
    path.write_bytes(b"old\n")
    path.chmod(0o644)
    return path


def leftovers(directory):
    return sorted(name for name in os.listdir(str(directory)) if name.endswith(".tmp"))


def passing(seen):
    def test(candidate):
        with open(candidate, "rb") as handle:
            seen.append((handle.read(), stat.S_IMODE(os.stat(candidate).st_mode), os.path.dirname(candidate)))
        return True, ""

    return test


def test_the_candidate_is_tested_privately_next_to_the_target_then_moved_over_it(target, tmp_path):
    module, seen = FakeModule(tmp_path), []
    assert replace_tested(module, str(target), b"new\n", passing(seen), 0o640) is None
    assert seen == [(b"new\n", 0o600, str(target.parent))]
    assert target.read_bytes() == b"new\n" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert module.events == ["move"] and leftovers(target.parent) == []


def test_a_refused_candidate_leaves_the_old_file_and_no_temporary_file(target, tmp_path):
    module = FakeModule(tmp_path)
    with pytest.raises(CandidateRefused) as refused:
        replace_tested(module, str(target), b"bad\n", lambda candidate: (False, "line 1: bad"), 0o600, backup=True)
    assert refused.value.output == "line 1: bad"
    assert target.read_bytes() == b"old\n" and module.events == [] and leftovers(target.parent) == []


def test_backup_is_taken_of_the_old_file_before_it_is_replaced(target, tmp_path):
    module = FakeModule(tmp_path)
    backup = replace_tested(module, str(target), b"new\n", passing([]), 0o600, backup=True)
    assert module.events == ["backup", "move"]
    assert pathlib.Path(backup).read_bytes() == b"old\n" and target.read_bytes() == b"new\n"


def test_no_backup_of_a_file_that_was_not_there(tmp_path):
    module, path = FakeModule(tmp_path), tmp_path / "new.conf"
    assert replace_tested(module, str(path), b"new\n", passing([]), 0o600, backup=True) is None
    assert path.read_bytes() == b"new\n" and module.events == ["move"]


def test_apply_runs_after_the_test_and_its_failure_changes_nothing(target, tmp_path):
    module, order = FakeModule(tmp_path), []

    def test(candidate):
        order.append("test")
        return True, ""

    def apply(candidate):
        order.append("apply")
        raise SystemExit(1)  # what fail_json does

    with pytest.raises(SystemExit):
        replace_tested(module, str(target), b"new\n", test, 0o600, backup=True, apply=apply)
    assert order == ["test", "apply"] and module.events == []
    assert target.read_bytes() == b"old\n" and leftovers(target.parent) == []


def test_remove_backs_up_and_removes_the_file_once_its_undoing_passed(target, tmp_path):
    module = FakeModule(tmp_path)
    backup = replace_tested(module, str(target), b"undo\n", passing([]), 0o600, backup=True, outcome=REMOVE)
    assert not target.exists() and pathlib.Path(backup).read_bytes() == b"old\n" and leftovers(target.parent) == []


def test_keep_leaves_the_file_as_it_is(target, tmp_path):
    module, applied = FakeModule(tmp_path), []
    replace_tested(module, str(target), b"old\n", passing([]), 0o600, backup=True, apply=applied.append, outcome=KEEP)
    assert applied and module.events == [] and target.read_bytes() == b"old\n" and leftovers(target.parent) == []


def test_a_missing_directory_puts_the_candidate_in_the_modules_temporary_directory(tmp_path):
    module, seen = FakeModule(tmp_path / "tmp"), []
    os.mkdir(module.tmpdir)
    replace_tested(module, str(tmp_path / "gone" / "x.nft"), b"undo\n", passing(seen), 0o600, outcome=REMOVE)
    assert seen[0][2] == module.tmpdir and leftovers(module.tmpdir) == []


def test_read_bytes_of_a_missing_file_is_none(tmp_path):
    assert managed_file.read_bytes(str(tmp_path / "missing")) is None


class Ended(Exception):
    """How a fake module's exit_json / fail_json end the module."""


class EndingModule(FakeModule):
    def exit_json(self, **result):
        raise Ended("exit", result)

    def fail_json(self, **result):
        raise Ended("fail", result)


def test_finish_write_fails_naming_the_refusal_and_keeps_the_file(target, tmp_path):
    module = EndingModule(tmp_path)

    def write():
        return replace_tested(module, str(target), b"new\n", lambda candidate: (False, "line 1: bad"), 0o644, True)

    with pytest.raises(Ended) as ended:
        managed_file.finish_write(
            module, {"changed": True, "path": str(target)}, write, "prog -t refused it", "prog_error"
        )
    how, result = ended.value.args
    assert how == "fail"
    assert result["msg"] == "prog -t refused it; nothing was changed: line 1: bad"
    assert result["prog_error"] == "line 1: bad" and result["path"] == str(target)
    assert target.read_bytes() == b"old\n" and module.events == []


def test_finish_write_reports_the_backup_and_exits(target, tmp_path):
    module = EndingModule(tmp_path)

    def write():
        return replace_tested(module, str(target), b"new\n", lambda candidate: (True, ""), 0o644, True)

    with pytest.raises(Ended) as ended:
        managed_file.finish_write(module, {"changed": True}, write, "prog -t refused it", "prog_error")
    how, result = ended.value.args
    assert how == "exit"
    assert result == {"changed": True, "backup_file": str(target) + ".bak"}
    assert target.read_bytes() == b"new\n" and pathlib.Path(result["backup_file"]).read_bytes() == b"old\n"
