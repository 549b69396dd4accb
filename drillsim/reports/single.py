"""Files for one run: event log, per-room and per-person outcomes, summary, timeline, map."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from drillsim.metrics.intervals import final_safe_s
from drillsim.metrics.score import METRICS, score
from drillsim.plan.compile import REASON_NAMES
from drillsim.reports.figures import mark_sensitive
from drillsim.reports.locks import room_lock_names
from drillsim.reports.staging import write_csv, write_json
from drillsim.run.batch import provenance
from drillsim.run.single import SingleRun

FOOTER = "SENSITIVE SECURITY INFORMATION — fictional or planning data; handle per district policy"
_ROLES = {0: "student", 1: "teacher", 2: "staff"}
ROOM_COLUMNS = [
    "room",
    "label",
    "kind",
    "floor",
    "door_locks",
    "responsible_adult",
    "occupants_t0",
    "alert_s",
    "door_closed_s",
    "locked_s",
    "secured_s",
    "outcome",
    "key_outside_exposure_s",
    "sro_check_s",
]
PEOPLE_COLUMNS = [
    "person",
    "role",
    "start_space",
    "alert_s",
    "moves_s",
    "arrives_s",
    "safe_s",
    "refuge_room",
    "locked_out",
    "door_queue_s",
    "unsafe_again_s",  # inform: leaves the refuge on an order (blank: stays)
    "safe_again_s",  # inform: at the assembly point after leaving (blank: stays)
    "locked_out_s",  # lockdown/options: refused at the last room tried (blank: never locked out)
]


def _num(x: float) -> str:
    """CSV cell for a time: 'inf' for never, '' for not applicable, else 6 decimals."""
    x = float(x)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf"
    return f"{x:.6f}"


def write_single_outputs(run: SingleRun, out: Path) -> list[Path]:
    """Write every single-run output into ``out`` (the caller stages the folder)."""
    plan, o, fp = run.plan, run.outcomes, run.loaded.floorplan
    paths = []

    events = [
        (_num(t), who, role, event, space) for t, who, role, event, space in run.log.sorted_rows()
    ]
    paths.append(
        write_csv(out / "events.csv", ["time_s", "person", "role", "event", "space"], events)
    )

    rooms = []
    for m in range(plan.n_rooms):
        s = int(plan.room_space[m])
        attrs = fp.space(plan.space_ids[s])
        rooms.append(
            [
                plan.space_ids[s],
                attrs["label"],
                attrs["kind"],
                attrs["floor"],
                "+".join(room_lock_names(plan, m)),
                int(plan.room_adult[m]),
                int((plan.person_room == m).sum()),
                _num(o.space_alert_s[0, s]),
                _num(o.room_lock_start_s[0, m]),
                _num(o.room_locked_s[0, m]),
                _num(o.room_secured_s[0, m]),
                REASON_NAMES.get(int(o.room_reason[0, m]), "n/a"),
                _num(o.room_key_outside_s[0, m]),
                _num(o.room_checked_s[0, m]),
            ]
        )
    paths.append(write_csv(out / "rooms.csv", ROOM_COLUMNS, rooms))

    people = []
    for i in range(plan.n_persons):
        m = int(o.person_refuge[0, i])
        people.append(
            [
                i,
                _ROLES[int(plan.person_role[i])],
                plan.space_ids[int(plan.person_space[i])],
                _num(o.person_alert_s[0, i]),
                _num(o.person_move_s[0, i]),
                _num(o.person_arrive_s[0, i]),
                _num(o.person_safe_s[0, i]),
                plan.room_id(m) if m >= 0 else "",
                int(o.person_locked_out[0, i]),
                _num(o.person_queue_s[0, i]),
                _num(o.person_unsafe_again_s[0, i]),
                _num(o.person_safe2_s[0, i]),
                _num(o.person_lockout_s[0, i]),
            ]
        )
    paths.append(write_csv(out / "people.csv", PEOPLE_COLUMNS, people))

    metrics = {k: float(v[0]) for k, v in score(plan, o).items()}
    p = out / "summary.json"
    write_json(
        p,
        {
            "provenance": {
                **provenance(run.loaded, plan, run.seed, "reference", 1),
                "run_index": run.run_index,
            },
            "metrics": {
                k: {"value": v, "unit": METRICS[k][0], "meaning": METRICS[k][1]}
                for k, v in metrics.items()
            },
            "people": plan.n_persons,
            "rooms_to_secure": plan.n_rooms,
            "sensitive": FOOTER,
        },
    )
    paths.append(p)

    fig = timeline_figure(run)
    p = out / "timeline.png"
    fig.savefig(p, dpi=150, metadata={"Software": None})
    paths.append(p)

    fig = secured_map_figure(run)
    p = out / ("secured_map.png" if plan.protocol == "lockdown" else "alert_map.png")
    fig.savefig(p, dpi=150, metadata={"Software": None})
    paths.append(p)
    return paths


def timeline_figure(run: SingleRun) -> Figure:
    """Rooms secured and people unsecured over time, with the alert marked."""
    plan, o = run.plan, run.outcomes
    safe = np.sort(final_safe_s(o)[0])  # inform: the end of a second unsecured interval
    first_alert = float(np.min(o.space_alert_s[0]))
    finite_safe = safe[np.isfinite(safe)]
    end = max(
        plan.horizon_s
        if not finite_safe.size
        else min(plan.horizon_s, float(finite_safe.max()) * 1.15 + 10),
        first_alert + 10,
    )
    t = np.linspace(0, end, 600)
    again = np.where(np.isnan(o.person_unsafe_again_s[0]), np.inf, o.person_unsafe_again_s[0])
    unsecured = (o.person_safe_s[0][None, :] > t[:, None]).sum(axis=1) + (
        (again[None, :] <= t[:, None]) & (o.person_safe2_s[0][None, :] > t[:, None])
    ).sum(axis=1)
    lockdown = plan.protocol == "lockdown"
    fig = Figure(figsize=(9, 6.5 if lockdown else 4.2), layout="constrained")
    axes = fig.subplots(2 if lockdown else 1, 1, sharex=True, squeeze=False)[:, 0]
    title = f"{plan.name} — seed {run.seed}, run {run.run_index}"
    fig.suptitle(title, fontsize=11)
    if lockdown:
        sec = o.room_secured_s[0]
        secured = (sec[None, :] <= t[:, None]).sum(axis=1)
        gone = np.maximum(np.nan_to_num(o.room_left_s[0], nan=np.inf), sec)  # inform: left
        secured = secured - (gone[None, :] <= t[:, None]).sum(axis=1)
        ax = axes[0]
        ax.step(t, secured, where="post", color="#1b7837")
        ax.axhline(plan.n_rooms, color="grey", lw=0.8, ls=":")
        never = int(np.isinf(sec).sum())
        ax.set_ylabel("rooms secured")
        ax.set_title(
            f"{plan.n_rooms} rooms to secure; {never} never secured in this run",
            fontsize=9,
            loc="left",
        )
    ax = axes[-1]
    ax.step(t, unsecured, where="post", color="#b2182b")
    ax.set_ylabel("people unsecured")
    ax.set_xlabel("time since incident / drill start (s)")
    for a in axes:
        a.axvline(first_alert, color="#2166ac", ls="--", lw=1)
        a.grid(alpha=0.3)
    axes[0].text(
        first_alert,
        axes[0].get_ylim()[1],
        " alert initiated",
        color="#2166ac",
        va="top",
        fontsize=8,
    )
    return mark_sensitive(fig, f"seed {run.seed}, run {run.run_index}")


def secured_map_figure(run: SingleRun) -> Figure:
    """The floorplan coloured by each room's secured time (lockdown) or alert time (evacuate)."""
    from drillsim.floorplan import draw_floorplan

    plan, o = run.plan, run.outcomes
    if plan.protocol == "lockdown":
        values = {plan.room_id(m): float(o.room_secured_s[0, m]) for m in range(plan.n_rooms)}
        label = "room secured (s)"
        title = f"{plan.name}: time each room was secured (seed {run.seed})"
    else:
        values = {
            sid: float(o.space_alert_s[0, i])
            for i, sid in enumerate(plan.space_ids)
            if plan.space_kind[i] != "exit"
        }
        label = "alert received (s)"
        title = f"{plan.name}: time each space was alerted (seed {run.seed})"
    fig = draw_floorplan(
        run.loaded.floorplan,
        values=values,
        value_label=label,
        title=title,
        highlight={plan.space_ids[plan.origin]: "#d62728"},
    )
    return mark_sensitive(fig, f"seed {run.seed}, run {run.run_index}")
