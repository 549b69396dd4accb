"""``make fuzz``: feed thousands of mutated inputs to the CLI and classify what happens.

Each case (built by ``tests/fuzzing.py`` from a bundled scenario, floorplan or observer sheet) runs
in-process through click's CliRunner inside a forked worker; the parent kills the worker and
counts a *hang* when a case runs longer than ``--timeout`` seconds. The worker's address space is
capped (``--memory-gb``), so a runaway allocation shows as a MemoryError traceback, not a swap storm.

Usage::

    .venv/bin/python benchmarks/fuzz.py --cases 10000 --seed 1 --markdown docs/fuzz-results.md

Prints the counts per class and per family, the first examples of each bad class, and (with
``--markdown``) writes them as a table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import CLASSES, make_case, run_case


def _worker(conn, seed: int, memory_gb: float, root: str) -> None:
    if memory_gb > 0:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["MPLBACKEND"] = "Agg"
    os.chdir(root)  # a case that writes to the current folder writes into the scratch folder
    while True:
        index = conn.recv()
        if index is None:
            return
        workdir = Path(tempfile.mkdtemp(prefix=f"case{index}-", dir=root))
        t0 = time.monotonic()
        try:
            case = make_case(seed, index, workdir)
            verdict, detail = run_case(case)
            took = time.monotonic() - t0
            conn.send((index, case.family, case.mutation, verdict, detail, took))
        except BaseException as err:  # the harness itself must never die on a case
            conn.send((index, "?", "harness", "traceback", f"{type(err).__name__}: {err}", 0.0))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _preload() -> None:
    """Import drillsim once in the parent, so every (re)forked worker runs the same code."""
    import importlib

    for name in ("drillsim.cli.main", "drillsim.run", "drillsim.reports.review",
                 "drillsim.reports.brief", "drillsim.reports.batch", "drillsim.reports.single",
                 "drillsim.reports.compare", "drillsim.reports.calibrate",
                 "drillsim.floorplan.draw", "drillsim.cli.headline"):
        try:
            importlib.import_module(name)
        except ImportError:  # an older drillsim (the "before" measurement) may lack one
            pass


def _describe(seed: int, index: int, root: str) -> tuple[str, str]:
    """Family and mutation of a case (rebuilt, since its worker was killed)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"describe{index}-", dir=root))
    try:
        case = make_case(seed, index, workdir)
        return case.family, f"{case.mutation} {' '.join(case.args[:1])}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class Worker:
    def __init__(self, seed: int, memory_gb: float, root: str):
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, seed, memory_gb, root), daemon=True)
        self.proc.start()
        self.index: int | None = None
        self.started = 0.0

    def give(self, index: int) -> None:
        self.index, self.started = index, time.monotonic()
        self.conn.send(index)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", type=int, default=0, help="index of the first case")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds before a case is a hang")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--memory-gb", type=float, default=3.0)
    ap.add_argument("--markdown", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    _preload()
    root = tempfile.mkdtemp(prefix="drillsim-fuzz-")
    counts: Counter = Counter()
    by_family: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    todo = list(range(args.first, args.first + args.cases))
    workers = [Worker(args.seed, args.memory_gb, root) for _ in range(args.jobs)]
    t0 = time.monotonic()
    done = 0

    slow: list[tuple[float, str]] = []

    def record(index, family, mutation, verdict, detail, took=None):
        nonlocal done
        if took is not None:
            slow.append((took, f"case {index} [{family}] {mutation} -> {verdict}"))
        done += 1
        counts[verdict] += 1
        by_family[family][verdict] += 1
        if verdict not in ("rejected", "accepted") and len(examples[verdict]) < 40:
            examples[verdict].append(f"case {index} [{family}] {mutation}: {detail}")
        if done % 250 == 0:
            rate = done / (time.monotonic() - t0)
            print(f"{done}/{args.cases} cases, {rate:.1f}/s: {dict(counts)}", flush=True)

    try:
        for w in workers:
            if todo:
                w.give(todo.pop(0))
        while any(w.index is not None for w in workers):
            for i, w in enumerate(workers):
                if w.index is None:
                    continue
                if w.conn.poll(0.05):
                    try:
                        record(*w.conn.recv())
                        w.index = None
                    except EOFError:  # the worker died (e.g. killed by the OS)
                        family, mutation = _describe(args.seed, w.index, root)
                        record(w.index, family, mutation, "traceback", "worker process died")
                        w.kill()
                        workers[i] = w = Worker(args.seed, args.memory_gb, root)
                elif not w.proc.is_alive():
                    record(w.index, "?", "worker died", "traceback", "worker process died")
                    workers[i] = w = Worker(args.seed, args.memory_gb, root)
                elif time.monotonic() - w.started > args.timeout:
                    family, mutation = _describe(args.seed, w.index, root)
                    record(w.index, family, mutation, "hang", f"> {args.timeout:g} s")
                    w.kill()
                    workers[i] = w = Worker(args.seed, args.memory_gb, root)
                if w.index is None and todo:
                    w.give(todo.pop(0))
    finally:
        for w in workers:
            w.kill()
        shutil.rmtree(root, ignore_errors=True)

    elapsed = time.monotonic() - t0
    print(f"\n{done} cases in {elapsed:.0f} s (seed {args.seed}, timeout {args.timeout:g} s)")
    for c in CLASSES:
        print(f"  {c:10s} {counts[c]}")
    for c in ("traceback", "hang", "silent"):
        for line in examples[c][:15]:
            print(f"  {c}: {line}")
    for took, what in sorted(slow, reverse=True)[:8]:
        print(f"  slowest: {took:.1f} s {what}")
    result = {
        "cases": done,
        "seed": args.seed,
        "first": args.first,
        "timeout_s": args.timeout,
        "elapsed_s": round(elapsed, 1),
        "counts": {c: counts[c] for c in CLASSES},
        "by_family": {f: {c: by_family[f][c] for c in CLASSES} for f in sorted(by_family)},
        "examples": {c: examples[c] for c in ("traceback", "hang", "silent")},
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(_markdown(result), encoding="utf-8")
    bad = sum(counts[c] for c in ("traceback", "hang", "silent"))
    return 1 if bad else 0


def _markdown(r: dict) -> str:
    lines = [
        f"{r['cases']} cases (seed {r['seed']}, from case {r['first']}), per-case timeout "
        f"{r['timeout_s']:g} s, {r['elapsed_s']:.0f} s in all.",
        "",
        "| family | " + " | ".join(CLASSES) + " |",
        "|---|" + "---|" * len(CLASSES),
    ]
    for fam, c in r["by_family"].items():
        lines.append(f"| {fam} | " + " | ".join(str(c[k]) for k in CLASSES) + " |")
    lines.append("| **all** | " + " | ".join(f"**{r['counts'][k]}**" for k in CLASSES) + " |")
    for c, ex in r["examples"].items():
        if ex:
            lines += ["", f"First {c} cases:", ""] + [f"- `{e[:200]}`" for e in ex[:10]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
