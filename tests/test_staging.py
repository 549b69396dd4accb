"""Outputs appear all at once or not at all, and only under --out."""

from __future__ import annotations

import json

import pytest

from drillsim.errors import DrillsimError
from drillsim.reports.staging import staged_output, write_json


def test_success_moves_files_into_place(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        assert tmp.parent == out  # staging happens inside --out, never beside it
        (tmp / "a.txt").write_text("x")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.txt").write_text("y")
    assert (out / "a.txt").read_text() == "x" and (out / "sub" / "b.txt").read_text() == "y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_keeps_an_existing_folder_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        with staged_output(out) as tmp:
            (tmp / "keep.txt").write_text("half")
            raise RuntimeError("boom")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"


def test_failure_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with staged_output(out) as tmp:
            (tmp / "a.txt").write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_out_must_be_a_folder(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    with pytest.raises(DrillsimError, match="not a folder"):
        with staged_output(f):
            pass
    with pytest.raises(DrillsimError, match="is a file"):
        with staged_output(f / "out"):
            pass


def test_missing_parents_are_created_and_removed_again_on_failure(tmp_path):
    with staged_output(tmp_path / "a" / "b" / "out") as tmp:
        (tmp / "x.txt").write_text("x")
    assert (tmp_path / "a" / "b" / "out" / "x.txt").exists()
    with pytest.raises(RuntimeError):
        with staged_output(tmp_path / "new" / "deeper" / "out"):
            raise RuntimeError("boom")
    assert not (tmp_path / "new").exists()


def test_json_writes_inf_as_string_and_is_deterministic(tmp_path):
    p = tmp_path / "x.json"
    write_json(p, {"b": float("inf"), "a": float("nan"), "c": [1.5]})
    assert json.loads(p.read_text()) == {"a": None, "b": "inf", "c": [1.5]}
    first = p.read_bytes()
    write_json(p, {"c": [1.5], "a": float("nan"), "b": float("inf")})
    assert p.read_bytes() == first
