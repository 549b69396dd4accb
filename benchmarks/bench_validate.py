"""How ``drillsim validate`` scales with floorplan size: seconds and peak memory per size.

Generates a fictional one-storey campus of N spaces (corridor spines, each with classrooms on
both sides, exits at the spine ends), writes it as YAML, and runs ``drillsim validate`` on it in a
fresh process, reporting wall time and the process's peak resident memory.

Usage::

    .venv/bin/python benchmarks/bench_validate.py --sizes 1000 5000 20000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from drillsim.floorplan import load_floorplan, save_floorplan


def campus(n_spaces: int) -> str:
    """YAML text of a valid floorplan with about ``n_spaces`` spaces."""
    rooms_per_spine = 40  # 20 each side
    per_spine = rooms_per_spine + 1 + 2  # corridor + 2 exits
    spines = max(1, n_spaces // per_spine)
    spaces, conns = [], []
    for s in range(spines):
        y0 = s * 30.0
        hall = f"H{s}"
        spaces.append(
            f"  - {{id: {hall}, kind: corridor, x: 100.0, y: {y0}, area_m2: 600.0, "
            f"size_w_m: 200.0, size_h_m: 3.0}}"
        )
        for end, x in (("W", -2.0), ("E", 202.0)):
            ex = f"X{s}{end}"
            spaces.append(f"  - {{id: {ex}, kind: exit, x: {x}, y: {y0}}}")
            conns.append(f"  - {{a: {hall}, b: {ex}, kind: door}}")
        for r in range(rooms_per_spine):
            rid = f"R{s}-{r:02d}"
            x = 5.0 + 10.0 * (r // 2)
            y = y0 + (6.0 if r % 2 else -6.0)
            spaces.append(
                f"  - {{id: {rid}, kind: classroom, x: {x}, y: {y}, area_m2: 72.0, "
                f"capacity: 25, safe_zone_capacity: 20}}"
            )
            conns.append(f"  - {{a: {rid}, b: {hall}, kind: door, lock: thumbturn}}")
    return (
        f"name: Generated campus ({len(spaces)} spaces)\nfloors:\n  - {{level: 0, name: Ground}}\n"
        "spaces:\n" + "\n".join(spaces) + "\nconnections:\n" + "\n".join(conns) + "\n"
    )


def measure(path: Path) -> tuple[float, float, str]:
    """(wall s, CPU s, peak MB, first output line) of ``drillsim validate path``, fresh process.

    The CPU seconds of the validation (not the interpreter start) are the figure to compare on a
    shared machine: other load stretches the wall time, not the CPU time.
    """
    code = (
        "import resource, sys, time\n"
        "from click.testing import CliRunner\n"
        "from drillsim.cli.main import cli\n"
        "t, c = time.perf_counter(), time.process_time()\n"
        f"r = CliRunner().invoke(cli, ['validate', {str(path)!r}])\n"
        "dt, dc = time.perf_counter() - t, time.process_time() - c\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(dt, dc, peak, r.exit_code, r.output.splitlines()[0][:100])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt, dc, peak, code_, line = out.stdout.split(" ", 4)
    return float(dt), float(dc), float(peak), f"exit {code_}: {line.strip()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    ap.add_argument("--formats", nargs="+", default=["yaml", "json", "graphml"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("| spaces | format | file MB | validate CPU s | wall s | peak RSS MB | result |")
        print("|---|---|---|---|---|---|---|")
        for n in args.sizes:
            path = Path(tmp) / f"campus-{n}.yaml"
            path.write_text(campus(n), encoding="utf-8")
            paths = [path]
            for fmt in args.formats:
                if fmt != "yaml":
                    other = path.with_suffix(f".{fmt}")
                    save_floorplan(load_floorplan(path), other)
                    paths.append(other)
            for p in paths:
                dt, dc, peak, line = measure(p)
                size_mb = p.stat().st_size / 2**20
                print(f"| {n:,} | {p.suffix[1:]} | {size_mb:.1f} | {dc:.2f} | {dt:.2f} | "
                      f"{peak:.0f} | {line} |", flush=True)


if __name__ == "__main__":
    main()
