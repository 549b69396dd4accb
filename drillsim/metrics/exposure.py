"""Exposure to the scripted hazard zone: person-seconds spent unsecured in or next to the zone.

A protective metric only: it counts time people were not yet secured (or out) near the zone, and
nothing else. Where a person is, over time, is reconstructed from the Outcomes and the Plan:

* before they start moving (``person_move_s``), and for the whole run if they never move or
  never arrive (other than locked out), they are in their start space;
* while moving, they pass the spaces of their path in order, each for a share of the move time
  proportional to its share of the path metres (door queueing is spread along the path);
* after arriving they are in the destination space.
* A person locked out (lockdown, options; ``person_lockout_s`` is set) walks from their start
  space past the rooms they tried to the space outside the last door (``plan.mover_lo_space``)
  between ``person_move_s`` and ``person_lockout_s`` (spread over those path metres), then
  stands there: up to the end (capped as below) if they stay locked out; an options person who
  left after being locked out stands there until ``person_reroute_s`` and then walks the leaving
  route of the zone row known then, between ``person_reroute_s`` and ``person_arrive_s``, and is
  at the exit after that (see :func:`_stop_times`).

Paths: evacuation follows the route forest (``next_hop``); a lockdown mover follows the shortest
paths via the candidate rooms tried up to the refuge (options: see :func:`_options_paths`); Hold,
Secure and Shelter movers take the shortest path to their room, inside space or shelter area.
Only unsecured time up to the scoring horizon counts (``min(person_safe_s, horizon_s)``).

A person whose refuge room was ordered out (inform) has a second unsecured interval: from
``person_unsafe_again_s`` they walk the room's posted route to the exit (reached at
``person_arrive2_s``, spread over the path metres as above) and stay at the exit until
``person_safe2_s`` (the assembly point); see :func:`second_interval_exposure`.
"""

from __future__ import annotations

import weakref
from collections import defaultdict

import numpy as np

from drillsim.engines.outcomes import Outcomes
from drillsim.plan.compile import Plan
from drillsim.plan.options import known_row


def _shortest(plan: Plan, a: int, b: int) -> list[int]:
    return plan.paths.walk(a, b)


def _via(plan: Plan, waypoints: list[int]) -> list[int]:
    path = [waypoints[0]]
    for w in waypoints[1:]:
        path += _shortest(plan, path[-1], w)[1:]
    return path


#: one way a person goes: (space path, (R,) bool mask of the runs, stop) where ``stop`` is None
#: for an ordinary walk, or the index in the path of the space outside the last door tried, where
#: a locked-out person stands (the path goes on from there only for someone who left afterwards)
Choice = tuple[list[int], np.ndarray, int | None]


def person_paths(plan: Plan, o: Outcomes) -> list[list[Choice]]:
    """Per person, the space paths they take and in which runs (an (R,) bool mask each), with
    the stop of a locked-out person (see :data:`Choice`).

    Only a lockdown mover's path varies between runs (through the refuge they got).
    """
    R = o.n_runs
    every = np.ones(R, dtype=bool)
    ps = plan.person_space
    out: list[list[Choice]] = [[([int(s)], every, None)] for s in ps]
    proto = plan.protocol
    if proto == "evacuate":
        for p in range(plan.n_persons):  # each space's compiled route (nearest/posted/balanced)
            path = [int(x) for x in plan.space_route[int(ps[p])]] or [int(ps[p])]
            out[p] = [(path, every, None)]
    elif proto == "lockdown":
        for j, p in enumerate(plan.mover):
            refuges = o.person_refuge[:, p]
            locked = o.person_locked_out[:, p]
            choices = []
            for ref in np.unique(refuges):
                if ref < 0:
                    stays = (refuges == ref) & ~locked  # never alerted: never moves
                    if stays.any():
                        choices.append(([int(ps[p])], stays, None))
                    if locked.any():  # outside the last door tried from the last refusal on
                        path = _lockout_path(plan, j, int(ps[p]))
                        choices.append((path, (refuges == ref) & locked, len(path) - 1))
                    continue
                way = [int(ps[p])]
                for m in plan.mover_cand[j]:
                    if m < 0:
                        break
                    way.append(int(plan.room_space[m]))
                    if int(m) == int(ref):
                        break
                choices.append((_via(plan, way), refuges == ref, None))
            out[p] = choices
    elif proto == "options":
        out = _options_paths(plan, o, out)
    elif proto == "hold":
        for j, p in enumerate(plan.hold_mover):
            m = int(plan.hold_target[j])
            if m >= 0:
                out[p] = [(_shortest(plan, int(ps[p]), int(plan.room_space[m])), every, None)]
    elif proto == "secure":
        for j, p in enumerate(plan.in_mover):
            t = int(plan.in_target[j])
            if t >= 0:
                out[p] = [(_shortest(plan, int(ps[p]), t), every, None)]
    elif proto == "shelter":
        for p in range(plan.n_persons):
            a = int(plan.shelter_space[int(plan.person_shelter[p])])
            out[p] = [(_shortest(plan, int(ps[p]), a), every, None)]
    return out


def _route(plan: Plan, row: int, s: int) -> list[int]:
    path = [s]
    while plan.opt_route_next[row, path[-1]] >= 0:
        path.append(int(plan.opt_route_next[row, path[-1]]))
    return path


def _options_paths(plan: Plan, o: Outcomes, out: list) -> list:
    """Options: leavers take their space's leaving route; lockdown movers go as in lockdown and,
    when their refuge room left, on with that room's route; a locked-out mover passes the rooms
    they tried up to the space outside the last one and stands there, and one who left afterwards
    (at ``person_reroute_s``) goes on by the leaving route of the zone row known then."""
    ps = plan.person_space
    rows = known_row(o.hazard_step_s, o.space_alert_s)
    # locked-out movers: -2 stays locked out, row >= 0 left at person_reroute_s (row known then)
    lo_rows = np.where(
        np.isnan(o.person_reroute_s),
        np.where(o.person_locked_out, -2, -1),
        known_row(o.hazard_step_s, o.person_reroute_s),
    )
    mover_j = {int(p): j for j, p in enumerate(plan.mover)}
    by_space: dict[int, list] = {}  # people who stay or leave from their space share choices
    for p in range(plan.n_persons):
        s = int(ps[p])
        if p not in mover_j and s in by_space:
            out[p] = by_space[s]
            continue
        leave = (o.space_decision[:, s] == 1).astype(np.int64)
        ref = o.person_refuge[:, p] if p in mover_j else np.full(o.n_runs, -1)
        lo = lo_rows[:, p] if p in mover_j else np.full(o.n_runs, -1)
        keys = np.stack([leave, rows[:, s], ref, lo], axis=1)
        choices: list[Choice] = []
        for key in np.unique(keys, axis=0):
            mask = np.all(keys == key, axis=1)
            lv, row, m, lo_row = bool(key[0]), int(key[1]), int(key[2]), int(key[3])
            if lv:
                path = _route(plan, row, s)
            elif lo_row != -1:  # every room tried, outside the last door, maybe out from there
                j = mover_j[p]
                path = _lockout_path(plan, j, s)
                stop = len(path) - 1
                if lo_row >= 0:
                    path = path + _route(plan, lo_row, int(plan.mover_lo_space[j]))[1:]
                choices.append((path, mask, stop))
                continue
            elif p in mover_j and m >= 0:
                path = _via(plan, _waypoints(plan, mover_j[p], s, m))
                rs = int(plan.room_space[m])
                left = o.space_decision[:, rs] == 1
                if np.any(left & mask):  # joined a room that left: on with its route
                    rrow = rows[:, rs]
                    for rr in np.unique(rrow[left & mask]):
                        sub = mask & left & (rrow == rr)
                        choices.append((path + _route(plan, int(rr), rs)[1:], sub, None))
                    mask = mask & ~left
                    if not mask.any():
                        continue
            else:
                path = [s]
            choices.append((path, mask, None))
        out[p] = choices
        if p not in mover_j:
            by_space[s] = choices
    return out


def _lockout_path(plan: Plan, j: int, s: int) -> list[int]:
    """Mover ``j``'s walk when locked out: from start space ``s`` past every candidate room but
    the last, to the space outside the last one's door (``plan.mover_lo_space``)."""
    here = int(plan.mover_lo_space[j])
    way = _waypoints(plan, j, s, -1)
    return _via(plan, [*way[:-1], here]) if len(way) > 1 else [s]


def _waypoints(plan: Plan, j: int, s: int, m: int) -> list[int]:
    """Start space, then the candidate rooms tried up to refuge ``m``."""
    way = [s]
    for c in plan.mover_cand[j]:
        if c < 0:
            break
        way.append(int(plan.room_space[c]))
        if int(c) == m:
            break
    return way


def _path_fractions(plan: Plan, path: list[int]) -> np.ndarray:
    """Cumulative share of path metres at each node (0 ... 1)."""
    if len(path) == 1:
        return np.zeros(1)
    legs = [plan.paths.metres(a, b) for a, b in zip(path[:-1], path[1:], strict=True)]
    cum = np.concatenate([[0.0], np.cumsum(legs)])
    return cum / cum[-1] if cum[-1] > 0 else np.linspace(0.0, 1.0, len(path))


#: the last (plan, outcomes) -> result, by weak reference: a chunk's scoring and its per-space
#: table both ask for the same chunk's exposure, and it is the costliest step of the reduction
_LAST: list = [None, None, None]


def exposure(plan: Plan, o: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    """Unsecured person-seconds in or next to the hazard zone.

    The result of the last call is kept (by weak reference to ``plan`` and ``o``, which are
    immutable) so that asking twice for the same chunk computes it once; treat it as read-only.

    Returns
    -------
    by_person : (R, P) seconds per person
    by_space : (R, S) seconds per space where they were spent
    """
    p_ref, o_ref, last = _LAST
    if p_ref is not None and p_ref() is plan and o_ref() is o:
        return last
    result = _exposure(plan, o)
    _LAST[:] = [weakref.ref(plan), weakref.ref(o), result]
    return result


def _exposure(plan: Plan, o: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    R, P, S = o.n_runs, plan.n_persons, plan.n_spaces
    by_person = np.zeros((R, P))
    by_space = np.zeros((R, S))
    start = o.hazard_step_s  # (R, K)
    end = np.concatenate([start[:, 1:], np.full((R, 1), np.inf)], axis=1)
    near = plan.hazard_step_near  # (K, S)
    cap = np.minimum(o.person_safe_s, plan.horizon_s)
    # (path, stop) -> person -> runs in which that person goes so (masks of one person merged)
    groups: dict[tuple[tuple[int, ...], int | None], dict[int, np.ndarray]] = defaultdict(dict)
    for p, choices in enumerate(person_paths(plan, o)):
        for path, mask, stop in choices:
            have = groups[(tuple(path), stop)]
            have[p] = have[p] | mask if p in have else mask
    for (path, stop), by_p in groups.items():
        members = list(by_p.items())
        if not near[:, list(path)].any():
            continue
        cols = np.array([p for p, _ in members])
        weight = np.stack([mask for _, mask in members], axis=1)  # (R, c)
        m, a = o.person_move_s[:, cols], o.person_arrive_s[:, cols]
        L = len(path) - 1
        if stop is None:
            moving = np.isfinite(m) & np.isfinite(a)
            f = _path_fractions(plan, list(path))
            with np.errstate(invalid="ignore"):
                at = [np.where(moving, m + (a - m) * fi, np.inf) for fi in f]
        else:
            at = _stop_times(plan, o, list(path), stop, cols)
        for i, n in enumerate(path):
            if not near[:, n].any():
                continue
            lo = np.zeros(m.shape) if i == 0 else at[i]
            hi = at[i + 1] if i < L else np.full(m.shape, np.inf)
            hi = np.minimum(hi, cap[:, cols])
            dur = np.zeros(m.shape)
            for k in np.flatnonzero(near[:, n]):
                with np.errstate(invalid="ignore"):
                    span = np.minimum(hi, end[:, k : k + 1]) - np.maximum(lo, start[:, k : k + 1])
                dur = dur + np.where(span > 0, span, 0.0)
            dur = np.where(weight, dur, 0.0)
            by_person[:, cols] += dur  # a person appears once per path group
            by_space[:, n] += dur.sum(axis=1)
    second_interval_exposure(plan, o, by_person, by_space)
    return by_person, by_space


def _stop_times(
    plan: Plan, o: Outcomes, path: list[int], stop: int, cols: np.ndarray
) -> list[np.ndarray]:
    """When a locked-out person reaches each space of ``path`` ((R, c) per space; the first
    entry is unused: the start space counts from 0).

    ``path[: stop + 1]`` is walked between ``person_move_s`` and ``person_lockout_s`` (shares of
    those metres), ``path[stop]`` is where they stand; the rest, the leaving route of someone who
    left afterwards, is walked between ``person_reroute_s`` and ``person_arrive_s``. Someone who
    stays locked out has no rest (``stop`` is the last space) and stands there to the end.
    """
    m, t1 = o.person_move_s[:, cols], o.person_lockout_s[:, cols]
    t2, a = o.person_reroute_s[:, cols], o.person_arrive_s[:, cols]
    with np.errstate(invalid="ignore"):
        at = [m + (t1 - m) * fi for fi in _path_fractions(plan, path[: stop + 1])]
        at += [t2 + (a - t2) * fi for fi in _path_fractions(plan, path[stop:])[1:]]
    return [np.where(np.isnan(x), np.inf, x) for x in at]


def _exit_path(plan: Plan, s: int) -> list[int]:
    """The evacuation route a room ordered out walks (the room's ``space_route``)."""
    return [int(x) for x in plan.space_route[s]] or [s]


def second_interval_exposure(
    plan: Plan, o: Outcomes, by_person: np.ndarray, by_space: np.ndarray
) -> None:
    """Add exposure of the second unsecured interval (inform orders out) in place."""
    again = o.person_unsafe_again_s
    if np.isnan(again).all():
        return
    start = o.hazard_step_s
    end = np.concatenate([start[:, 1:], np.full((o.n_runs, 1), np.inf)], axis=1)
    near = plan.hazard_step_near
    cap = np.minimum(np.where(np.isnan(o.person_safe2_s), 0.0, o.person_safe2_s), plan.horizon_s)
    ref = o.person_refuge
    for m in np.unique(ref[~np.isnan(again)]):
        path = _exit_path(plan, int(plan.room_space[int(m)]))
        if not near[:, path].any():
            continue
        sel = (ref == m) & ~np.isnan(again)
        cols = np.flatnonzero(sel.any(axis=0))
        w = sel[:, cols]
        d0, a2 = again[:, cols], o.person_arrive2_s[:, cols]
        f = _path_fractions(plan, path)
        with np.errstate(invalid="ignore"):
            at = [np.where(w, d0 + (a2 - d0) * fi, np.inf) for fi in f]
        L = len(path) - 1
        for i, n in enumerate(path):
            if not near[:, n].any():
                continue
            lo = at[i] if i else np.where(w, d0, np.inf)
            hi = np.minimum(at[i + 1] if i < L else np.full(d0.shape, np.inf), cap[:, cols])
            dur = np.zeros(d0.shape)
            for k in np.flatnonzero(near[:, n]):
                with np.errstate(invalid="ignore"):
                    span = np.minimum(hi, end[:, k : k + 1]) - np.maximum(lo, start[:, k : k + 1])
                dur = dur + np.where(w & (span > 0), span, 0.0)
            by_person[:, cols] += dur
            by_space[:, n] += dur.sum(axis=1)
