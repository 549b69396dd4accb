"""Outputs appear all at once or not at all, and only under --out."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drillsim.errors import DrillsimError
from drillsim.reports import outdir
from drillsim.reports.outdir import MANIFEST, STAGING_PREFIX, output_folder, read_manifest
from drillsim.reports.staging import (
    FORMULA_START,
    spreadsheet_safe,
    staged_output,
    unneutralise,
    write_csv,
    write_json,
)


def test_success_moves_files_into_place(tmp_path):
    out = tmp_path / "out"
    with staged_output(out) as tmp:
        assert out in tmp.parents  # staging happens inside --out, never beside it
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
        with staged_output(out, force=True) as tmp:
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


# ---- the --out policy, the manifest, clashes and recovery after a kill -------------------------


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_set(out: Path, files: dict[str, str], command: str = "batch", **kw) -> None:
    with staged_output(out, command, **kw) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text)


def test_manifest_names_the_command_inputs_and_every_file(tmp_path):
    out = tmp_path / "out"
    inputs = {"scenario": {"file": "a.yaml", "sha256": "ab" * 32}}
    write_set(out, {"a.csv": "1\n", "figures/b.png": "png"}, inputs=inputs, options={"seed": 3})
    m = read_manifest(out)
    assert m["command"] == "batch" and m["status"] == "complete"
    assert m["inputs"] == inputs and m["options"] == {"seed": 3}
    assert m["files"] == {
        "a.csv": hashlib.sha256(b"1\n").hexdigest(),
        "figures/b.png": hashlib.sha256(b"png").hexdigest(),
    }
    assert set(tree(out)) == {MANIFEST, "a.csv", "figures/b.png"}  # no hidden leftovers


def test_foreign_non_empty_folder_is_refused_unless_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(DrillsimError, match=r"not empty and was not written by drillsim"):
        write_set(out, {"a.csv": "x"})
    assert tree(out) == {"notes.txt": b"mine"}
    write_set(out, {"a.csv": "x"}, force=True)
    assert set(tree(out)) == {MANIFEST, "a.csv", "notes.txt"}


def test_another_commands_folder_is_refused_and_force_replaces_its_whole_set(tmp_path):
    out = tmp_path / "out"
    write_set(out, {"runs.parquet": "p", "summary.json": "{}"}, command="batch")
    before = tree(out)
    with pytest.raises(DrillsimError, match="holds the outputs of `drillsim batch`"):
        write_set(out, {"briefing.html": "h"}, command="brief")
    assert tree(out) == before
    write_set(out, {"briefing.html": "h"}, command="brief", force=True)
    # never mixed: the batch's files went with it
    assert set(tree(out)) == {MANIFEST, "briefing.html"}


def test_same_command_replaces_its_previous_set_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    write_set(out, {"a.csv": "old", "figures/old.png": "o"})
    (out / "my-notes.txt").write_text("keep")
    write_set(out, {"a.csv": "new", "b.csv": "b"})
    assert tree(out)["a.csv"] == b"new"
    assert set(tree(out)) == {MANIFEST, "a.csv", "b.csv", "my-notes.txt"}
    assert not (out / "figures").exists()  # emptied by the old set's removal


def test_a_file_changed_after_drillsim_wrote_it_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    write_set(out, {"observer_sheet.csv": "room,alert\nC1,\n"}, command="brief")
    (out / "observer_sheet.csv").write_text("room,alert\nC1,35\n")  # filled in by an observer
    with pytest.raises(DrillsimError, match=r"observer_sheet\.csv, changed after"):
        write_set(out, {"observer_sheet.csv": "room,alert\nC1,\n"}, command="brief")
    assert (out / "observer_sheet.csv").read_text() == "room,alert\nC1,35\n"


def test_a_name_clash_leaves_the_folder_as_it_was(tmp_path):
    """The issue's case: ``figures`` is a file, the command writes figures/*.png."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").write_text("a file, not a folder")
    (out / "briefing.html").write_text("an older briefing")
    before = tree(out)
    with pytest.raises(DrillsimError, match=r"figures is a file .*Nothing was written"):
        write_set(out, {"briefing.html": "new", "figures/timeline.png": "png"}, "brief", force=True)
    assert tree(out) == before
    # the reverse clash: a folder where a file goes
    (out / "briefing.json").mkdir()
    before = tree(out)
    with pytest.raises(DrillsimError, match="is a folder where drillsim writes"):
        write_set(out, {"briefing.html": "new", "briefing.json": "{}"}, "brief", force=True)
    assert tree(out) == before and (out / "briefing.json").is_dir()


def test_a_failure_while_moving_rolls_everything_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_set(out, {"a.csv": "old a", "b.csv": "old b", "c.csv": "old c"})
    before = tree(out)
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 5:  # part-way through the moves
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(outdir.os, "replace", failing)
    with pytest.raises(OSError):
        write_set(out, {"a.csv": "new a", "b.csv": "new b", "c.csv": "new c", "d.csv": "d"})
    monkeypatch.setattr(outdir.os, "replace", real)
    assert tree(out) == before


KILL_SCRIPT = """
import os, signal, sys
from drillsim.reports import outdir
from drillsim.reports.staging import staged_output
real, n = os.replace, {"calls": 0}
def replace(src, dst):
    n["calls"] += 1
    if n["calls"] == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
outdir.os.replace = replace
with staged_output(sys.argv[1], "batch") as tmp:
    for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
        (tmp / name).write_text("new " + name)
    if sys.argv[2] == "0":
        os.kill(os.getpid(), signal.SIGKILL)  # killed while writing
"""


@pytest.mark.parametrize("kill_at", [0, 2, 5, 9])
def test_after_a_kill_the_next_command_restores_the_folder_and_removes_hidden_folders(
    tmp_path, kill_at
):
    out = tmp_path / "out"
    write_set(out, {"a.csv": "old a", "b.csv": "old b", "c.csv": "old c"})
    before = tree(out)
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    res = subprocess.run([sys.executable, str(script), str(out), str(kill_at)])
    assert res.returncode == -signal.SIGKILL
    assert [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]  # left behind
    with output_folder(out, "batch"):  # the next command into the folder
        pass
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert tree(out) == before  # rolled back: the old set, whole


def test_a_kill_after_the_manifest_moved_keeps_the_new_set(tmp_path):
    out = tmp_path / "out"
    write_set(out, {"a.csv": "old a"})
    script = tmp_path / "kill.py"
    # the moves: a, b, c, d (each new; a's old copy is moved aside first) and the manifest
    # (old one aside, new one in): the 8th os.replace is the commit point, then rmtree
    script.write_text(
        KILL_SCRIPT.replace(
            "outdir.os.replace = replace",
            "outdir.os.replace = replace\nimport shutil\noutdir.shutil.rmtree = "
            "lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)",
        )
    )
    res = subprocess.run([sys.executable, str(script), str(out), "999"])
    assert res.returncode == -signal.SIGKILL
    with output_folder(out, "batch"):
        pass
    files = tree(out)
    assert set(files) == {MANIFEST, "a.csv", "b.csv", "c.csv", "d.csv"}
    assert files["a.csv"] == b"new a.csv"


def test_two_commands_never_write_into_one_folder_at_once(tmp_path):
    out = tmp_path / "out"
    with output_folder(out, "batch"):
        with pytest.raises(DrillsimError, match="another drillsim command is writing"):
            with output_folder(out, "batch"):
                pass
    assert list(out.iterdir()) == []  # and the refused one left nothing behind


# ---- spreadsheet-safe CSV -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        '=HYPERLINK("http://example.invalid","click")',
        "@SUM(1+1)",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_formula_like_text_is_neutralised_and_numbers_stay_numbers(tmp_path, label):
    p = write_csv(
        tmp_path / "t.csv",
        ["label", "x", "y", "z"],
        [[label, -1.5, "-2.000000", np.int64(-3)], ["Room 101", float("-inf"), "", 4]],
    )
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"), newline="")))
    assert len(rows) == 3  # a CR in a label never starts a new row
    assert rows[1][0] == "'" + label.replace("\r", "\n")
    df = pd.read_csv(p)
    assert df["x"].tolist() == [-1.5, float("-inf")]
    assert df["y"].iloc[0] == -2.0 and df["z"].tolist() == [-3, 4]
    assert df["label"].iloc[1] == "Room 101"


@given(
    st.text(alphabet=st.sampled_from("'=+-@\t\r\n1.eE a,\""), max_size=12) | st.text(max_size=30)
)
def test_no_cell_starts_like_a_formula_and_reading_back_undoes_it(text):
    cell = spreadsheet_safe(text)
    if cell.startswith(FORMULA_START):
        float(cell.replace("inf", "1"))  # only plain numbers may keep a leading sign
    assert unneutralise(cell) == text.replace("\r\n", "\n").replace("\r", "\n")
