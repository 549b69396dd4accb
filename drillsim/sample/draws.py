"""Sample every random input of a batch of runs, in named streams and fixed-size run chunks.

Each (stream, chunk) pair has its own child ``SeedSequence`` (``spawn_key=(stream, chunk)``), so:

* run *r* gets the same numbers whatever the batch size, the worker count or the backend
  (chunk ``r // CHUNK_RUNS`` is always drawn whole, then sliced);
* changing one quantity (e.g. the protocol, or a door's hardware) leaves the other streams untouched;
* every value is a uniform number mapped through the distribution's inverse CDF, so two scenarios
  with the same people get *common random numbers* and their difference is measured paired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drillsim.plan.codes import COND_PROPPED
from drillsim.plan.compile import LOCK_NAMES, Plan
from drillsim.runaxis import RunArrays
from drillsim.scenario.model import Scenario

#: Runs per chunk. Fixed forever: changing it changes which numbers a run gets.
CHUNK_RUNS = 256

#: Stream name -> stable id in the SeedSequence spawn key. Never renumber; only append.
STREAMS = {
    "alert": 1,
    "app": 2,
    "reaction": 3,
    "speed": 4,
    "stair_speed": 5,
    "premovement": 6,
    "hold": 7,
    "safe_zone": 8,
    "lock_time": 9,
    "lock_fail": 10,
    "sro": 11,
    "latch": 12,
    # -- lockdown (issue 8): audited doors and substitutes --
    "prop": 13,
    "substitute": 14,
    # -- protocols/hazard (issue 9) --
    "hazard": 15,  # one uniform per run: the hazard zone's walking speed
    "barricade": 16,  # options-based response: barricade time, one column per space
    # -- inform (issue 9 item 4) --
    "inform": 17,  # fire alarm rule follow: column 0 the share, then one column per space
}

#: Columns of the ``alert`` stream and of the ``sro`` stream (one uniform each per run).
ALERT_COLUMNS = ("detection", "pa", "app", "radio", "word_of_mouth", "central")
SRO_COLUMNS = ("reaction", "response_speed", "sweep_speed", "door_check", "law_enforcement")


@dataclass(frozen=True)
class Draws(RunArrays):
    """Random inputs of ``n_runs`` runs. Every array's first axis is the run."""

    first_run: int
    detection_s: np.ndarray  # (R,)
    pa_latency_s: np.ndarray  # (R,)
    app_latency_s: np.ndarray  # (R,)
    radio_latency_s: np.ndarray  # (R,)
    wom_hop_s: np.ndarray  # (R,)
    central_latency_s: np.ndarray  # (R,)
    app_delivered: np.ndarray  # (R, P) bool
    reaction_s: np.ndarray  # (R, P)
    speed_mps: np.ndarray  # (R, P)
    stair_speed_mps: np.ndarray  # (R, P)
    premovement_s: np.ndarray  # (R, P)
    hold_s: np.ndarray  # (R, M)
    safe_zone_s: np.ndarray  # (R, M)
    lock_time_s: np.ndarray  # (R, D)
    lock_attempts: np.ndarray  # (R, D) float: attempts made (each takes lock_time_s)
    lock_failed: np.ndarray  # (R, D) bool: every attempt failed (the door stays unlocked)
    latch_fault: np.ndarray  # (R, D) bool: the door does not latch although "locked"
    sro_reaction_s: np.ndarray  # (R,)
    sro_speed_mps: np.ndarray  # (R,)
    sro_sweep_speed_mps: np.ndarray  # (R,)
    sro_door_check_s: np.ndarray  # (R,)
    le_arrival_s: np.ndarray  # (R,)
    # -- lockdown (issue 8): audited doors and substitutes --
    prop_release_s: np.ndarray  # (R, D) time to free a door audited as propped (0 elsewhere)
    room_substitute: np.ndarray  # (R, M) bool: the room is taught by a substitute in this run
    # -- protocols/hazard (issue 9) --
    hazard_speed_mps: np.ndarray  # (R,) walking speed of the scripted hazard zone (1 if scripted)
    ext_lock_time_s: np.ndarray  # (R, X) lock time of each exterior door (0 central, inf none)
    barricade_s: np.ndarray  # (R, M) options: time to barricade a locked room
    # -- inform (issue 9 item 4) --
    fire_follow_share: np.ndarray  # (R,) share of rooms following the fire alarm (rule follow)
    fire_follow_u: np.ndarray  # (R, M) room follows when this uniform < the share (1: never)

    @property
    def n_runs(self) -> int:
        return int(self.detection_s.shape[0])


def _uniforms(seed: int, stream: str, chunk: int, width: int) -> np.ndarray:
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(STREAMS[stream], chunk))
    return np.random.Generator(np.random.PCG64(ss)).random((CHUNK_RUNS, width))


def sample_chunk(plan: Plan, scenario: Scenario, seed: int, chunk: int) -> Draws:
    """Draw every random input of the ``CHUNK_RUNS`` runs of chunk ``chunk``."""
    b, ch, sro = scenario.behaviour, scenario.alert.channels, scenario.sro
    P, D = plan.n_persons, plan.n_doors
    role = plan.person_role

    # Only the people whose value the protocol uses are transformed (the rest stay nan); the
    # uniforms are drawn in full either way, so which values a person gets never depends on it.
    need = _needed(plan)

    def per_person(stream: str, student, teacher, staff, which: str) -> np.ndarray:
        out = np.full((CHUNK_RUNS, P), np.nan)
        if not need[which].any():
            return out  # a stream the protocol never reads is not drawn at all
        u = _uniforms(seed, stream, chunk, P)
        for code, dist in ((0, student), (1, teacher), (2, staff)):
            cols = (role == code) & need[which]
            if cols.any():
                out[:, cols] = dist.ppf(u[:, cols])
        return out

    ua = _uniforms(seed, "alert", chunk, len(ALERT_COLUMNS))
    col = {name: ua[:, i] for i, name in enumerate(ALERT_COLUMNS)}
    inf = np.full(CHUNK_RUNS, np.inf)
    band = scenario.population.student_age_band
    u_app = _uniforms(seed, "app", chunk, P) if ch.app else None
    # Room- and door-level streams have one column per floorplan space / connection, so a
    # room's or door's numbers do not depend on which other rooms have an adult in them.
    S, E = plan.n_spaces, plan.n_connections
    uh = _uniforms(seed, "hold", chunk, S)[:, plan.room_space]
    usz = _uniforms(seed, "safe_zone", chunk, S)[:, plan.room_space]
    ul = _uniforms(seed, "lock_time", chunk, E)[:, plan.door_conn]
    uf = _uniforms(seed, "lock_fail", chunk, E)[:, plan.door_conn]
    usro = _uniforms(seed, "sro", chunk, len(SRO_COLUMNS))

    lock_time = np.zeros((CHUNK_RUNS, D))
    attempts = np.ones((CHUNK_RUNS, D))
    lock_failed = np.zeros((CHUNK_RUNS, D), dtype=bool)
    latch = _uniforms(seed, "latch", chunk, E)[:, plan.door_conn] < b.latch_fault_probability
    for code in np.unique(plan.door_lock):
        name = LOCK_NAMES[int(code)]
        cols = plan.door_lock == code
        if name == "none":
            lock_time[:, cols] = np.inf
            latch[:, cols] = False
            continue
        lock_time[:, cols] = b.lock_time_s[name].ppf(ul[:, cols])
        tries = 1 if name == "central" else b.max_lock_attempts
        failures = failed_attempts(uf[:, cols], b.lock_failure_probability[name])
        lock_failed[:, cols] = failures >= tries
        attempts[:, cols] = np.minimum(failures + 1.0, tries)

    draws = Draws(
        first_run=chunk * CHUNK_RUNS,
        detection_s=scenario.incident.detection_delay_s.ppf(col["detection"]),
        pa_latency_s=ch.pa.latency_s.ppf(col["pa"]) if ch.pa else inf,
        app_latency_s=ch.app.latency_s.ppf(col["app"]) if ch.app else inf,
        radio_latency_s=ch.radio.latency_s.ppf(col["radio"]) if ch.radio else inf,
        wom_hop_s=ch.word_of_mouth.hop_delay_s.ppf(col["word_of_mouth"])
        if ch.word_of_mouth
        else inf,
        central_latency_s=b.lock_time_s["central"].ppf(col["central"]),
        app_delivered=(u_app < ch.app.delivery_probability) & plan.app_recipient
        if ch.app
        else np.zeros((CHUNK_RUNS, P), dtype=bool),
        reaction_s=per_person(
            "reaction", b.student_reaction_s, b.adult_reaction_s, b.adult_reaction_s, "reaction"
        ),
        speed_mps=per_person(
            "speed", b.student_speed_mps[band], b.adult_speed_mps, b.adult_speed_mps, "speed"
        ),
        stair_speed_mps=per_person(
            "stair_speed",
            b.student_stair_speed_mps[band],
            b.adult_stair_speed_mps,
            b.adult_stair_speed_mps,
            "speed",
        ),
        premovement_s=per_person(
            "premovement", b.premovement_s, b.premovement_s, b.premovement_s, "premovement"
        ),
        hold_s=b.hallway_recovery_s.ppf(uh),
        safe_zone_s=b.safe_zone_move_s.ppf(usz),
        lock_time_s=lock_time,
        lock_attempts=attempts,
        lock_failed=lock_failed,
        latch_fault=latch,
        sro_reaction_s=sro.reaction_s.ppf(usro[:, 0]),
        sro_speed_mps=sro.response_speed_mps.ppf(usro[:, 1]),
        sro_sweep_speed_mps=sro.sweep_speed_mps.ppf(usro[:, 2]),
        sro_door_check_s=sro.door_check_s.ppf(usro[:, 3]),
        le_arrival_s=sro.law_enforcement_arrival_s.ppf(usro[:, 4]),
        **_lockdown_draws(plan, scenario, seed, chunk),
        **_protocol_draws(plan, scenario, seed, chunk),
        **_inform_draws(plan, scenario, seed, chunk),
    )
    return _evacuation_groups(draws, plan, scenario, seed, chunk, need)


# ---- evacuation groups (issue 7) --------------------------------------------------------------
# Groups of spaces with their own pre-movement / speed distributions. They reuse the *same*
# uniforms of the existing per-person streams (premovement, speed, stair_speed), only mapped
# through the group's distribution, so every other value and the common random numbers of the
# same people across scenarios stay unchanged.
def _evacuation_groups(
    d: Draws, plan: Plan, scenario: Scenario, seed: int, chunk: int, need: dict
) -> Draws:
    groups = scenario.evacuation.groups
    if not groups:
        return d
    from dataclasses import replace

    ids = {s: i for i, s in enumerate(plan.space_ids)}
    out = {
        "premovement_s": d.premovement_s.copy(),
        "speed_mps": d.speed_mps.copy(),
        "stair_speed_mps": d.stair_speed_mps.copy(),
    }
    streams = {
        "premovement_s": "premovement",
        "speed_mps": "speed",
        "stair_speed_mps": "stair_speed",
    }
    needs = {"premovement_s": "premovement", "speed_mps": "speed", "stair_speed_mps": "speed"}
    for gi, g in enumerate(groups):
        # the group's spaces, plus roster people who name it (population.roster, group column)
        members = np.isin(plan.person_space, [ids[s] for s in g.spaces]) | (
            plan.person_group == gi
        )
        for name, stream in streams.items():
            dist = getattr(g, name)
            cols = members & need[needs[name]]
            if dist is None or not cols.any():
                continue
            u = _uniforms(seed, stream, chunk, plan.n_persons)
            out[name][:, cols] = dist.ppf(u[:, cols])
    return replace(d, **out)


# -- lockdown (issue 8): audited doors and substitutes ----------------------------------------
def _lockdown_draws(plan: Plan, scenario: Scenario, seed: int, chunk: int) -> dict[str, np.ndarray]:
    """Prop-release times of doors audited as propped, and which rooms have a substitute.

    Per-connection and per-space columns (like the other door and room streams), so a door's or
    room's numbers do not depend on the rest of the plan. Nothing is drawn when no door is
    propped or no substitute share is set, so scenarios without them keep every other number.
    """
    D, M = plan.n_doors, plan.n_rooms
    prop = np.zeros((CHUNK_RUNS, D))
    propped = plan.door_condition == COND_PROPPED
    if propped.any():
        up = _uniforms(seed, "prop", chunk, plan.n_connections)[:, plan.door_conn]
        prop[:, propped] = scenario.lockdown.prop_release_s.ppf(up[:, propped])
    sub = np.broadcast_to(plan.room_substitute, (CHUNK_RUNS, M)).copy()
    if plan.substitute_share > 0.0:
        us = _uniforms(seed, "substitute", chunk, plan.n_spaces)[:, plan.room_space]
        sub |= us < plan.substitute_share
    return {"prop_release_s": prop, "room_substitute": sub}


# -- protocols/hazard (issue 9) ---------------------------------------------------------------
# New draws only; the streams above are untouched, so adding a hazard zone or switching to Hold,
# Secure or Shelter leaves every other number of every run unchanged (common random numbers).
def _protocol_draws(plan: Plan, scenario: Scenario, seed: int, chunk: int) -> dict:
    """Hazard-zone speed (stream ``hazard``), exterior-door lock times, barricade times.

    Exterior doors read the ``lock_time`` stream at their own connection column, so a door that
    is both a room door and an exterior door gets the same lock time in both roles.
    """
    zone = scenario.hazard.zone
    uz = _uniforms(seed, "hazard", chunk, 1)[:, 0]
    speed = zone.walk.speed_mps.ppf(uz) if zone is not None and zone.walk is not None else None
    X = plan.ext_conn.shape[0]
    ext = np.zeros((CHUNK_RUNS, X))
    if X:
        ul = _uniforms(seed, "lock_time", chunk, plan.n_connections)[:, plan.ext_conn]
        b = scenario.behaviour
        for x in range(X):
            name = LOCK_NAMES[int(plan.ext_lock[x])]
            if name == "none":
                ext[:, x] = np.inf
            elif name != "central":
                ext[:, x] = b.lock_time_s[name].ppf(ul[:, x])
    if plan.protocol == "options":
        ub = _uniforms(seed, "barricade", chunk, plan.n_spaces)[:, plan.room_space]
        barricade = scenario.options.barricade_s.ppf(ub)
    else:
        barricade = np.zeros((CHUNK_RUNS, plan.n_rooms))
    return {
        "hazard_speed_mps": speed if speed is not None else np.ones(CHUNK_RUNS),
        "ext_lock_time_s": ext,
        "barricade_s": barricade,
    }


# -- inform (issue 9 item 4) ------------------------------------------------------------------
def _inform_draws(plan: Plan, scenario: Scenario, seed: int, chunk: int) -> dict:
    """Which rooms follow a fire alarm under rule ``follow`` (stream ``inform``; nothing drawn
    otherwise): one share per run (``follow_share``, clipped to [0, 1]) and one uniform per room
    (per-space columns, like the other room streams); room m follows when ``u[m] < share``."""
    fa = scenario.inform.fire_alarm
    share = np.zeros(CHUNK_RUNS)
    u = np.ones((CHUNK_RUNS, plan.n_rooms))
    if fa is not None and fa.rule == "follow" and plan.inform_active:
        w = _uniforms(seed, "inform", chunk, 1 + plan.n_spaces)
        share = np.clip(fa.follow_share.ppf(w[:, 0]), 0.0, 1.0)
        u = w[:, 1:][:, plan.room_space]
    return {"fire_follow_share": share, "fire_follow_u": u}


def failed_attempts(u: np.ndarray, p: float) -> np.ndarray:
    """Failed attempts before the first success, by inverse CDF of the geometric distribution.

    Each attempt fails independently with probability ``p``; one uniform per door and run keeps
    common random numbers (a worse lock type fails at least as often on the same uniform).
    """
    if p <= 0.0:
        return np.zeros_like(u)
    if p >= 1.0:
        return np.full_like(u, np.inf)
    with np.errstate(divide="ignore"):
        return np.floor(np.log1p(-u) / np.log(p))


def _needed(plan: Plan) -> dict[str, np.ndarray]:
    """Which people's reaction / speed / pre-movement values the protocol reads."""
    P = plan.n_persons
    none = np.zeros(P, dtype=bool)
    if plan.protocol in (
        "hold",
        "secure",
        "shelter",
        "options",
    ):  # issue 9: every person may act or move
        every = np.ones(P, dtype=bool)
        return {"reaction": every, "speed": every, "premovement": every}
    if plan.protocol == "lockdown" and plan.inform_active:  # issue 9: rooms may be sent out
        every = np.ones(P, dtype=bool)
        return {"reaction": every, "speed": every, "premovement": every}
    if plan.protocol == "lockdown":
        actors = none.copy()
        actors[plan.room_adult] = True
        actors[plan.mover] = True
        movers = none.copy()
        movers[plan.mover] = True
        return {"reaction": actors, "speed": movers, "premovement": none}
    leaders = none.copy()
    leaders[plan.person_leader] = True
    return {"reaction": none, "speed": np.ones(P, dtype=bool), "premovement": leaders}


def sample(plan: Plan, scenario: Scenario, seed: int, n_runs: int, first_run: int = 0) -> Draws:
    """Draws of runs ``first_run .. first_run + n_runs - 1`` of the batch seeded ``seed``."""
    if n_runs <= 0:
        raise ValueError(f"n_runs must be positive, got {n_runs}")
    parts = []
    last = first_run + n_runs
    for chunk in range(first_run // CHUNK_RUNS, (last - 1) // CHUNK_RUNS + 1):
        d = sample_chunk(plan, scenario, seed, chunk)
        lo = max(first_run - chunk * CHUNK_RUNS, 0)
        hi = min(last - chunk * CHUNK_RUNS, CHUNK_RUNS)
        parts.append(d.slice(lo, hi))
    return parts[0] if len(parts) == 1 else Draws.concat(parts)
