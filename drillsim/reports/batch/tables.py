"""The batch's tables: ``runs.parquet`` / ``runs.csv``, ``rooms.csv`` and ``summary.json``.

Nothing written here depends on the time of writing: no timestamps in Parquet, sorted JSON, and
floats in CSV as shortest round-trip text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from drillsim.metrics.score import METRICS, SECURABLE_DEFINITION, k95, metric_names, n_securable
from drillsim.metrics.summary import quantile, summarise
from drillsim.plan.codes import (
    CAUSE_ALERT,
    CAUSE_ATTEMPT,
    CAUSE_AUDITED,
    CAUSE_SAMPLED,
    REASON_CAUSE,
)
from drillsim.plan.compile import REASON_NAMES, REASON_OK
from drillsim.reports.locks import room_lock_names
from drillsim.reports.staging import write_csv
from drillsim.run.batch import BatchResult
from drillsim.scenario.load import LoadedScenario


def _metric_columns(result: BatchResult) -> list[str]:
    return [m for m in metric_names(result.plan.protocol) if m in result.metrics]


def _run_columns(result: BatchResult) -> dict[str, np.ndarray]:
    """``run``, ``seed`` and every metric of the protocol, one value per run."""
    n = result.n_runs
    cols: dict[str, np.ndarray] = {
        "run": np.arange(n, dtype=np.int64),
        "seed": np.full(n, int(result.seed), dtype=np.int64),
    }
    cols.update(
        {m: np.asarray(result.metrics[m], dtype=np.float64) for m in _metric_columns(result)}
    )
    return cols


def _zero_copy(values: np.ndarray) -> pa.Array:
    """An Arrow array on the NumPy buffer itself (``pa.array`` copies every column: at 100,000
    runs that copy was a third of the parent's peak memory); same file bytes."""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)]
    )


def write_runs_csv(result: BatchResult, path: Path) -> Path:
    """The per-run table as CSV (``inf`` written as "inf", floats in round-trip form)."""
    cols = _run_columns(result)
    names = list(cols)
    rows = [[cols[c][i] for c in names] for i in range(result.n_runs)]
    return write_csv(path, names, rows)


def write_runs(result: BatchResult, out_dir: Path, *, csv: bool = False) -> list[Path]:
    """``runs.parquet`` (and ``runs.csv``): one row per run, ``run``, ``seed``, every metric.

    ``seed`` is the batch seed: run ``i`` of seed ``s`` is replayed with ``drillsim run``. The
    Parquet schema carries the provenance and each column's unit as metadata; nothing in it
    depends on the time of writing.
    """
    cols = _run_columns(result)
    fields = [pa.field("run", pa.int64()), pa.field("seed", pa.int64())]
    fields += [
        pa.field(m, pa.float64(), metadata={"unit": METRICS[m][0], "meaning": METRICS[m][1]})
        for m in list(cols)[2:]
    ]
    meta = {"drillsim.provenance": json.dumps(result.provenance, sort_keys=True)}
    schema = pa.schema(fields, metadata=meta)
    table = pa.table([_zero_copy(cols[f.name]) for f in fields], schema=schema)
    path = out_dir / "runs.parquet"
    pq.write_table(table, path, compression="snappy")
    del table
    pa.default_memory_pool().release_unused()  # the encoder's buffers, before the figures
    written = [path]
    if csv:
        written.append(write_runs_csv(result, out_dir / "runs.csv"))
    return written


def _round(v: float, digits: int) -> float:
    return round(float(v), digits) if math.isfinite(v) else float(v)


def _room_locks(result: BatchResult, m: int) -> str:
    """Lock hardware of a room's doors, in locking order, joined by ``+`` (``""`` if no door)."""
    return "+".join(room_lock_names(result.plan, m))


def room_table(result: BatchResult, loaded: LoadedScenario) -> tuple[list[str], list[list]]:
    """Header and rows of ``rooms.csv``: one row per room to secure, in plan order.

    Lockdown rows give the median and p90 time secured, the share of runs in which the room was
    never secured, the most common reason *why* in those runs (empty if it always secured) and the
    median alert time. Evacuation rows keep the identification columns and the alert time only.
    Times are rounded to 0.1 s and shares to 0.001 for reading in a spreadsheet.
    """
    plan = result.plan
    fp = loaded.floorplan
    lockdown = plan.protocol == "lockdown"
    if plan.protocol == "evacuate":
        return evacuation_room_table(result, loaded)
    header = ["room", "label", "kind", "floor", "door_locks"]
    if lockdown:
        header += ["median_secured_s", "p90_secured_s", "share_never_secured", "most_common_reason"]
        header += [f"share_never_{c}" for c in CAUSE_COLUMNS.values()]
    header += ["median_alert_s", "p90_alert_s"]
    rows: list[list] = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        attrs = fp.space(rid)
        row: list = [
            rid,
            attrs["label"],
            attrs["kind"],
            int(attrs["floor"]),
            _room_locks(result, m),
        ]
        if lockdown:
            sec = result.room_secured_s[:, m]
            never = ~np.isfinite(sec)
            reasons = result.room_reason[never, m].astype(np.int64)
            reasons = reasons[reasons != REASON_OK]
            reason = ""
            if reasons.size:
                counts = np.bincount(reasons, minlength=max(REASON_NAMES) + 1)
                reason = REASON_NAMES.get(int(np.argmax(counts)), str(int(np.argmax(counts))))
            row += [
                _round(quantile(sec, 0.5), 1),
                _round(quantile(sec, 0.9), 1),
                _round(float(np.mean(never)), 3),
                reason,
            ]
            for cause in CAUSE_COLUMNS:
                codes = [c for c, name in REASON_CAUSE.items() if name == cause]
                hit = never & np.isin(result.room_reason[:, m], codes)
                row.append(_round(float(np.mean(hit)), 3))
        alert = result.room_alert_s[:, m]
        row += [_round(quantile(alert, 0.5), 1), _round(quantile(alert, 0.9), 1)]
        rows.append(row)
    return header, rows


def evacuation_room_table(
    result: BatchResult, loaded: LoadedScenario
) -> tuple[list[str], list[list]]:
    """``rooms.csv`` of an evacuation: one row per occupied space (a class, an office, a hall).

    Columns: where the people start, how many, the exit their route leads to, its posted
    alternate, whether they were rerouted around a blockage, their assembly area (empty when the
    floorplan has none: exits then use ``assembly_distance_m``) and the metres walked from the exit
    to it, and the median / p90 time their last person is outside, their last member is at
    assembly, their class is accounted for there (+ report delay), and they heard the alert. No lock
    columns: lock hardware does not matter when evacuating.
    """
    plan, fp = result.plan, loaded.floorplan
    ids = plan.space_ids
    header = [
        "space", "label", "kind", "floor", "people", "exit", "alternate", "rerouted",
        "assembly", "assembly_walk_m",
        "median_out_s", "p90_out_s", "median_at_assembly_s", "p90_at_assembly_s",
        "median_accounted_s", "p90_accounted_s",
        "median_alert_s", "p90_alert_s",
    ]  # fmt: skip
    has = result.space_out_s.size > 0
    rows: list[list] = []
    for s in np.unique(plan.person_space):
        s = int(s)
        attrs = fp.space(ids[s])
        route, alt = plan.space_route[s], plan.space_alternate[s]
        out = result.space_out_s[:, s].astype(float) if has else np.full(1, np.nan)
        acc = result.space_accounted_s[:, s].astype(float) if has else np.full(1, np.nan)
        at = acc - plan.report_delay_s
        alert = result.space_alert_s[:, s].astype(float)
        area = int(plan.space_assembly[s])
        rows.append(
            [
                ids[s],
                attrs["label"],
                attrs["kind"],
                int(attrs["floor"]),
                int((plan.person_space == s).sum()),
                ids[route[-1]] if route else "",
                ids[alt[-1]] if alt else "",
                int(bool(plan.space_rerouted[s])),
                plan.assembly_ids[area] if area >= 0 else "",
                _round(float(plan.space_assembly_m[s]), 1),
                _round(quantile(out, 0.5), 1),
                _round(quantile(out, 0.9), 1),
                _round(quantile(at, 0.5), 1),
                _round(quantile(at, 0.9), 1),
                _round(quantile(acc, 0.5), 1),
                _round(quantile(acc, 0.9), 1),
                _round(quantile(alert, 0.5), 1),
                _round(quantile(alert, 0.9), 1),
            ]
        )
    return header, rows


def summary_dict(result: BatchResult) -> dict:
    """``summary.json``: provenance plus, per metric, :func:`summarise` with unit and meaning."""
    metrics = {}
    for m in _metric_columns(result):
        unit, meaning = METRICS[m]
        metrics[m] = {**summarise(result.metrics[m]), "unit": unit, "meaning": meaning}
    out = {"provenance": dict(result.provenance), "metrics": metrics}
    if result.plan.protocol == "lockdown":
        out["lockdown"] = lockdown_headline(result)
    return out


#: rooms.csv column suffix of each cause of "never secured" (plan.codes.CAUSES)
CAUSE_COLUMNS = {
    CAUSE_AUDITED: "audited",
    CAUSE_SAMPLED: "sampled_fault",
    CAUSE_ATTEMPT: "lock_attempt_failed",
    CAUSE_ALERT: "not_alerted",
}


def lockdown_headline(result: BatchResult) -> dict:
    """The lockdown headline every output repeats: which rooms count, time to 95 % secured,
    "all secured" with the share of runs that reached it, and each room's never-secured share."""
    plan = result.plan
    M = n_securable(plan)
    t95 = summarise(result.metrics["time_95_secured_s"])
    tall = summarise(result.metrics["time_all_secured_s"])
    never = ~np.isfinite(result.room_secured_s)
    return {
        "rooms_to_secure": M,
        "rooms_for_95_percent": k95(M) if M else 0,
        "definition": SECURABLE_DEFINITION,
        "time_95_secured_median_s": t95["median"],
        "time_95_secured_p90_s": t95["p90"],
        "all_secured_share_of_runs": 1.0 - tall["share_never"],
        "all_secured_median_when_reached_s": tall["median_when_reached"],
        "room_never_secured_share": {
            plan.room_id(m): round(float(never[:, m].mean()), 3) for m in range(plan.n_rooms)
        },
    }


def exposure_table(result: BatchResult, loaded: LoadedScenario) -> tuple[list[str], list[list]]:
    """``exposure.csv``: per space, person-seconds unsecured in or next to the hazard zone.

    Over the detail runs: median, p90 and mean of the space's exposure, and the share of runs in
    which anyone was exposed there. Spaces never exposed in any run are left out.
    """
    x = result.space_exposure_s.astype(np.float64)
    header = [
        "space",
        "label",
        "kind",
        "median_person_s",
        "p90_person_s",
        "mean_person_s",
        "share_runs_exposed",
    ]
    rows = []
    plan, fp = result.plan, loaded.floorplan
    for s, sid in enumerate(plan.space_ids):
        col = x[:, s]
        if not col.any():
            continue
        rows.append(
            [
                sid,
                str(fp.space(sid)["label"]),
                plan.space_kind[s],
                round(float(np.median(col)), 3),
                round(float(np.quantile(col, 0.9)), 3),
                round(float(col.mean()), 3),
                round(float((col > 0).mean()), 4),
            ]
        )
    rows.sort(key=lambda r: (-r[5], r[0]))
    return header, rows


def queue_table(result: BatchResult, loaded: LoadedScenario) -> tuple[list[str], list[list]]:
    """``queues.csv`` of an evacuation: one row per server (a leg of the routes walked one way).

    Where the queue forms (``queue_in``), where the leg leads, the connection, what limits its
    capacity and the capacity, how many people's routes pass it, and the largest number of people
    waiting there at once (median, p90, max over the batch's detail runs) as both engines record
    it per run (``server_max_queue``). Rows by median largest queue, longest first.
    """
    plan = result.plan
    net = plan.evac_net
    q = result.server_max_queue.astype(float)
    ids = plan.space_ids
    conns = loaded.floorplan.connections()
    header = [
        "queue_in", "towards", "connection", "limited_by", "capacity_pps", "people",
        "median_max_queue", "p90_max_queue", "max_max_queue",
    ]  # fmt: skip
    rows: list[list] = []
    if q.shape[0] == 0 or q.shape[1] != net.n_servers:
        return header, rows
    for k in range(net.n_servers):
        rows.append(
            [
                ids[int(net.src[k])],
                ids[int(net.dst[k])],
                str(conns[int(net.conn[k])][2]["id"]),
                net.limit[k],
                _round(1.0 / float(net.service_s[k]), 3),
                int((net.row_seg[net.rows(k)] < plan.n_persons).sum()),  # planned routes
                _round(quantile(q[:, k], 0.5), 1),
                _round(quantile(q[:, k], 0.9), 1),
                int(q[:, k].max()),
            ]
        )
    rows.sort(key=lambda r: (-r[6], r[0], r[1]))
    return header, rows
