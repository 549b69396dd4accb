"""Later blockages in the batch engine: people switch route segments, exactly as the reference engine.

The rules are in :mod:`drillsim.plan.reroute`. Which segment each person walks, and from when,
depends on the queues, and the queues on who walks where; the batch engine iterates to a fixed
point: walk everyone through the servers with the current switches (a switched-from segment's
rows after the switch see no arrival, a switched-to segment starts at the decision time), decide
the switches again from the arrival and departure times, and repeat until the switches do not
change. The first iteration (no switch at all) is exact before the earliest blockage; each
iteration makes every decision up to at least one more minimal (headway, walk) step later exact,
because a decision at time t changes other people's times only from t on and their next decision
one walk later. So the iteration ends, at the causal solution the reference engine's event order
produces (differential tests ``test_batch_reproduces_reference_on_generated_schools``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from drillsim.engines.batch.servers import (
    WAIT_ULPS,
    _fifo_unsorted,
    _fifo_weighted,
    fixed_point,
)
from drillsim.plan.servers import ServerNet

#: Safety bound on the fixed-point iterations (each makes at least one more event exact).
MAX_ITERATIONS = 100_000


class Rerouted(NamedTuple):
    """What :func:`traverse_rerouting` returns (person-major / row-major arrays, runs on axis 1)."""

    end: np.ndarray  # (P, R) time each person reaches the end of the route walked, s
    wait: np.ndarray  # (P, R) seconds queued, over the legs walked
    arr: np.ndarray  # (N, R) arrival of every row at its server (inf: not walked), s
    dep: np.ndarray  # (N, R) departure of every row (a turned-back row: when it would pass)
    final: np.ndarray  # (P, R) segment each person ends on
    reroute_s: np.ndarray  # (P, R) time of the person's first switch (nan: none)


def traverse_rerouting(
    net: ServerNet, start: np.ndarray, speed: np.ndarray, stair_speed: np.ndarray
) -> Rerouted:
    """Walk every person through the servers, switching segments at later blockages.

    Parameters are those of :func:`drillsim.engines.batch.servers.traverse`.
    """
    P, R = start.shape
    G = net.seg_rows.shape[0]
    row_server = net.server_of_rows()
    who_all = net.row_person
    walk = (
        net.leg_level[row_server][:, None] / speed[who_all]
        + net.leg_stair[row_server][:, None] / stair_speed[who_all]
    )
    seg_start = np.full((G, R), np.inf)
    seg_start[:P] = start
    no_cut = net.seg_rows.shape[1] + 1
    cut = np.full((G, R), no_cut, dtype=np.int64)
    for _ in range(MAX_ITERATIONS):
        raw, arr, dep = _walk_all(net, seg_start, cut, walk)
        new_start, new_cut, final, reroute_s, leave = _decide(net, start, raw, dep, no_cut)
        if np.array_equal(new_start, seg_start) and np.array_equal(new_cut, cut):
            break
        seg_start, cut = new_start, new_cut
    else:  # pragma: no cover - bounded by the number of events
        raise RuntimeError("later blockages: the route switches did not reach a fixed point")
    n_legs = (net.seg_rows >= 0).sum(axis=1)
    last = np.where(n_legs > 0, net.seg_rows[np.arange(G), np.maximum(n_legs - 1, 0)], -1)
    lr = last[final]  # (P, R)
    runs = np.broadcast_to(np.arange(R), (P, R))
    with np.errstate(invalid="ignore"):
        end = np.where(
            lr >= 0,
            dep[np.maximum(lr, 0), runs] + walk[np.maximum(lr, 0), runs],
            seg_start[final, runs],
        )
        queued = np.where(np.isfinite(arr), leave - arr, 0.0)
    wait = np.zeros((P, R))
    np.add.at(wait, who_all, queued)
    with np.errstate(invalid="ignore"):  # as servers.traverse: below the clock's resolution is 0
        wait[wait <= WAIT_ULPS * np.spacing(np.abs(end))] = 0.0
    return Rerouted(end, wait, arr, dep, final, reroute_s)


def _walk_all(net: ServerNet, seg_start, cut, walk):
    """Arrivals (raw: before the switches cut them) and departures of every row."""
    N, R = net.n_rows, seg_start.shape[1]
    raw = np.full((N, R), np.inf)
    arr = np.full((N, R), np.inf)
    dep = np.full((N, R), np.inf)
    for block in net.blocks:
        if block.size == 1:
            _serve(net, int(block[0]), seg_start, cut, raw, arr, dep, walk)
            continue
        fixed_point(
            net, block, dep, lambda k: _serve(net, k, seg_start, cut, raw, arr, dep, walk)
        )
    return raw, arr, dep


def _serve(net: ServerNet, k, seg_start, cut, raw, arr, dep, walk) -> None:
    sl = net.rows(k)
    seg = net.row_seg[sl]
    prev = net.row_prev[sl]
    first = prev < 0
    a = np.empty((seg.size, seg_start.shape[1]))
    a[first] = seg_start[seg[first]]
    pr = prev[~first]
    a[~first] = dep[pr] + walk[pr]
    raw[sl] = a
    a = np.where(net.row_pos[sl][:, None] >= cut[seg], np.inf, a)
    h = net.service_s[k]
    finite = np.isfinite(a)
    if seg.size == 1 or not finite.any():
        d = a
    elif not finite.all() and (fin_rows := finite.any(axis=1)).sum() < seg.size:
        # rows no one walks in any run (segments not switched to) left out of the sort
        d = np.full_like(a, np.inf)
        sub = a[fin_rows]
        if net.weighted[k]:
            d[fin_rows] = _fifo_weighted(sub, h, net.person_weight[net.row_person[sl][fin_rows]])
        else:
            d[fin_rows] = _fifo_unsorted(sub, h) if sub.shape[0] > 1 else sub
    elif net.weighted[k]:
        d = _fifo_weighted(a, h, net.person_weight[net.row_person[sl]])
    else:
        d = _fifo_unsorted(a, h)
    arr[sl] = a
    dep[sl] = d


def _levels(net: ServerNet) -> list[np.ndarray]:
    """Segments grouped so that every segment comes after all segments that switch to it.

    A switch always goes to a later blockage state, so the longest chain of switches is at most
    the number of blockage times; a segment's level is the longest chain leading to it.
    """
    P = int(net.person_rows.shape[0])
    G = net.seg_rows.shape[0]
    g, _, _ = np.nonzero(net.child >= 0)
    c = net.child[net.child >= 0]
    level = np.zeros(G, dtype=np.int64)
    for _ in range(int(net.block_times.size) + 1):
        np.maximum.at(level, c, level[g] + 1)
    level[:P] = 0
    return [np.flatnonzero(level == x) for x in range(int(level.max(initial=0)) + 1)]


def _decide(net: ServerNet, start, raw, dep, no_cut):
    """The switches the rules make given these arrival and departure times (plan/reroute.py).

    Segments of one level at once (all runs): at each position, a switch on arrival where the
    way ahead is blocked by then, else a turn back where the space the leg leads into is blocked
    while the person queues. A person has one segment in use per run, so the writes never clash.
    """
    P, R = start.shape
    G = net.seg_rows.shape[0]
    times = net.block_times
    row_server = net.server_of_rows()
    seg_start = np.full((G, R), np.inf)
    seg_start[:P] = start
    cut = np.full((G, R), no_cut, dtype=np.int64)
    active = np.zeros((G, R), dtype=bool)
    active[:P] = True
    final = np.full((P, R), -1, dtype=np.int64)
    reroute_s = np.full((P, R), np.nan)
    leave = dep.copy()
    for segs in _levels(net):
        undecided = active[segs]  # (n, R)
        person = net.seg_person[segs]
        for i in range(net.seg_rows.shape[1]):
            r = net.seg_rows[segs, i]
            has = (r >= 0)[:, None] & undecided
            if not has.any():
                break
            rr = np.maximum(r, 0)
            a = np.where(has, raw[rr], np.inf)
            state = np.searchsorted(times, a, side="right")
            c = net.child[segs[:, None], i, state]
            sw = has & np.isfinite(a) & (c >= 0)
            if sw.any():
                x, run = np.nonzero(sw)
                cut[segs[x], run] = i
                seg_start[c[x, run], run] = a[x, run]
                active[c[x, run], run] = True
                p = person[x]
                reroute_s[p, run] = np.where(
                    np.isnan(reroute_s[p, run]), a[x, run], reroute_s[p, run]
                )
                undecided &= ~sw
            t_block = net.space_from[net.dst[row_server[rr]]][:, None]  # (n, 1)
            with np.errstate(invalid="ignore"):
                tb = has & undecided & (a < t_block) & (t_block <= dep[rr])
            if tb.any():  # queued at the server into the space when it is blocked: turn back
                x, run = np.nonzero(tb)
                t = t_block[x, 0]
                c2 = net.child[segs[x], i, np.searchsorted(times, t, side="right")]
                cut[segs[x], run] = i + 1
                seg_start[c2, run] = t
                active[c2, run] = True
                leave[rr[x], run] = t
                p = person[x]
                reroute_s[p, run] = np.where(np.isnan(reroute_s[p, run]), t, reroute_s[p, run])
                undecided &= ~tb
        x, run = np.nonzero(undecided)
        final[person[x], run] = segs[x]
    return seg_start, cut, final, reroute_s, leave
