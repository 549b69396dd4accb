"""Workers: spawned from the console script they import the engine, not the CLI; keeping freed
memory (mallopt) removes the chunk page faults and changes no number."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HS = ROOT / "scenarios/high-school-lockdown-class.yaml"

# What pip's console-script wrapper does: import main from the package, call it under a guard.
CONSOLE_SCRIPT = """
import sys
from drillsim.cli.main import main
if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext
    from multiprocessing import get_context
    from drillsim.run.workers import lean_spawn, loaded_modules
    ctx = lean_spawn() if sys.argv[1] == "lean" else nullcontext()
    with ctx, ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        mods = pool.submit(loaded_modules).result()
    print("cli" if "drillsim.cli.main" in mods else "no-cli")
    print("main-file-kept" if getattr(sys.modules["__main__"], "__file__", None) else "lost")
"""


def test_spawned_workers_do_not_import_the_cli(tmp_path):
    script = tmp_path / "drillsim-script"
    script.write_text(CONSOLE_SCRIPT)
    out = {
        mode: subprocess.run([sys.executable, str(script), mode], capture_output=True,
                             text=True, cwd=tmp_path, check=True).stdout.split()
        for mode in ("plain", "lean")
    }
    assert out["plain"][0] == "cli"  # what multiprocessing does by default
    assert out["lean"] == ["no-cli", "main-file-kept"]


CHUNKS = """
import hashlib, resource, sys
import numpy as np
import drillsim.run.workers as w
from drillsim.plan.compile import compile_plan
from drillsim.run.batch import run_chunk
from drillsim.scenario.load import load_scenario
if sys.argv[1] == "glibc-defaults":
    w._tuned = True  # run_chunk's tune_malloc() becomes a no-op
else:
    assert w.tune_malloc()
loaded = load_scenario(sys.argv[2])
plan = compile_plan(loaded)
h = hashlib.sha256()
for warm in range(2):
    run_chunk(plan, loaded.scenario, 5, 256 * warm, 256, "batch")
faults = 0
for c in range(6):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    part = run_chunk(plan, loaded.scenario, 5, 256 * c, 256, "batch")
    faults += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    for k in sorted(part["metrics"]):
        h.update(np.ascontiguousarray(part["metrics"][k]).tobytes())
    for k in ("room_secured_s", "space_alert_s", "room_reason"):
        h.update(np.ascontiguousarray(part[k]).tobytes())
print(h.hexdigest(), int(faults / 6))
"""


def test_kept_memory_removes_page_faults_and_changes_no_number():
    res = {}
    for mode in ("glibc-defaults", "tuned"):
        out = subprocess.run([sys.executable, "-c", textwrap.dedent(CHUNKS), mode, str(HS)],
                             capture_output=True, text=True, check=True).stdout.split()
        res[mode] = (out[0], int(out[1]))
    assert res["tuned"][0] == res["glibc-defaults"][0]  # bit-identical outputs
    # measured: ~2,900 minor faults per high-school chunk with glibc defaults, ~150 tuned (with
    # this test's hashing between chunks; ~8,500 vs ~15 in benchmarks/bench_research.py)
    assert res["tuned"][1] * 5 < res["glibc-defaults"][1]


def test_gc_paused_holds_the_collector_off_and_restores_its_state():
    import gc
    import threading

    from drillsim.run.workers import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested (a chunk inside a chunk-running helper)
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    # a user who turned the collector off keeps it off
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    # chunks on two threads that overlap: on until the last one ends
    inside, leave = threading.Event(), threading.Event()

    def chunk() -> None:
        with gc_paused():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=chunk)
    t.start()
    inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's chunk still runs
    leave.set()
    t.join()
    assert gc.isenabled()
    # an error inside a chunk still restores it
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()
