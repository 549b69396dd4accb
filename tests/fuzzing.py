"""Mutated inputs for the fuzz tests (``tests/test_fuzz.py``) and ``make fuzz`` (benchmarks/fuzz.py).

A *case* is one bad (or harmless) input built from a bundled file by one seeded mutation, the CLI
arguments that feed it to drillsim as a user would, and what the mutation injected. Cases are
fully determined by ``(seed, index)``: :func:`make_case` with the same pair writes the same files.

Every case is run in-process through click's ``CliRunner`` and put in one class:

- ``rejected``: drillsim refused it with its own error message (exit 1 or 2, no traceback);
- ``accepted``: it ran and every number it produced is finite and non-negative (or "never");
- ``traceback``: an exception escaped drillsim's error handling;
- ``hang``: it ran longer than the per-case timeout (decided by the caller, see benchmarks/fuzz.py);
- ``silent``: it was accepted although it holds a NaN/infinite number, or its outputs hold NaN or
  negative times (a silent wrong answer).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
FLOORPLANS = sorted((ROOT / "floorplans").glob("*.yaml"))
CLASSES = ("rejected", "accepted", "traceback", "hang", "silent")

#: Values a number (or anything) is replaced with.
NASTY_VALUES: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1e300,
    1e18,
    10**30,
    -1,
    -5.5,
    0,
    0.0,
    1e-300,
    "12",
    "abc",
    None,
    True,
    [],
    {},
    "\x00",
    3.5,
    2**63,
    "C101",
]
NON_FINITE = (math.nan, math.inf, -math.inf)

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)

DISTS = (
    {"dist": "constant", "value": 5},
    {"dist": "uniform", "low": 1, "high": 5},
    {"dist": "normal", "mean": 5, "sd": 1},
    {"dist": "lognormal", "median": 5, "p90": 15},
    {"dist": "triangular", "low": 1, "mode": 2, "high": 5},
    {"dist": "empirical", "values": [1, 2, 3]},
)


@dataclass
class Case:
    """One fuzz case: which input family, which mutation, and the CLI arguments."""

    index: int
    family: str  # scenario | floorplan | observer | options
    mutation: str
    args: list[str]
    injected_non_finite: bool = False
    outdir: Path | None = None
    notes: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# tree helpers


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested dicts and lists (not the root)."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _set(obj: Any, path: tuple, value: Any) -> None:
    _get(obj, path[:-1])[path[-1]] = value


def _delete(obj: Any, path: tuple) -> None:
    parent = _get(obj, path[:-1])
    del parent[path[-1]]


def _pick(rng: np.random.Generator, seq: list | tuple) -> Any:
    return seq[int(rng.integers(len(seq)))]


# ---------------------------------------------------------------------------------------------
# text-level mutations (any format)

CONTROL = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\ufeff", "\u2028", "\x0b", "\x0c"]


def mutate_text(rng: np.random.Generator, text: str, fmt: str) -> tuple[str | bytes, str]:
    """A text-level mutation of a whole file: returns (new content, mutation name)."""
    kind = _pick(
        rng,
        [
            "control_char",
            "truncate",
            "byte_flip",
            "bad_utf8",
            "latin1",
            "utf16",
            "deep_nesting",
            "alias_bomb",
            "empty",
            "bom",
            "tabs",
            "duplicate_line",
            "huge_line",
        ],
    )
    n = len(text)
    if kind == "control_char":
        pos = int(rng.integers(n + 1))
        return text[:pos] + _pick(rng, CONTROL) + text[pos:], kind
    if kind == "truncate":
        return text[: int(rng.integers(n + 1))], kind
    if kind == "byte_flip":
        data = bytearray(text.encode("utf-8"))
        for _ in range(int(rng.integers(1, 4))):
            i = int(rng.integers(len(data)))
            data[i] = int(rng.integers(256))
        return bytes(data), kind
    if kind == "bad_utf8":
        data = text.encode("utf-8")
        pos = int(rng.integers(len(data) + 1))
        return data[:pos] + b"\xff\xfe\xc3" + data[pos:], kind
    if kind == "latin1":
        return ("# caf\u00e9 \u00e9l\u00e8ve\n" + text).encode("latin-1", "replace"), kind
    if kind == "utf16":
        return text.encode("utf-16"), kind
    if kind == "deep_nesting":
        depth = int(_pick(rng, [200, 2000, 20000, 100000]))
        if fmt == "json":
            return '{"nodes": ' + "[" * depth + "]" * depth + "}", kind
        if fmt == "graphml":
            return "<graphml>" + "<a>" * depth + "</a>" * depth + "</graphml>", kind
        return "name: " + "[" * depth + "]" * depth + "\n" + text, kind
    if kind == "alias_bomb":
        if fmt in ("json", "graphml", "csv"):
            return text * int(_pick(rng, [2, 3])), "duplicate_content"
        return ALIAS_BOMB + text, kind
    if kind == "empty":
        return _pick(rng, ["", " ", "\n", "---\n", "null\n", "[]\n", "0\n"]), kind
    if kind == "bom":
        return "\ufeff" + text, kind
    if kind == "tabs":
        return text.replace("  ", "\t", int(rng.integers(1, 5))), kind
    if kind == "duplicate_line":
        lines = text.splitlines(keepends=True)
        i = int(rng.integers(len(lines))) if lines else 0
        return "".join(lines[: i + 1] + lines[i:]), kind
    # huge_line: a 2 MB line (beyond any sane drill file)
    return text + "\n# " + "x" * int(_pick(rng, [100_000, 3_000_000])) + "\n", kind


# ---------------------------------------------------------------------------------------------
# data-level mutations (YAML / JSON trees)


def mutate_tree(rng: np.random.Generator, data: Any) -> tuple[Any, str, bool]:
    """A structural mutation of a parsed file: returns (new data, mutation name, injected nan/inf)."""
    data = copy.deepcopy(data)
    paths = _paths(data)
    if not paths:
        return data, "none", False
    kind = _pick(
        rng,
        [
            "replace_value",
            "replace_value",
            "replace_number",
            "replace_number",
            "delete_key",
            "unknown_key",
            "typo_key",
            "swap_distribution",
            "huge_list",
            "duplicate_record",
        ],
    )
    path = _pick(rng, paths)
    if kind == "replace_number":
        numeric = [
            p
            for p in paths
            if isinstance(_get(data, p), int | float) and not isinstance(_get(data, p), bool)
        ]
        if numeric:
            path = _pick(rng, numeric)
        value = _pick(rng, NASTY_VALUES)
        _set(data, path, value)
        return data, f"{kind}:{_tail(path)}={_short(value)}", _non_finite(value)
    if kind == "replace_value":
        value = _pick(rng, NASTY_VALUES)
        _set(data, path, value)
        return data, f"{kind}:{_tail(path)}={_short(value)}", _non_finite(value)
    if kind == "delete_key":
        _delete(data, path)
        return data, f"{kind}:{_tail(path)}", False
    if kind == "unknown_key":
        dicts = [p for p in [(), *paths] if isinstance(_get(data, p), dict)]
        target = _get(data, _pick(rng, dicts))
        target["zz_unknown"] = 1
        return data, kind, False
    if kind == "typo_key":
        keyed = [p for p in paths if isinstance(p[-1], str)]
        if keyed:
            p = _pick(rng, keyed)
            parent = _get(data, p[:-1])
            parent[p[-1][:-1] + "x"] = parent.pop(p[-1])
            return data, f"{kind}:{p[-1]}", False
        return data, kind, False
    if kind == "swap_distribution":
        dist = copy.deepcopy(_pick(rng, DISTS))
        keys = [k for k in dist if k != "dist"]
        k = _pick(rng, keys)
        value = _pick(rng, NASTY_VALUES[:13])
        if k == "values":
            dist[k] = [value]
        else:
            dist[k] = value
        if rng.random() < 0.3:
            dist[_pick(rng, ["min", "max"])] = _pick(rng, NASTY_VALUES[:13])
        _set(data, path, dist)
        injected = _non_finite(value) or any(_non_finite(dist.get(b)) for b in ("min", "max"))
        return data, f"{kind}:{_tail(path)}:{dist['dist']}.{k}={_short(value)}", injected
    if kind == "huge_list":
        lists = [p for p in paths if isinstance(_get(data, p), list)]
        if lists:
            p = _pick(rng, lists)
            items = _get(data, p)
            if items:
                _set(data, p, items * int(_pick(rng, [20, 100])))
                return data, f"{kind}:{_tail(p)}", False
        return data, kind, False
    # duplicate_record
    lists = [p for p in paths if isinstance(_get(data, p), list) and _get(data, p)]
    if lists:
        p = _pick(rng, lists)
        items = _get(data, p)
        items.append(copy.deepcopy(items[int(rng.integers(len(items)))]))
        return data, f"{kind}:{_tail(p)}", False
    return data, kind, False


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _tail(path: tuple) -> str:
    return ".".join(str(p) for p in path[-2:])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 20 else text[:17] + "..."


# ---------------------------------------------------------------------------------------------
# writers


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)


def _graphml_text(data: dict) -> str:
    """GraphML of a (possibly broken) dict form, written by hand so broken records survive."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ]
    keys: dict[tuple[str, str], str] = {}

    def key(name: str, where: str, value: Any) -> str:
        typ = (
            "boolean"
            if isinstance(value, bool)
            else "long"
            if isinstance(value, int)
            else "double"
            if isinstance(value, float)
            else "string"
        )
        k = keys.setdefault((name, where), f"d{len(keys)}")
        lines.insert(
            2,
            f'<key id="{k}" for="{where}" attr.name="{_xml(name)}" attr.type="{typ}"/>',
        )
        return k

    body = ['<graph edgedefault="undirected">']
    for name in ("name", "floor_height_m", "floors"):
        if isinstance(data, dict) and name in data:
            v = data[name]
            v = json.dumps(v) if isinstance(v, list | dict) else v
            body.append(f'<data key="{key(name, "graph", v)}">{_xml(_val(v))}</data>')
    for rec in _records(data, "spaces"):
        if not isinstance(rec, dict):
            continue
        body.append(f'<node id="{_xml(_val(rec.get("id")))}">')
        for k, v in rec.items():
            if k != "id":
                v = json.dumps(v) if isinstance(v, list | dict) else v  # as text, as a tool would
                body.append(f'<data key="{key(str(k), "node", v)}">{_xml(_val(v))}</data>')
        body.append("</node>")
    for rec in _records(data, "connections"):
        if not isinstance(rec, dict):
            continue
        a, b = _xml(_val(rec.get("a"))), _xml(_val(rec.get("b")))
        body.append(f'<edge source="{a}" target="{b}">')
        for k, v in rec.items():
            if k not in ("a", "b"):
                v = json.dumps(v) if isinstance(v, list | dict) else v
                body.append(f'<data key="{key(str(k), "edge", v)}">{_xml(_val(v))}</data>')
        body.append("</edge>")
    body.append("</graph></graphml>")
    return "\n".join(lines + body) + "\n"


def _records(data: Any, key: str) -> list:
    """``data[key]`` if it is a list (a mutation may have made it anything), else no records."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return (
            repr(v)
            if math.isfinite(v)
            else ("NaN" if math.isnan(v) else ("INF" if v > 0 else "-INF"))
        )
    return "" if v is None else str(v)


def _xml(text: str) -> str:
    text = "".join(c if c in "\t\n" or ord(c) >= 32 else "" for c in text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _node_link(data: dict) -> dict:
    if not isinstance(data, dict):
        return {"graph": {}, "nodes": [], "edges": data}
    graph = {k: v for k, v in data.items() if k not in ("spaces", "connections")}
    raw = data.get("connections")
    edges: Any = [] if isinstance(raw, list) or raw is None else raw  # a non-list stays as is
    for rec in _records(data, "connections"):
        if isinstance(rec, dict):
            rec = dict(rec)
            if "a" in rec:
                rec["source"] = rec.pop("a")
            if "b" in rec:
                rec["target"] = rec.pop("b")
        edges.append(rec)
    return {
        "directed": False,
        "multigraph": False,
        "graph": graph,
        "nodes": data.get("spaces") or [],
        "edges": edges,
    }


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")


def _floorplan_text(data: Any, fmt: str) -> str:
    if fmt == "graphml":
        return _graphml_text(data)
    if fmt == "json":
        return json.dumps(_node_link(data), allow_nan=True)
    return _yaml(data)


# ---------------------------------------------------------------------------------------------
# observer sheets

OBSERVER_HEADER = [
    "room",
    "observer",
    "alert_heard_s",
    "door_locked_s",
    "lights_off_s",
    "safe_zone_s",
    "notes",
]
ELEMENTARY_ROOMS = [f"A{i:02d}" for i in range(1, 11)]


def observer_sheet(rng: np.random.Generator) -> list[list[str]]:
    """A plausible filled observer sheet for the elementary lockdown scenario."""
    rows = [OBSERVER_HEADER]
    for room in ELEMENTARY_ROOMS:
        alert = float(rng.uniform(5, 20))
        locked = alert + float(rng.uniform(5, 40))
        rows.append(
            [
                room,
                "obs",
                f"{alert:.0f}",
                f"{locked:.0f}",
                f"{locked + 3:.0f}",
                f"{locked + 10:.0f}",
                "fine",
            ]
        )
    return rows


def mutate_sheet(rng: np.random.Generator, rows: list[list[str]]) -> tuple[str | bytes, str, bool]:
    rows = [list(r) for r in rows]
    kind = _pick(
        rng,
        [
            "rename_header",
            "drop_column",
            "duplicate_header",
            "cell",
            "cell",
            "cell",
            "extra_cells",
            "quote",
            "delimiter",
            "duplicate_row",
            "text",
        ],
    )
    if kind == "rename_header":
        i = int(rng.integers(len(rows[0])))
        rows[0][i] = _pick(rng, [rows[0][i] + "x", rows[0][i].upper(), "", "Room", "door locked"])
    elif kind == "drop_column":
        i = int(rng.integers(len(rows[0])))
        rows = [r[:i] + r[i + 1 :] for r in rows]
    elif kind == "duplicate_header":
        i, j = rng.integers(len(rows[0]), size=2)
        rows[0][int(i)] = rows[0][int(j)]
    elif kind == "cell":
        r = int(rng.integers(1, len(rows)))
        c = int(rng.integers(len(rows[0])))
        value = _pick(
            rng,
            [
                "nan",
                "inf",
                "-inf",
                "1e308",
                "1e400",
                "-5",
                "99999999999999:00",
                "1:99",
                "1:5:3",
                "abc",
                "",
                "A01",
                "\x00",
                "=1+1",
                "0x10",
                "1_000",
                "  12  ",
                "12s",
                "1e-400",
                "١٢",
                "9" * 400,
            ],
        )
        rows[r][c] = value
        return (
            _csv(rows),
            f"{kind}:{rows[0][c] if c < len(rows[0]) else c}={value[:12]!r}",
            # a non-finite time; the same text in the free-text columns (notes) is just text
            value in ("nan", "inf", "-inf", "1e400") and rows[0][c].endswith("_s"),
        )
    elif kind == "extra_cells":
        r = int(rng.integers(1, len(rows)))
        rows[r] += ["x", "y"]
    elif kind == "quote":
        text = _csv(rows)
        pos = int(rng.integers(len(text)))
        return text[:pos] + '"' + text[pos:], kind, False
    elif kind == "delimiter":
        return _csv(rows).replace(",", _pick(rng, [";", "\t", "|"])), kind, False
    elif kind == "duplicate_row":
        rows.append(list(rows[int(rng.integers(1, len(rows)))]))
    else:
        content, name = mutate_text(rng, _csv(rows), "csv")
        return content, f"text:{name}", False
    return _csv(rows), kind, False


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# CLI options


def option_case(rng: np.random.Generator, scenario: Path, out: Path) -> tuple[list[str], str]:
    """A bad (or edge) CLI option value for run / batch / draw."""
    cmd = _pick(rng, ["run", "batch", "batch", "draw", "draw", "brief"])
    value = _pick(
        rng,
        [
            "0",
            "-1",
            "abc",
            "1e3",
            "99999999999999",
            "2" + "0" * 30,
            "",
            "1.5",
            "\x00",
            "nan",
            "inf",
            "18446744073709551616",
        ],
    )
    if cmd == "run":
        opt = _pick(rng, ["--seed", "--run-index", "--out"])
        args = ["run", str(scenario), "--out", str(out / "o")]
    elif cmd == "batch":
        opt = _pick(rng, ["--runs", "--seed", "--workers", "--engine", "--out"])
        args = [
            "batch",
            str(scenario),
            "--runs",
            "3",
            "--workers",
            "1",
            "-q",
            "--out",
            str(out / "o"),
        ]
    elif cmd == "brief":
        opt = _pick(rng, ["--runs", "--seed", "--workers"])
        args = [
            "brief",
            str(scenario),
            "--runs",
            "3",
            "--workers",
            "1",
            "-q",
            "--out",
            str(out / "o"),
        ]
    else:
        opt = _pick(rng, ["--out", "--title"])
        args = ["draw", str(scenario), "--out", str(out / "fig.png")]
        if opt == "--out":
            value = _pick(
                rng,
                [
                    str(out / "a" / "b" / "fig.png"),
                    str(out / "fig.txt"),
                    str(out),
                    "",
                    str(out / "fig"),
                ],
            )
    if opt == "--out":
        if cmd != "draw":
            value = _pick(rng, ["", str(scenario), str(out / "new" / "deep"), "\x00"])
    if opt in args:
        args[args.index(opt) + 1] = value
    else:
        args += [opt, value]
    return args, f"{cmd} {opt}={value[:14]!r}"


# ---------------------------------------------------------------------------------------------
# cases


def make_case(seed: int, index: int, workdir: Path) -> Case:
    """Write case ``index`` of fuzz run ``seed`` into ``workdir`` (a fresh folder) and return it."""
    rng = np.random.default_rng([seed, index])
    workdir.mkdir(parents=True, exist_ok=True)
    families = ["scenario", "floorplan", "observer", "options"]
    family = families[int(rng.choice(4, p=[0.42, 0.33, 0.15, 0.10]))]
    scenario_src = _pick(rng, SCENARIOS)
    scen_text = scenario_src.read_text(encoding="utf-8")
    fp_name = re.search(r"^floorplan:\s*(\S+)", scen_text, re.M).group(1)
    fp_src = (scenario_src.parent / fp_name).resolve()
    fp_text = fp_src.read_text(encoding="utf-8")
    scen_text = re.sub(r"^floorplan:.*$", "floorplan: fp.yaml", scen_text, flags=re.M)
    scen_path = workdir / "scenario.yaml"
    out = workdir / "out"

    if family == "scenario":
        if rng.random() < 0.3:
            content, name = mutate_text(rng, scen_text, "yaml")
            injected = False
        else:
            data, name, injected = mutate_tree(rng, yaml.safe_load(scen_text))
            content = _yaml(data)
        _write(scen_path, content)
        _write(workdir / "fp.yaml", fp_text)
        return Case(
            index,
            family,
            f"{scenario_src.stem}:{name}",
            ["validate", str(scen_path)],
            injected,
            out,
        )
    if family == "floorplan":
        fmt = _pick(rng, ["yaml", "yaml", "graphml", "json"])
        data = yaml.safe_load(fp_text)
        if rng.random() < 0.3:
            content, name = mutate_text(rng, _floorplan_text(data, fmt), fmt)
            injected = False
        elif fmt == "graphml" and rng.random() < 0.3:
            text = _floorplan_text(data, fmt)
            nodes = re.findall(r'<node id="[^"]*">.*?</node>', text, re.S)
            dup = _pick(rng, nodes)
            content = text.replace("</graph>", dup + "\n</graph>")
            name, injected = "duplicate_node_id", False
        else:
            data, name, injected = mutate_tree(rng, data)
            content = _floorplan_text(data, fmt)
            if fmt == "graphml" and any(
                not isinstance(r, dict)
                for key in ("spaces", "connections")
                for r in _records(data, key)
            ):
                # GraphML has no way to write a bare value as a node or an edge: the writer
                # leaves that record out, so no NaN/inf reaches the file (case 6669 of seed 1)
                injected = False
        path = workdir / f"fp.{fmt}"
        _write(path, content)
        _write(scen_path, scen_text.replace("floorplan: fp.yaml", f"floorplan: fp.{fmt}"))
        # half the floorplan cases go through a scenario (population, plan compile), half alone
        target = scen_path if rng.random() < 0.5 else path
        return Case(
            index, family, f"{fp_src.stem}.{fmt}:{name}", ["validate", str(target)], injected, out
        )
    if family == "observer":
        scenario_src = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
        text = scenario_src.read_text(encoding="utf-8")
        text = re.sub(r"^floorplan:.*$", "floorplan: fp.yaml", text, flags=re.M)
        _write(scen_path, text)
        shutil.copy(ROOT / "floorplans" / "elementary-school.yaml", workdir / "fp.yaml")
        content, name, injected = mutate_sheet(rng, observer_sheet(rng))
        sheet = workdir / "observed.csv"
        _write(sheet, content)
        return Case(
            index,
            family,
            f"observer:{name}",
            [
                "review",
                str(scen_path),
                str(sheet),
                "--runs",
                "4",
                "--workers",
                "1",
                "-q",
                "--out",
                str(out),
            ],
            injected,
            out,
            {"sheet": str(sheet)},
        )
    _write(scen_path, scen_text)
    _write(workdir / "fp.yaml", fp_text)
    args, name = option_case(rng, scen_path, workdir)
    return Case(index, family, f"options:{name}", args, False, workdir / "o")


# ---------------------------------------------------------------------------------------------
# running and classifying

_NUMERIC_MUTATIONS = (
    "replace_number",
    "replace_value",
    "swap_distribution",
    "huge_list",
    "duplicate_record",
)


def run_case(case: Case) -> tuple[str, str]:
    """Run a case in-process through the CLI; returns (class, detail). Never raises."""
    from click.testing import CliRunner

    from drillsim.cli.main import cli

    runner = CliRunner()
    if case.family == "observer":
        pre = _observer_precheck(case)
        if pre is not None and case.index % 10:
            return pre  # accepted sheets: the full review (PDF and all) for one case in ten
    result = runner.invoke(cli, case.args, catch_exceptions=True)
    verdict, detail = classify(result)
    if verdict != "accepted":
        return verdict, detail
    if case.injected_non_finite:
        return "silent", f"accepted a NaN/infinite number: {result.output.strip()[:120]}"
    try:
        bad = check_accepted(case)
    except Exception as err:
        return "traceback", f"after acceptance: {type(err).__name__}: {str(err)[:160]}"
    if bad:
        return "silent", bad
    return "accepted", ""


def classify(result: Any) -> tuple[str, str]:
    """Class of one CliRunner result: accepted, rejected (drillsim's own message) or traceback."""
    exc = result.exception
    if exc is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
        return "accepted", ""
    if isinstance(exc, SystemExit):
        text = result.output
        if exc.code in (1, 2) and ("error" in text.lower() or "usage" in text.lower()):
            return "rejected", text.strip().splitlines()[-1][:160] if text.strip() else ""
        return "traceback", f"exit {exc.code} without a message: {text[:120]!r}"
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb else "?"
    return "traceback", f"{type(exc).__name__} at {where}: {str(exc)[:160]}"


def _observer_precheck(case: Case) -> tuple[str, str] | None:
    """Read the sheet the way ``review`` does first; None unless it is accepted and sound."""
    from drillsim.errors import DrillsimError
    from drillsim.reports.review import read_observed
    from drillsim.scenario.load import load_scenario

    try:
        loaded = load_scenario(case.args[1])
        obs = read_observed(Path(case.notes["sheet"]), loaded)
    except DrillsimError:
        return None  # rejected: the CLI run shows how
    except Exception:
        return None
    for o in obs.rows:
        for name in ("alert_heard_s", "door_locked_s", "lights_off_s", "safe_zone_s"):
            v = getattr(o, name)
            if not math.isnan(v) and (not math.isfinite(v) or v < 0 or v > 1e7):
                return "silent", f"sheet accepted with {name} = {v!r} for {o.room}"
    return "accepted", ""


def check_accepted(case: Case) -> str:
    """What is wrong with an accepted case's results ('' if nothing)."""
    if case.args[0] == "validate":
        target = Path(case.args[1])
        if (
            target.name.startswith("scenario")
            and case.mutation.split(":")[-1].split("=")[0]
            and any(m in case.mutation for m in _NUMERIC_MUTATIONS)
        ):
            return simulate_and_check(target)
        if not target.name.startswith("scenario"):
            return floorplan_check(target)
        return ""
    if case.outdir is not None and case.outdir.is_dir():
        return outputs_check(case.outdir)
    return ""


def floorplan_check(path: Path) -> str:
    """Every number in an accepted floorplan is finite, and sizes are non-negative."""
    from drillsim.floorplan import load_floorplan

    fp = load_floorplan(path)
    for sid, attrs in fp.graph.nodes(data=True):
        for k, v in attrs.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                if not math.isfinite(v) or (k not in ("x", "y", "floor") and v < 0):
                    return f"space {sid} accepted with {k} = {v!r}"
    for a, b, attrs in fp.graph.edges(data=True):
        for k, v in attrs.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                if not math.isfinite(v) or v < 0:
                    return f"connection {a}-{b} accepted with {k} = {v!r}"
    return ""


def simulate_and_check(path: Path, runs: int = 4) -> str:
    """Simulate a few runs of an accepted scenario; every metric and room time must be sound."""
    from drillsim.run import run_batch_job
    from drillsim.scenario.load import load_scenario

    loaded = load_scenario(path)
    result = run_batch_job(loaded, runs, 1, workers=1)
    lockdown = loaded.scenario.protocol == "lockdown"
    for name, values in result.metrics.items():
        v = np.asarray(values, dtype=float)
        if np.isnan(v).any() or (v < 0).any():
            return f"metric {name} = {v.tolist()}"
    for name in ("room_alert_s", "room_locked_s", "room_secured_s", "space_alert_s"):
        v = np.asarray(getattr(result, name), dtype=float)
        if (v < 0).any() or (lockdown and np.isnan(v).any()):  # nan: not applicable (evacuate)
            return f"{name} has NaN or negative values"
    return ""


def outputs_check(out: Path) -> str:
    """No NaN and no negative number in any summary.json / CSV written to ``out``."""
    for path in sorted(out.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda c: float(c))
        bad = _bad_json(data, path.name)
        if bad:
            return bad
    for path in sorted(out.rglob("*.csv")):
        if path.name in ("events.csv", "observer_sheet.csv"):
            continue
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for k, v in row.items():
                    if not isinstance(v, str):
                        continue
                    if v.strip().lower() in ("nan", "-inf"):
                        return f"{path.name}: {k} = {v}"
                    try:
                        if float(v) < 0 and not k.startswith(("diff", "delta")):
                            return f"{path.name}: {k} = {v}"
                    except ValueError:
                        pass
    return ""


def _bad_json(data: Any, where: str, key: str = "") -> str:
    if isinstance(data, dict):
        for k, v in data.items():
            bad = _bad_json(v, where, str(k))
            if bad:
                return bad
    elif isinstance(data, list):
        for v in data:
            bad = _bad_json(v, where, key)
            if bad:
                return bad
    elif isinstance(data, float) and (math.isnan(data) or data < 0):
        if not key.startswith(("diff", "delta", "mean_diff", "ci")):
            return f"{where}: {key} = {data!r}"
    return ""
