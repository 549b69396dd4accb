"""Every number the briefing shows, computed from a batch (also written to ``briefing.json``)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, replace
from typing import Any

import networkx as nx
import numpy as np

from drillsim.engines.batch import space_alerts
from drillsim.floorplan import Floorplan
from drillsim.floorplan.audit import door_findings
from drillsim.metrics.score import n_securable
from drillsim.metrics.summary import quantile, summarise
from drillsim.plan.codes import CAUSES, REASON_CAUSE
from drillsim.plan.compile import REASON_NAMES, STAIR_WEIGHT, Plan
from drillsim.reports.figures import SENSITIVE
from drillsim.reports.locks import room_lock_names
from drillsim.run.batch import BatchResult
from drillsim.sample.draws import CHUNK_RUNS, sample
from drillsim.scenario.load import LoadedScenario

#: Spaces counted as "hallway" for locked-out risk (people start there outside any room).
HALLWAY_KINDS = ("corridor", "stair", "commons", "outdoor", "restroom", "cafeteria")


def _locks(plan: Plan, m: int) -> list[str]:
    return room_lock_names(plan, m) or ["none"]


def room_zones(plan: Plan, fp: Floorplan) -> dict[str, str]:
    """Room id -> the hallway (space label) its first door opens onto, for observer zones."""
    zones: dict[str, str] = {}
    g = fp.graph
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        zone = None
        for n in g.neighbors(rid):
            if g.edges[rid, n]["kind"] == "door" and fp.space(n)["kind"] in (
                "corridor",
                "commons",
                "outdoor",
                "stair",
                "cafeteria",
            ):
                zone = str(fp.space(n)["label"])
                break
        if zone is None:
            zone = next((str(fp.space(n)["label"]) for n in g.neighbors(rid)), "other")
        zones[rid] = zone
    return zones


def word_of_mouth_share(result: BatchResult, loaded: LoadedScenario) -> np.ndarray:
    """(S,) share of runs in which each space was alerted first by word of mouth.

    The formal channels (PA, app, radio, the initiator) are recomputed from the same draws without
    word of mouth; a space whose batch alert came earlier than that (or whose formal alert never
    came) was reached by word of mouth in that run.
    """
    plan = result.plan
    n = result.n_detail
    counts = np.zeros(plan.n_spaces)
    for lo in range(0, n, CHUNK_RUNS):  # chunk by chunk: person-level draws stay small
        draws = sample(plan, loaded.scenario, result.seed, min(CHUNK_RUNS, n - lo), first_run=lo)
        formal = space_alerts(plan, replace(draws, wom_hop_s=np.full(draws.n_runs, np.inf)))
        got = result.space_alert_s[lo : lo + draws.n_runs]
        # space_alert_s is float32: allow its rounding (a word-of-mouth lead is whole seconds)
        tol = 1e-5 * np.maximum(np.where(np.isfinite(formal), formal, 0.0), 1.0)
        counts += (np.isfinite(got) & (got < formal - tol)).sum(axis=0)
    return counts / max(n, 1)


def sro_route(plan: Plan, fp: Floorplan) -> list[str]:
    """Space ids on the SRO's (stair-weighted) shortest path from post to the drill origin."""
    if plan.sro_post < 0:
        return []
    return nx.shortest_path(
        fp.graph, plan.space_ids[plan.sro_post], plan.space_ids[plan.origin], weight=route_weight
    )


def route_weight(a: str, b: str, d: dict) -> float:
    """Edge weight of the SRO's routes: length, stairs counted :data:`STAIR_WEIGHT` times.

    Parameters
    ----------
    a, b : str
        The edge's end spaces (unused; the signature networkx expects).
    d : dict
        The edge's attributes (``length_m``, ``kind``).

    Returns
    -------
    float
        The stair-weighted length in metres.
    """
    return d["length_m"] * (STAIR_WEIGHT if d["kind"] == "stair" else 1.0)


def _path_metres(fp: Floorplan, path: list[str]) -> tuple[float, float]:
    level = stair = 0.0
    for a, b in zip(path[:-1], path[1:], strict=True):
        d = fp.graph.edges[a, b]
        if d["kind"] == "stair":
            stair += d["length_m"]
        else:
            level += d["length_m"]
    return level, stair


def briefing_stats(loaded: LoadedScenario, result: BatchResult) -> dict[str, Any]:
    """Every number the briefing shows, as plain Python values (also written to briefing.json)."""
    plan, fp = result.plan, loaded.floorplan
    lockdown = plan.protocol == "lockdown"
    metrics = {k: summarise(v) for k, v in result.metrics.items()}
    for k in ("rooms_secured_by_60s", "rooms_secured_by_120s", "rooms_secured_by_300s"):
        if k in result.metrics:
            metrics[k]["p10"] = quantile(result.metrics[k], 0.1)
    zones = room_zones(plan, fp)
    rooms = []
    for m in range(plan.n_rooms):
        rid = plan.room_id(m)
        attrs = fp.space(rid)
        sec = result.room_secured_s[:, m]
        never = np.isinf(sec) if lockdown else np.zeros(sec.shape, bool)
        reasons = Counter(int(r) for r in result.room_reason[never, m]) if lockdown else Counter()
        locks = _locks(plan, m)
        rooms.append(
            {
                "room": rid,
                "label": str(attrs["label"]),
                "floor": fp.floor_name(int(attrs["floor"])),
                "zone": zones[rid],
                "locks": locks,
                "pa": bool(attrs["pa"]),
                "occupants": int((plan.person_room == m).sum()),
                "alert_median_s": quantile(result.room_alert_s[:, m], 0.5),
                "alert_p90_s": quantile(result.room_alert_s[:, m], 0.9),
                "secured_median_s": quantile(sec, 0.5) if lockdown else math.nan,
                "secured_p90_s": quantile(sec, 0.9) if lockdown else math.nan,
                "locked_median_s": quantile(result.room_locked_s[:, m], 0.5)
                if lockdown
                else math.nan,
                "share_never": float(never.mean()),
                "main_reason": REASON_NAMES[reasons.most_common(1)[0][0]] if reasons else "",
                "never_by_cause": {
                    cause: float(
                        sum(n for code, n in reasons.items() if REASON_CAUSE.get(code) == cause)
                    )
                    / max(len(sec), 1)
                    for cause in CAUSES
                },
                "checked_median_s": quantile(result.room_checked_s[:, m], 0.5),
            }
        )
    wom = word_of_mouth_share(result, loaded)
    occupied = set(np.unique(plan.person_space).tolist())
    from_origin = plan.paths.hops([plan.origin])  # fewest connections from the origin
    coverage = []
    for s, sid in enumerate(plan.space_ids):
        kind = plan.space_kind[s]
        if kind == "exit":
            continue
        no_pa = not bool(plan.pa[s])
        # next to the origin, hearing it first from the person raising the alert is expected
        mostly_word = bool(wom[s] > 0.5 and s in occupied and from_origin[s] > 1)
        if no_pa or mostly_word:
            coverage.append(
                {
                    "space": sid,
                    "label": str(fp.space(sid)["label"]),
                    "kind": kind,
                    "pa": not no_pa,
                    "occupied": s in occupied,
                    "share_word_of_mouth": float(wom[s]),
                    "alert_median_s": quantile(result.space_alert_s[:, s], 0.5),
                    "alert_p90_s": quantile(result.space_alert_s[:, s], 0.9),
                }
            )
    locked_out = []
    for s, sid in enumerate(plan.space_ids):
        col = result.space_locked_out[:, s]
        if col.any():
            locked_out.append(
                {
                    "space": sid,
                    "label": str(fp.space(sid)["label"]),
                    "kind": plan.space_kind[s],
                    "share_runs": float((col > 0).mean()),
                    "mean_count": float(col.mean()),
                    "max_count": float(col.max()),
                }
            )
    locked_out.sort(key=lambda r: (-r["share_runs"], r["space"]))
    route = sro_route(plan, fp)
    level_m, stair_m = _path_metres(fp, route) if route else (math.nan, math.nan)
    sweep = []
    for k, m in enumerate(plan.sweep_rooms):
        rid = plan.room_id(int(m))
        sweep.append(
            {
                "order": k + 1,
                "room": rid,
                "label": str(fp.space(rid)["label"]),
                "leg_m": float(plan.sweep_leg_m[k]),
                "locks": _locks(plan, int(m)),
                "checked_median_s": quantile(result.room_checked_s[:, int(m)], 0.5),
            }
        )
    sweep_end = (
        result.metrics["sro_arrival_s"] + result.metrics["sweep_time_s"]
        if "sweep_time_s" in result.metrics
        else np.full(result.n_runs, np.nan)
    )
    keys = [r for r in rooms if any(lk in ("key_inside", "key_outside") for lk in r["locks"])]
    people = plan.n_persons
    evac: dict[str, Any] = {}
    if not lockdown:
        evac = evacuation_stats(loaded, result)
    return {
        "provenance": result.provenance,
        "protocol": plan.protocol,
        "mode": plan.mode,
        "people": people,
        "rooms_to_secure": n_securable(plan),
        "door_findings": [asdict(f) for f in door_findings(fp)],
        "origin": plan.space_ids[plan.origin],
        "origin_label": str(fp.space(plan.space_ids[plan.origin])["label"]),
        "metrics": metrics,
        "rooms": rooms,
        "coverage_gaps": coverage,
        "locked_out": locked_out,
        "sro": {
            "on_duty": plan.sro_on_duty,
            "post": plan.space_ids[plan.sro_post] if plan.sro_post >= 0 else None,
            "route": route,
            "route_level_m": level_m,
            "route_stair_m": stair_m,
            "arrival_median_s": metrics["sro_arrival_s"]["median"],
            "arrival_p90_s": metrics["sro_arrival_s"]["p90"],
            "sweep": sweep,
            "sweep_m": float(plan.sweep_leg_m.sum()),
            "sweep_end_median_s": quantile(sweep_end, 0.5),
            "sweep_end_p90_s": quantile(sweep_end, 0.9),
        },
        "keys": [{"room": r["room"], "label": r["label"], "locks": r["locks"]} for r in keys],
        "evacuation": evac,
        "sensitive": SENSITIVE,
    }


def expected_duration_min(stats: dict[str, Any]) -> int:
    """Minutes to plan for the drill itself (simulated p90 of its last step, rounded up)."""
    m = stats["metrics"]
    ends = [stats["sro"]["sweep_end_p90_s"]]
    for k in ("time_last_secured_s", "evacuation_time_s", "time_all_alerted_s"):
        if k in m:
            ends.append(m[k]["p90"])
    finite = [e for e in ends if math.isfinite(e)]
    return max(5, int(math.ceil(max(finite, default=300.0) / 60.0)))


def evacuation_stats(loaded: LoadedScenario, result: BatchResult) -> dict[str, Any]:
    """Exits (load, last person out), each room's route (exit, assembly, times), blockages."""
    plan, fp = result.plan, loaded.floorplan
    ids = plan.space_ids
    ev = loaded.scenario.evacuation
    planned = Counter(ids[e] for e in plan.person_exit if e >= 0)
    has = result.exit_last_s.size > 0
    # the exits people actually used, per run (they differ from the plan after a later blockage)
    used = {}
    if result.exit_people.size:
        for i in np.flatnonzero(result.exit_people.any(axis=0)):
            used[ids[int(i)]] = result.exit_people[:, int(i)].astype(float)

    def q(a: np.ndarray, p: float) -> float:
        return quantile(a, p) if a.size else float("nan")

    exit_rows = []
    for e in sorted(set(planned) | set(used)):
        i = ids.index(e)
        last = result.exit_last_s[:, i].astype(float) if has else np.array([])
        n = q(used[e], 0.5) if e in used else (0.0 if used else float(planned[e]))
        exit_rows.append(
            {
                "exit": e,
                "label": str(fp.space(e)["label"]),
                "people": round(n),
                "people_planned": planned.get(e, 0),
                "share": n / max(plan.n_persons, 1),
                "assembly_m": float(plan.assembly_m[i]),
                "assembly": plan.assembly_ids[int(plan.exit_assembly[i])]
                if plan.exit_assembly[i] >= 0
                else "",
                "last_out_median_s": q(last, 0.5),
                "last_out_p90_s": q(last, 0.9),
            }
        )
    rooms = []
    for s in np.unique(plan.person_space):
        route = [ids[x] for x in plan.space_route[int(s)]]
        alt = [ids[x] for x in plan.space_alternate[int(s)]]
        kind = plan.space_kind[int(s)]
        if kind not in ("classroom", "office", "library", "gym", "cafeteria"):
            continue  # classes and staff rooms; people in hallways are not a class
        out = result.space_out_s[:, int(s)].astype(float) if has else np.array([])
        acc = result.space_accounted_s[:, int(s)].astype(float) if has else np.array([])
        rooms.append(
            {
                "room": ids[int(s)],
                "label": str(fp.space(ids[int(s)])["label"]),
                "people": int((plan.person_space == s).sum()),
                "exit": route[-1] if route else "",
                "via": route[1:-1],
                "alternate": alt[-1] if alt else "",
                "rerouted": bool(plan.space_rerouted[int(s)]),
                "assembly": plan.assembly_ids[int(plan.space_assembly[int(s)])]
                if plan.space_assembly[int(s)] >= 0
                else "",
                "assembly_m": float(plan.space_assembly_m[int(s)]),
                "at_assembly_median_s": q(acc - plan.report_delay_s, 0.5),
                "at_assembly_p90_s": q(acc - plan.report_delay_s, 0.9),
                "out_median_s": q(out, 0.5),
                "out_p90_s": q(out, 0.9),
                "accounted_median_s": q(acc, 0.5),
                "accounted_p90_s": q(acc, 0.9),
            }
        )
    assisted = []
    for p in np.flatnonzero(plan.assist_helper >= 0):
        s = int(plan.person_space[p])
        out = result.space_out_s[:, s].astype(float) if has else np.array([])
        assisted.append(
            {
                "space": ids[s],
                "refuge": ids[int(plan.assist_refuge[p])],
                "helper_space": ids[int(plan.person_space[int(plan.assist_helper[p])])],
                "person_id": plan.person_id[p],  # roster id ("" unless from a roster)
                "helper_id": plan.person_id[int(plan.assist_helper[p])],
                "class_out_median_s": q(out, 0.5),
                "class_out_p90_s": q(out, 0.9),
            }
        )
    return {
        "queues": largest_queues(loaded, result),
        "assisted": assisted,
        "routing": ev.routing,
        "blocked": list(ev.blocked),
        # blockages that start later (space -> s) and the median people rerouted over the runs
        "blocked_later": {x: float(t) for x, t in ev.blocked_from.items()},
        "rerouted": int(np.median(result.metrics["rerouted_persons"]))
        if "rerouted_persons" in result.metrics
        else int(plan.person_rerouted.sum()),
        "report_delay_s": float(ev.report_delay_s),
        "exits": exit_rows,
        "rooms": rooms,
        "assembly_areas": assembly_area_rows(loaded, result),
        "avoid": list(plan.hazard_zone),
        "no_route": int((plan.person_exit < 0).sum()),
    }


def assembly_area_rows(loaded: LoadedScenario, result: BatchResult) -> list[dict[str, Any]]:
    """Per assembly area: the classes and people it receives, its capacity, and when its last
    class is accounted for (median / p90 over runs). Empty without assembly areas."""
    plan, fp = result.plan, loaded.floorplan
    has = result.space_accounted_s.size > 0
    rows = []
    for a, aid in enumerate(plan.assembly_ids):
        spaces = [int(s) for s in np.unique(plan.person_space) if plan.space_assembly[s] == a]
        people = int(np.isin(plan.person_space, spaces).sum())
        last = (
            result.space_accounted_s[:, spaces].astype(float).max(axis=1)
            if has and spaces
            else np.array([])
        )
        cap = int(fp.space(aid)["capacity"])
        rows.append(
            {
                "assembly": aid,
                "label": str(fp.space(aid)["label"]),
                "capacity": cap,
                "spaces": len(spaces),
                "people": people,
                "over_capacity": bool(cap and people > cap),
                "accounted_median_s": quantile(last, 0.5) if last.size else float("nan"),
                "accounted_p90_s": quantile(last, 0.9) if last.size else float("nan"),
            }
        )
    return rows


def largest_queues(loaded: LoadedScenario, result: BatchResult, top: int = 10) -> list[dict]:
    """The servers (legs) with the largest queues: most people waiting at once (median, p90).

    Both engines record each server's largest queue in every run (``server_max_queue``); the
    batch keeps it for its detail runs, so the figures cover those runs.
    """
    plan = result.plan
    net = plan.evac_net
    q = result.server_max_queue
    if net.n_servers == 0 or q.shape[0] == 0 or q.shape[1] != net.n_servers:
        return []
    ids = plan.space_ids
    conns = loaded.floorplan.connections()
    rows = []
    for k in range(net.n_servers):
        rows.append(
            {
                "queue_in": ids[int(net.src[k])],
                "towards": ids[int(net.dst[k])],
                "connection": str(conns[int(net.conn[k])][2]["id"]),
                "limited_by": net.limit[k],
                "capacity_pps": float(1.0 / net.service_s[k]),
                # whose planned route passes it (reroute rows of later blockages not counted)
                "people": int((net.row_seg[net.rows(k)] < plan.n_persons).sum()),
                "max_queue_median": float(np.median(q[:, k])),
                "max_queue_p90": float(np.quantile(q[:, k], 0.9)),
            }
        )
    rows.sort(key=lambda r: (-r["max_queue_median"], r["queue_in"]))
    return rows[:top]
