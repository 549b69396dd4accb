"""Output safety end to end: spreadsheet-safe CSVs, the --out policy, interrupts, resumable batches.

Each test runs the CLI (or the batch executor) as a user would and reads the produced files back.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from drillsim.errors import DrillsimError
from drillsim.reports.outdir import MANIFEST, PARTIAL, read_manifest
from drillsim.run.batch import _connect, check_scheduler_address, run_batch_job
from drillsim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LABELS = [
    '=HYPERLINK("http://example.invalid","open me")',
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
]


def drillsim(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "drillsim", *map(str, args)], capture_output=True, text=True, **kw
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def school(tmp_path_factory) -> Path:
    """The elementary-school lockdown, with formula-like labels on four classrooms."""
    base = tmp_path_factory.mktemp("school")
    fp = yaml.safe_load((ROOT / "floorplans/elementary-school.yaml").read_text())
    rooms = [s for s in fp["spaces"] if s["kind"] == "classroom"]
    for space, label in zip(rooms, LABELS, strict=False):
        space["label"] = label
    (base / "school.yaml").write_text(yaml.safe_dump(fp, sort_keys=False))
    sc = yaml.safe_load((ROOT / "scenarios/elementary-lockdown-class.yaml").read_text())
    sc["floorplan"] = "school.yaml"
    (base / "lockdown.yaml").write_text(yaml.safe_dump(sc, sort_keys=False))
    return base / "lockdown.yaml"


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def assert_labels_neutralised(path: Path, column: str = "label") -> None:
    cells = {r[column] for r in read_rows(path)}
    for label in LABELS:
        assert "'" + label in cells, (path.name, label)
        assert label not in cells
    assert not [c for c in cells if c[:1] in "=+-@"], path.name


def test_formula_labels_are_neutralised_in_every_csv(school, tmp_path):
    # one run: rooms.csv; numbers stay numbers
    res = drillsim("run", school, "--out", tmp_path / "run")
    assert res.returncode == 0, res.stderr
    assert_labels_neutralised(tmp_path / "run/rooms.csv")
    rooms = pd.read_csv(tmp_path / "run/rooms.csv")
    assert rooms.select_dtypes("number").shape[1] >= 5
    # batch: rooms.csv
    res = drillsim("batch", school, "--runs", 60, "--workers", 1, "--out", tmp_path / "b", "-q")
    assert res.returncode == 0, res.stderr
    assert_labels_neutralised(tmp_path / "b/rooms.csv")
    assert pd.read_csv(tmp_path / "b/rooms.csv").select_dtypes("number").shape[1] >= 3
    # brief: observer_sheet.csv
    res = drillsim("brief", school, "--runs", 60, "--workers", 1, "--out", tmp_path / "br", "-q")
    assert res.returncode == 0, res.stderr
    sheet = tmp_path / "br/observer_sheet.csv"
    assert_labels_neutralised(sheet)
    # review: the sheet filled in (as a text editor would keep it) gives review_rooms.csv
    rows = read_rows(sheet)
    for r in rows:
        r.update(alert_heard_s="20", door_locked_s="45", lights_off_s="50", safe_zone_s="60")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    observed = tmp_path / "observed.csv"
    observed.write_text(buf.getvalue())
    res = drillsim(
        "review", school, observed, "--runs", 60, "--workers", 1, "--out", tmp_path / "rv", "-q"
    )
    assert res.returncode == 0, res.stderr
    assert_labels_neutralised(tmp_path / "rv/review_rooms.csv")
    review = pd.read_csv(tmp_path / "rv/review_rooms.csv")
    assert review["observed_secured_s"].dtype.kind == "f"
    assert (review["observed_secured_s"].dropna() > 0).all()


def test_out_into_a_foreign_non_empty_folder_is_refused(school, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("not drillsim's")
    res = drillsim("run", school, "--out", out)
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "not written by drillsim (thesis.docx)" in res.stderr and "--force" in res.stderr
    assert tree(out) == {"thesis.docx": b"not drillsim's"}
    # another command's folder: refused too, and nothing in it changes
    assert drillsim("run", school, "--out", tmp_path / "r").returncode == 0
    before = tree(tmp_path / "r")
    res = drillsim("brief", school, "--runs", 20, "--out", tmp_path / "r", "-q")
    assert res.returncode == 1 and "holds the outputs of `drillsim run`" in res.stderr
    assert tree(tmp_path / "r") == before
    # the same command again replaces its own set; the manifest says who wrote it
    assert drillsim("run", school, "--seed", 5, "--out", tmp_path / "r").returncode == 0
    m = read_manifest(tmp_path / "r")
    assert m["command"] == "run" and m["options"]["seed"] == 5
    assert set(m["files"]) | {MANIFEST} == set(tree(tmp_path / "r"))


def test_a_clash_during_staging_leaves_the_folder_as_it_was(school, tmp_path):
    """The issue's case: a file named like the folder brief writes its figures into."""
    out = tmp_path / "pack"
    out.mkdir()
    (out / "figures").write_text("a file")
    (out / "briefing.html").write_text("last year's")
    before = tree(out)
    res = drillsim("brief", school, "--runs", 20, "--workers", 1, "--out", out, "-q", "--force")
    assert res.returncode == 1, res.stderr
    assert "figures is a file" in res.stderr and "Traceback" not in res.stderr
    assert tree(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                if k not in out:
                    out.add(k)
                    todo.append(k)
    return out


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_parent_leaves_no_drillsim_process_behind(tmp_path):
    hs = ROOT / "scenarios/high-school-lockdown-class.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "drillsim", "batch", str(hs), "--runs", "400000", "--workers",
         "2", "--engine", "reference", "--out", str(tmp_path / "out"), "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        kids: set[int] = set()
        while time.monotonic() < deadline and len(kids) < 3:  # 2 workers + resource tracker
            time.sleep(0.2)
            kids = descendants(proc.pid)
        assert len(kids) >= 3, kids
        # wait until the workers are busy with a (slow, reference-engine) chunk: an idle worker
        # exits on its own when the parent's pipe closes, a busy one used to run on for minutes
        time.sleep(5.0)
        kids = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(k) for k in kids):
            time.sleep(0.1)
        assert not [k for k in kids if alive(k)]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_killed_workers_chunk_is_retried_and_results_equal_an_undisturbed_batch():
    import multiprocessing

    loaded = load_scenario(ROOT / "scenarios/elementary-lockdown-class.yaml")
    calm = run_batch_job(loaded, 6000, 11, workers=1)
    messages: list[str] = []
    killed: list[int] = []

    first_chunk = threading.Event()

    def killer() -> None:
        first_chunk.wait(60)  # the workers are up and busy: kill one mid-batch
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            workers = [
                p for p in multiprocessing.active_children() if "resource" not in (p.name or "")
            ]
            if workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(workers[0].pid, signal.SIGKILL)  # as the OOM killer would
                killed.append(workers[0].pid)
                return
            time.sleep(0.02)

    t = threading.Thread(target=killer)
    t.start()
    hit = run_batch_job(
        loaded, 6000, 11, workers=2, notify=messages.append, progress=lambda n: first_chunk.set()
    )
    t.join()
    assert killed, "no worker was killed; the test did not exercise the retry"
    assert len(messages) == 1 and "running runs" in messages[0] and "again" in messages[0]
    for name in calm.metrics:
        np.testing.assert_array_equal(hit.metrics[name], calm.metrics[name])
    np.testing.assert_array_equal(hit.room_secured_s, calm.room_secured_s)
    np.testing.assert_array_equal(hit.space_alert_s, calm.space_alert_s)
    for name in calm.curves:
        np.testing.assert_array_equal(hit.curves[name], calm.curves[name])


def test_resume_after_sigkill_gives_the_files_of_an_uninterrupted_batch(school, tmp_path):
    args = ["batch", school, "--runs", 12_000, "--seed", 4, "--workers", 1, "--csv", "-q"]
    res = drillsim(*args, "--out", tmp_path / "calm")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "drillsim", *map(str, args), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / PARTIAL).glob("chunk-*.parquet"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = out / PARTIAL
    chunks = sorted(partial.glob("chunk-*.parquet"))
    assert len(chunks) >= 3
    assert sorted(p.name for p in out.iterdir()) == [PARTIAL]  # nothing that looks complete
    assert read_manifest(partial)["status"] == "incomplete"
    # the chunks already on disk are a readable Parquet dataset of the finished runs
    assert len(pd.read_parquet(chunks[0])) == 256
    # without --resume the interrupted batch is not thrown away
    res = drillsim(*args, "--out", out)
    assert res.returncode == 1 and "pass --resume" in res.stderr
    res = drillsim(*args, "--out", out, "--resume")
    assert res.returncode == 0, res.stderr
    assert "resuming:" in res.stderr
    assert tree(out) == tree(tmp_path / "calm")  # byte for byte, manifest included
    res = drillsim(*args, "--out", out, "--resume")  # nothing left to do
    assert res.returncode == 0 and "nothing to resume" in res.stdout
    assert tree(out) == tree(tmp_path / "calm")


def test_resume_refuses_a_batch_whose_scenario_changed(school, tmp_path):
    work = tmp_path / "s"
    shutil.copytree(school.parent, work)
    scenario = work / school.name
    out = tmp_path / "out"
    # an interrupted batch: its partial folder as a killed run leaves it
    res = drillsim("batch", scenario, "--runs", 600, "--seed", 1, "--workers", 1, "--out", out,
                   "-q")  # fmt: skip
    assert res.returncode == 0, res.stderr
    from drillsim.cli.common import scenario_inputs
    from drillsim.run.chunkstore import open_chunk_store

    loaded = load_scenario(scenario)
    key = {"runs": 5000, "seed": 1, "engine": "batch", "chunk_runs": 256}
    shutil.rmtree(out)
    out.mkdir()
    _store, done = open_chunk_store(out, scenario_inputs(loaded), key, 5000, resume=False,
                                   force=False)  # fmt: skip
    assert done == 0
    sc = yaml.safe_load(scenario.read_text())
    sc["behaviour"]["adult_reaction_s"] = 99
    scenario.write_text(yaml.safe_dump(sc, sort_keys=False))
    res = drillsim("batch", scenario, "--runs", 5000, "--seed", 1, "--out", out, "--resume", "-q")
    assert res.returncode == 1
    assert (
        res.stderr.startswith("error: --resume: the interrupted batch") and "changed" in res.stderr
    )
    assert "lockdown.yaml changed" in res.stderr and "--force" in res.stderr
    assert (out / PARTIAL / MANIFEST).is_file()  # still there for the original scenario


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("tcp://host:port", "not a valid address"),
        ("http://10.0.0.5:8786", "need tcp:// or tls://"),
        ("tcp://10.0.0.5", "need tcp:// or tls://"),
        ("tcp://10.0.0.5:8786/x", "has a path"),
    ],
)
def test_a_malformed_scheduler_address_is_one_line(school, tmp_path, address, words):
    with pytest.raises(DrillsimError, match=words):
        check_scheduler_address(address)
    res = drillsim("batch", school, "--runs", 10, "--scheduler", address, "--out", tmp_path / "o")
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert address in res.stderr and "tcp://10.0.0.5:8786" in res.stderr
    assert not (tmp_path / "o").exists()


def test_an_endpoint_that_is_not_a_dask_scheduler_is_one_line():
    """A server that answers with garbage (here: HTTP) must not give 'Unable to allocate'."""
    import socket

    pytest.importorskip("distributed")
    from distributed import Client

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 64)
            time.sleep(0.2)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with pytest.raises(DrillsimError) as err:
            _connect(f"tcp://127.0.0.1:{port}", Client)
    finally:
        stop.set()
        t.join()
        srv.close()
    msg = str(err.value)
    assert f"127.0.0.1:{port}" in msg and "\n" not in msg
    assert "allocate" not in msg and ("Dask scheduler" in msg)


@pytest.mark.parametrize("command", ["batch", "brief"])
def test_ctrl_c_prints_one_line_and_keeps_finished_chunks(tmp_path, command):
    hs = ROOT / "scenarios/high-school-lockdown-class.yaml"
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "drillsim", command, str(hs), "--runs", "1000000", "--workers",
         "2", "--out", str(out), "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    # The largest batch the CLI takes (about a minute here), interrupted as soon as the workers are
    # busy: a fixed sleep raced the batch itself once the engine got fast (400,000 runs took 25 s
    # and a faster CI machine finished them before the signal came).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(descendants(proc.pid)) < 3:
        time.sleep(0.1)
    if command == "batch":
        while time.monotonic() < deadline and not list((out / PARTIAL).glob("chunk-*.parquet")):
            time.sleep(0.1)
    else:
        time.sleep(1.0)  # workers busy
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130
    assert err.count("\n") == 1 and err.startswith("interrupted; "), err
    if command == "batch":
        assert f"kept in {out}/partial-batch/" in err and "--resume" in err
        assert sorted(p.name for p in out.iterdir()) == [PARTIAL]
    else:
        assert not out.exists()


def test_a_chunk_lost_twice_stops_the_batch_with_a_clear_message():
    import multiprocessing

    loaded = load_scenario(ROOT / "scenarios/elementary-lockdown-class.yaml")
    stop = threading.Event()
    killed: set[int] = set()

    def killer() -> None:  # every worker is killed as soon as it is up, as by a tight OOM limit
        while not stop.is_set():
            for p in multiprocessing.active_children():
                if p.pid is not None and p.pid not in killed:
                    killed.add(p.pid)
                    with contextlib.suppress(ProcessLookupError):  # already gone
                        os.kill(p.pid, signal.SIGKILL)
            time.sleep(0.01)

    t = threading.Thread(target=killer)
    t.start()
    messages: list[str] = []
    try:
        with pytest.raises(DrillsimError, match=r"lost twice while running runs \d+-\d+"):
            run_batch_job(loaded, 3000, 11, workers=2, notify=messages.append)
    finally:
        stop.set()
        t.join()
    assert len(messages) == 1 and len(killed) >= 2


def test_resume_refuses_chunks_of_an_older_format(school, tmp_path):
    """A batch interrupted under an older drillsim (chunk files without the per-exit counts)
    is refused by name, not resumed into a result with missing detail."""
    from drillsim.cli.common import scenario_inputs
    from drillsim.run.chunkstore import CHUNK_FORMAT, open_chunk_store

    out = tmp_path / "out"
    out.mkdir()
    old_key = {"runs": 600, "seed": 1, "engine": "batch", "chunk_runs": 256}  # format 1
    open_chunk_store(out, scenario_inputs(load_scenario(school)), old_key, 600, resume=False,
                     force=False)  # fmt: skip
    res = drillsim("batch", school, "--runs", 600, "--seed", 1, "--out", out, "--resume", "-q")
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "another drillsim version" in res.stderr
    assert f"format 1, this version reads {CHUNK_FORMAT}" in res.stderr
    assert "--force" in res.stderr
