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
#: A person's total queue time at most this many float64 ulps of their arrival time counts as 0:
#: below the resolution of the times it is computed from (both engines).
WAIT_ULPS = 8
#: Safety bound on sweeps of one cycle block (each sweep fixes at least one more event).
MAX_SWEEPS = 100_000


class Passage(NamedTuple):
    """What :func:`traverse` returns (person-major / row-major arrays, runs on axis 1)."""

    end: np.ndarray  # (P, R) time each person reaches the end of its route, s
    wait: np.ndarray  # (P, R) seconds queued, summed over the person's legs in walking order
    arr: np.ndarray | None  # (N, R) arrival of every row at its server, s (keep_arrivals)
    dep: np.ndarray  # (N, R) departure of every row from its server, s
    max_queue: np.ndarray | None = None  # (R, K) int32 largest queue per server (queues=True)


def traverse(
    net: ServerNet,
    start: np.ndarray,
    speed: np.ndarray,
    stair_speed: np.ndarray,
    keep_arrivals: bool = False,
    queues: bool = False,
    speeds: np.ndarray | None = None,
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
        Also return every row's arrival time (``Passage.arr``, else None).
    queues : bool
        Also return the largest queue at every server in every run (``Passage.max_queue``, the
        integers :func:`max_queue` gives), computed while each server's arrivals and departures
        are at hand and already in service order.
    speeds : (2P, R) ndarray, optional
        ``speed`` stacked over ``stair_speed``, when the caller holds them that way (``speed``
        and ``stair_speed`` its two halves); saves stacking them again.

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
    q = np.zeros((R, net.n_servers), dtype=np.int32) if queues else None
    who_all = net.row_person
    first = net.row_prev < 0
    row_server = net.server_of_rows()
    walk = _row_walk(net, row_server, speed, stair_speed, speeds)
    for block in net.blocks:
        if block.size == 1:
            _serve(net, int(block[0]), start, arr, dep, first, walk, q)
            continue
        fixed_point(
            net, block, dep, lambda k: _serve(net, k, start, arr, dep, first, walk, None)
        )
        if q is not None:  # one more sweep at the fixed point changes nothing; it counts queues
            for k in block:
                _serve(net, int(k), start, arr, dep, first, walk, q)
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
        wait = np.subtract(end, start)
        walked = np.divide(lvl, speed)
        walked += stl / stair_speed
        wait -= walked
        np.maximum(wait, 0.0, out=wait)  # rounding can leave -1e-13 where nobody queued
        # a wait within the clock's resolution at that time is rounding, not queueing (at 1.7e7 s
        # one ulp is 3.7e-9 s); the reference engine snaps its per-leg sum the same way
        wait[wait <= WAIT_ULPS * np.spacing(np.abs(end))] = 0.0
        wait[~np.isfinite(start)] = 0.0  # never alerted: no wait
    return Passage(end, wait, arr, dep, q)


def fixed_point(net: ServerNet, block: np.ndarray, dep: np.ndarray, serve) -> None:
    """Serve the servers of a cycle (``block``) again and again until no departure changes.

    Departures start at inf (nobody has left), and each sweep can only bring them earlier, so the
    sweeps reach the fixed point the reference engine's event order gives. ``serve(k)`` serves
    server ``k`` in place. Shared by :func:`traverse` and the later-blockage walk (``reroute``).
    """
    for k in block:
        dep[net.rows(int(k))] = np.inf
    for _ in range(MAX_SWEEPS):
        before = np.concatenate([dep[net.rows(int(k))] for k in block])
        for k in block:
            serve(int(k))
        after = np.concatenate([dep[net.rows(int(k))] for k in block])
        if np.array_equal(before, after, equal_nan=True):
            return
    raise RuntimeError("server cycle did not reach a fixed point")  # pragma: no cover


def _row_walk(
    net: ServerNet,
    row_server: np.ndarray,
    speed: np.ndarray,
    stair_speed: np.ndarray,
    speeds: np.ndarray | None = None,
) -> np.ndarray:
    """(N, R) walking time of every row's leg: ``level/speed + stair/stair_speed``, s.

    A leg is either level or stair metres (never both), so where every speed is positive the
    other term is exactly +0.0 and the sum is the one division: one gather from the stacked
    speeds instead of two gathers, two divisions and an add, the same floats.
    """
    level = net.leg_level[row_server]
    stair = net.leg_stair[row_server]
    who = net.row_person
    if not ((level == 0) | (stair == 0)).all() or not (
        (speed > 0).all() and (stair_speed > 0).all()
    ):
        return level[:, None] / speed[who] + stair[:, None] / stair_speed[who]
    on_stair = stair != 0
    both = np.concatenate((speed, stair_speed)) if speeds is None else speeds  # (2P, R)
    idx = np.where(on_stair, who + speed.shape[0], who)
    metres = np.where(on_stair, stair, level)[:, None]
    g = both[idx]
    return np.divide(metres, g, out=g)


def _serve(net, k, start, arr, dep, first, walk, q) -> None:
    """Arrivals and FIFO departures of server ``k`` (rows in place); its largest queues into
    ``q[:, k]`` when ``q`` is given."""
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
    if arr is not None:
        arr[sl] = a
    h = net.service_s[k]
    n = who.size
    if n == 1:  # nobody to wait for
        dep[sl] = a
        return
    if net.weighted[k]:
        d, sa, sd = _fifo_weighted_sorted(a, h, net.person_weight[who])
        dep[sl] = d
    elif np.all(a[1:] >= a[:-1]):  # already in queue order (e.g. a class leaving its room)
        nh = np.arange(n, dtype=np.float64)[:, None] * h
        d = dep[sl]
        np.subtract(a, nh, out=d)
        np.maximum.accumulate(d, axis=0, out=d)
        np.add(nh, d, out=d)
        if q is not None and np.array_equal(a[0], a[-1]):
            # the whole group arrives at once in every run (a class leaving its room together):
            # the queue is everyone but those gone by then (none is a nan: nan != nan)
            q[:, k] = np.maximum(n - (d - QUEUE_TOLERANCE_S <= a[0]).sum(axis=0), 0)
            return
        sa, sd = a.T, d.T  # (R, n) views, in service order
    else:
        d, sa, sd = _fifo_sorted(a, h)
        dep[sl] = d
    if q is not None:
        q[:, k] = _queue_sorted(sa, sd)


def _service_order(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Service order of arrivals ``a`` (n, R): by time, ties in row order, per run.

    Returns ``at`` (R, n) the arrivals run-major, ``flat`` (R, n) the flat index into ``at`` of
    the i-th person served in each run, and ``sv`` (R, n) their arrival times.

    An argsort is ~5x slower than numpy's SIMD sort of uint64, so each run sorts keys made of
    the arrival's IEEE bit pattern (monotone for non-negative floats) with its lowest
    ``bit_length(n - 1)`` mantissa bits replaced by the row index, and reads the order from the
    low bits. That order is by (time truncated to ~1e-13 relative, row). It is then checked
    exactly: a permutation is sorted by (time, row) iff every adjacent pair is. The runs where
    the check fails (two times closer than the truncation in reverse row order, a nan, a -0.0)
    are sorted again with the stable argsort, so the result is always the stable order.
    """
    at = np.ascontiguousarray(a.T)  # (R, n)
    R, n = at.shape
    low = np.uint64((1 << max(int(n - 1).bit_length(), 1)) - 1)
    keys = at.view(np.uint64) & ~low
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort(axis=1)
    keys &= low
    order = keys.view(np.int64)
    flat = order + np.arange(0, R * n, n, dtype=np.int64)[:, None]
    sv = at.ravel().take(flat)
    prev, nxt = sv[:, :-1], sv[:, 1:]
    ok = prev < nxt
    ok |= (prev == nxt) & (order[:, :-1] < order[:, 1:])
    bad = ~ok.all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        flat[rows] = np.argsort(at[rows], axis=1, kind="stable") + (rows * n)[:, None]
        sv[rows] = at.ravel().take(flat[rows])
    return at, flat, sv


def _fifo_sorted(a: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Headway departures of arrivals ``a`` (n, R) in any order; ties served in row order.

    Returns the departures (n, R) in row order, and the arrivals and departures (R, n) in
    service order.
    """
    at, flat, sv = _service_order(a)
    nh = np.arange(a.shape[0], dtype=np.float64)[None, :] * h
    dsorted = np.subtract(sv, nh)
    np.maximum.accumulate(dsorted, axis=1, out=dsorted)
    np.add(nh, dsorted, out=dsorted)
    dt = np.empty_like(at)
    dt.ravel()[flat] = dsorted
    return dt.T, sv, dsorted


def _fifo_unsorted(a: np.ndarray, h: float) -> np.ndarray:
    """Headway departures (n, R) of arrivals ``a`` (n, R) in any order; ties in row order."""
    return _fifo_sorted(a, h)[0]


def _fifo_weighted_sorted(
    a: np.ndarray, h: float, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_fifo_weighted`, plus the arrivals and departures (R, n) in service order."""
    at, flat, sv = _service_order(a)
    n = a.shape[0]
    ws = w[flat % n]  # (R, n) weights in service order
    c = np.zeros_like(sv)
    np.cumsum(ws[:, :-1], axis=1, out=c[:, 1:])
    c = c * h
    dsorted = c + np.maximum.accumulate(sv - c, axis=1)
    dt = np.empty_like(at)
    dt.ravel()[flat] = dsorted
    return dt.T, sv, dsorted


def _fifo_weighted(a: np.ndarray, h: float, w: np.ndarray) -> np.ndarray:
    """Headway departures where person i holds the server ``w_i * h`` (rows in person order).

    ``c_n = h * sum_{i<n} w_i`` over the service order (by time, ties in row order), then
    ``d_n = c_n + max_{j<=n}(a_j - c_j)``; the weight sums are sequential, as the reference
    engine adds them.
    """
    return _fifo_weighted_sorted(a, h, w)[0]


def max_queue(net: ServerNet, arr: np.ndarray, dep: np.ndarray) -> np.ndarray:
    """(R, K) largest number of people waiting at each server at once.

    Just after the n-th arrival (in service order) the queue holds every earlier-or-same arrival
    that has not left yet: ``#{j <= n : d_j > a_n}``, i.e. arrivals so far minus departures so
    far, a departure at the very instant of an arrival counting as gone. People who never arrive
    (inf) are not counted, nor waits up to ``QUEUE_TOLERANCE_S`` (float rounding of evenly spaced
    arrivals). See :func:`_queue_sorted`; :func:`traverse` with ``queues=True`` gives the same
    integers without a second sort of the arrivals.
    """
    R = arr.shape[1]
    out = np.zeros((R, net.n_servers))
    for k in range(net.n_servers):
        sl = net.rows(k)
        if sl.stop == sl.start:
            continue
        out[:, k] = _queue_sorted(arr[sl].T, dep[sl].T)
    return out


def _queue_sorted(a: np.ndarray, d: np.ndarray) -> np.ndarray | int:
    """(R,) largest queue from arrivals ``a`` and departures ``d`` (R, n) of the same people.

    The queue just after an arrival is (arrivals so far) - (departures so far, ``d`` minus the
    tolerance, a departure at the same instant first); its maximum over the events, at least 0.
    Computed per run as one sort of the events: each time (arrivals >= 0; departures minus the
    tolerance, clamped at 0, which keeps every comparison with an arrival) becomes its IEEE bit
    pattern, monotone for non-negative floats, shifted left with a tag bit (0 departure, 1
    arrival) so that ties put departures first. After the sort, with ``A_i`` the arrivals among
    the first ``i + 1`` events, the queue is ``A_i - (i + 1 - A_i)``. Exact: no float is rounded.
    The keys are built in place in one (R, 2n) buffer; numpy's default (SIMD) sort of uint64 is
    about 3x faster here than the stable sort, even though both halves are already ascending.
    Returns 0 when nobody waited longer than the tolerance.
    """
    R, n = a.shape
    keys = np.empty((R, 2 * n), dtype=np.uint64)
    kf = keys.view(np.float64)
    gone, arrive = kf[:, :n], kf[:, n:]
    np.subtract(d, QUEUE_TOLERANCE_S, out=gone)
    if np.all(gone <= a):  # nobody waited (a nan fails this and takes the full count)
        return 0
    # + 0.0 turns -0.0 into 0.0; inf keeps the largest pattern (inf arrivals sort last)
    np.maximum(gone, 0.0, out=gone)
    gone += 0.0
    np.add(a, 0.0, out=arrive)
    keys <<= np.uint64(1)
    keys[:, n:] |= np.uint64(1)
    keys.sort(axis=1)
    count = keys.view(np.int64)
    count &= 1
    np.cumsum(count, axis=1, out=count)
    count <<= 1
    count -= np.arange(1, 2 * n + 1, dtype=np.int64)
    # inf arrivals come after every departure (inf departures first): count <= 0 there
    return np.maximum(count.max(axis=1), 0)
