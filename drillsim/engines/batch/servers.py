"""The FIFO server network in the batch engine: every person of every run through every leg at once.

API (reusable by any protocol that walks people through :class:`~drillsim.plan.servers.ServerNet`):
:func:`traverse` takes each person's start time at the first leg and returns the time each one ends
its route, the time spent queueing and the departure time of every row.

Each server is a contiguous slice of rows (persons ascending). Its arrivals are gathered from the
previous leg's departures plus the walk (``dep + (level/speed + stair/stair_speed)``, the same
floats as the reference engine), sorted by (time, person), and its departures are the closed form
of the headway recursion ``d_n = max(a_n, d_{n-1} + h)``: ``n*h + cummax_j(a_j - j*h)``.

Servers are processed block by block in route order. A block of several servers is a cycle of
legs; it starts with every arrival from inside the block at +inf ("not yet arrived") and is swept
until no departure changes. Each sweep makes at least every event up to one more minimal
(service + walk) step past the previous one exact, so the sweep terminates, and a state no sweep
changes is the one causal solution the reference engine's event order produces.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from drillsim.plan.servers import ServerNet

#: A person who leaves a server within this many seconds of arriving did not queue (max_queue).
QUEUE_TOLERANCE_S = 1e-9
#: Safety bound on sweeps of one cycle block (each sweep fixes at least one more event).
MAX_SWEEPS = 100_000


class Passage(NamedTuple):
    """What :func:`traverse` returns (person-major / row-major arrays, runs on axis 1)."""

    end: np.ndarray  # (P, R) time each person reaches the end of its route, s
    wait: np.ndarray  # (P, R) seconds queued, summed over the person's legs in walking order
    arr: np.ndarray  # (N, R) arrival of every row at its server, s
    dep: np.ndarray  # (N, R) departure of every row from its server, s


def traverse(
    net: ServerNet,
    start: np.ndarray,
    speed: np.ndarray,
    stair_speed: np.ndarray,
    keep_arrivals: bool = False,
) -> Passage:
    """Walk every person's route through the servers, all runs at once.

    Parameters
    ----------
    net : ServerNet
        The compiled network.
    start : (P, R) ndarray
        Time each person reaches the first leg of its route (person-major), s.
    speed, stair_speed : (P, R) ndarray
        Level and stair walking speeds, m/s.
    keep_arrivals : bool
        Also return every row's arrival time (``Passage.arr``, else None), e.g. for
        :func:`max_queue`.

    Returns
    -------
    Passage
        ``end`` (``start`` for people with no leg), ``wait``, and per row ``arr`` and ``dep``.
        A person's wait is ``end - start - walking time`` (0 if never alerted): the same sum as
        the reference engine's per-leg waits up to float rounding (~1e-13 s).
    """
    N, R = net.n_rows, start.shape[1]
    dep = np.empty((N, R))
    arr = np.empty((N, R)) if keep_arrivals else None
    who_all = net.row_person
    first = net.row_prev < 0
    row_server = net.server_of_rows()
    # walking time of every row's leg, in the reference engine's float order
    walk = (
        net.leg_level[row_server][:, None] / speed[who_all]
        + net.leg_stair[row_server][:, None] / stair_speed[who_all]
    )
    for block in net.blocks:
        if block.size == 1:
            _serve(net, int(block[0]), start, arr, dep, first, walk)
            continue
        for k in block:
            dep[net.rows(int(k))] = np.inf
        for _ in range(MAX_SWEEPS):
            before = np.concatenate([dep[net.rows(int(k))] for k in block])
            for k in block:
                _serve(net, int(k), start, arr, dep, first, walk)
            after = np.concatenate([dep[net.rows(int(k))] for k in block])
            if np.array_equal(before, after, equal_nan=True):
                break
        else:  # pragma: no cover - bounded by the number of events
            raise RuntimeError("server cycle did not reach a fixed point")
    end = start.copy()
    rows = net.person_rows
    has_leg = rows[:, 0] >= 0
    if has_leg.any():
        n_legs = (rows >= 0).sum(axis=1)
        r = rows[has_leg, n_legs[has_leg] - 1]
        end[has_leg] = dep[r] + walk[r]
    # walking time of each whole route (level and stair metres summed per person)
    P = start.shape[0]
    lvl = np.bincount(who_all, weights=net.leg_level[row_server], minlength=P)[:, None]
    stl = np.bincount(who_all, weights=net.leg_stair[row_server], minlength=P)[:, None]
    with np.errstate(invalid="ignore"):
        wait = np.where(np.isfinite(start), (end - start) - (lvl / speed + stl / stair_speed), 0.0)
        wait = np.maximum(wait, 0.0)  # rounding can leave -1e-13 where nobody queued
    return Passage(end, wait, arr, dep)


def _serve(net, k, start, arr, dep, first, walk) -> None:
    """Arrivals and FIFO departures of server ``k`` (rows in place)."""
    sl = net.rows(k)
    who = net.row_person[sl]
    prev = net.row_prev[sl]
    isfirst = first[sl]
    if isfirst.all():
        a = start[who]
    elif not isfirst.any():
        a = dep[prev] + walk[prev]
    else:
        a = np.empty((who.size, start.shape[1]))
        a[isfirst] = start[who[isfirst]]
        pr = prev[~isfirst]
        a[~isfirst] = dep[pr] + walk[pr]
    h = net.service_s[k]
    if who.size == 1:
        d = a
    elif net.weighted[k]:
        d = _fifo_weighted(a, h, net.person_weight[who])
    elif np.all(a[1:] >= a[:-1]):  # already in queue order (e.g. a class leaving its room)
        n = np.arange(who.size, dtype=np.float64)[:, None]
        d = n * h + np.maximum.accumulate(a - n * h, axis=0)
    else:
        d = _fifo_unsorted(a, h)
    dep[sl] = d
    if arr is not None:
        arr[sl] = a


def _fifo_unsorted(a: np.ndarray, h: float) -> np.ndarray:
    """Headway departures of arrivals ``a`` (n, R) in any order; ties served in row order.

    Sorts each run (run-major, contiguous) with the fast unstable sort and redoes, with a stable
    sort, only the runs in which equal arrival times make the order ambiguous.
    """
    at = np.ascontiguousarray(a.T)  # (R, n)
    order = np.argsort(at, axis=1)
    sv = np.take_along_axis(at, order, axis=1)
    # ties among people who never arrive (inf) do not matter: they all leave at inf
    tied = ((sv[:, 1:] == sv[:, :-1]) & np.isfinite(sv[:, 1:])).any(axis=1)
    if tied.any():
        order[tied] = np.argsort(at[tied], axis=1, kind="stable")
        sv[tied] = np.take_along_axis(at[tied], order[tied], axis=1)
    n = np.arange(a.shape[0], dtype=np.float64)[None, :]
    dsorted = n * h + np.maximum.accumulate(sv - n * h, axis=1)
    dt = np.empty_like(at)
    np.put_along_axis(dt, order, dsorted, axis=1)
    return dt.T


def _fifo_weighted(a: np.ndarray, h: float, w: np.ndarray) -> np.ndarray:
    """Headway departures where person i holds the server ``w_i * h`` (rows in person order).

    ``c_n = h * sum_{i<n} w_i`` over the service order (by time, ties in row order), then
    ``d_n = c_n + max_{j<=n}(a_j - c_j)``; the weight sums are sequential, as the reference
    engine adds them.
    """
    at = np.ascontiguousarray(a.T)  # (R, n)
    order = np.argsort(at, axis=1, kind="stable")
    sv = np.take_along_axis(at, order, axis=1)
    ws = w[order]  # (R, n) weights in service order
    c = np.zeros_like(sv)
    np.cumsum(ws[:, :-1], axis=1, out=c[:, 1:])
    c = c * h
    dsorted = c + np.maximum.accumulate(sv - c, axis=1)
    dt = np.empty_like(at)
    np.put_along_axis(dt, order, dsorted, axis=1)
    return dt.T


def max_queue(net: ServerNet, arr: np.ndarray, dep: np.ndarray) -> np.ndarray:
    """(R, K) largest number of people waiting at each server at once.

    Just after the n-th arrival (in service order) the queue holds every earlier-or-same arrival
    that has not left yet: ``#{j <= n : d_j > a_n}``, i.e. arrivals so far minus departures so
    far, a departure at the very instant of an arrival counting as gone. People who never arrive
    (inf) are not counted, nor waits up to ``QUEUE_TOLERANCE_S`` (float rounding of evenly spaced
    arrivals). Computed per server as one sort of arrival and departure events per run: each time
    (arrivals >= 0; departures minus the tolerance, clamped at 0, which keeps every comparison
    with an arrival) becomes its IEEE bit pattern, monotone for non-negative floats, shifted left
    with a tag bit (0 departure, 1 arrival) so that ties put departures first; the running count
    (+1 arrival, -1 departure) at the arrivals gives the queue. Exact: no float is rounded.
    """
    R = arr.shape[1]
    out = np.zeros((R, net.n_servers))
    for k in range(net.n_servers):
        sl = net.rows(k)
        if sl.stop == sl.start:
            continue
        a, d = arr[sl], dep[sl]
        gone = d - QUEUE_TOLERANCE_S
        with np.errstate(invalid="ignore"):
            if np.all((gone <= a) | ~np.isfinite(a)):
                continue  # nobody waited longer than the tolerance
        out[:, k] = _largest_queue(a, gone)
    return out


def _largest_queue(a: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """(R,) max over arrivals of (arrivals - departures so far), ``a``/``gone`` (n, R), a >= 0."""
    n = a.shape[0]
    keys = np.empty((a.shape[1], 2 * n), dtype=np.uint64)
    # + 0.0 turns -0.0 into 0.0; inf keeps the largest pattern (inf arrivals sort last)
    keys[:, :n] = (np.maximum(gone, 0.0) + 0.0).T.view(np.uint64) << np.uint64(1)
    keys[:, n:] = ((a + 0.0).T.view(np.uint64) << np.uint64(1)) | np.uint64(1)
    keys.sort(axis=1)
    tag = (keys & np.uint64(1)).astype(np.int64)
    count = np.cumsum(2 * tag - 1, axis=1)
    # inf arrivals come after every departure (inf departures first): count <= 0 there
    return np.where(tag == 1, count, 0).max(axis=1)
