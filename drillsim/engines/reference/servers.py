"""The FIFO server network in the reference engine: one SimPy-driven server per directed leg.

API (reusable by any protocol that walks people through :class:`~drillsim.plan.servers.ServerNet`):
``servers = Network(run.env, net)`` once per run, then inside a person's process
``end, wait = yield from servers.walk(run, p, t)`` walks person ``p`` from time ``t`` along its
route and returns when it reaches the end (time ``end``), having queued ``wait`` seconds.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque

import simpy

from drillsim.engines.batch.servers import QUEUE_TOLERANCE_S, WAIT_ULPS
from drillsim.engines.reference.kernel import late, until
from drillsim.plan.servers import ServerNet


class HeadwayServer:
    """A FIFO server with headway ``h`` s/person: ``d_n = max(a_n, d_{n-1} + h)``.

    Same-instant arrivals are served in person order (they are collected and sorted after every
    ordinary event of that instant). The departure is evaluated in the closed form the batch engine
    uses, ``n*h + max_{j<=n}(a_j - j*h)``, so both engines compute the same floats.
    """

    def __init__(self, env: simpy.Environment, headway_s: float, weight=None):
        self.env = env
        self.h = headway_s
        self.weight = weight  # person -> flow weight (None: everyone 1)
        self.count = 0
        self.best = -math.inf
        self.pending: list[tuple[float, int, simpy.Event]] = []
        self.log: list[tuple[float, float]] = []  # (arrival, departure) in service order
        # people waiting (arrived, not yet left), by departure time; the largest count so far
        self.waiting: deque[float] = deque()
        self.max_queue = 0

    def arrive(self, a: float, person: int) -> simpy.Event:
        ev = self.env.event()
        if not self.pending:
            self.env.process(self._flush())
        self.pending.append((a, person, ev))
        return ev

    def _flush(self):
        yield late(self.env)
        batch, self.pending = sorted(self.pending, key=lambda x: (x[0], x[1])), []
        for a, person, ev in batch:
            self.best = max(self.best, a - self.count * self.h)
            d = self.count * self.h + self.best
            # a person of flow weight w holds the server for w headways (plan/servers.py)
            self.count += 1 if self.weight is None else float(self.weight[person])
            self.log.append((a, d))
            self._count_queue(a, d)
            ev.succeed(d)

    def _count_queue(self, a: float, d: float) -> None:
        """Queue length just after an arrival at ``a`` (leaving at ``d``): everyone still waiting.

        Departures are non-decreasing in service order, so the people who have left by ``a`` are
        at the front. A departure within ``QUEUE_TOLERANCE_S`` of an arrival counts as gone (float
        rounding of evenly spaced arrivals), and so does a person who passes without waiting.
        """
        while self.waiting and self.waiting[0] - QUEUE_TOLERANCE_S <= a:
            self.waiting.popleft()
        if d - QUEUE_TOLERANCE_S > a:
            self.waiting.append(d)
        self.max_queue = max(self.max_queue, len(self.waiting))


class Network:
    """Every server of a :class:`ServerNet` for one run."""

    def __init__(self, env: simpy.Environment, net: ServerNet):
        self.net = net
        self.servers = [
            HeadwayServer(env, float(h), net.person_weight if heavy else None)
            for h, heavy in zip(net.service_s, net.weighted, strict=True)
        ]
        self._row_server = net.server_of_rows()
        self._times = [float(x) for x in net.block_times]
        self.final: dict[int, int] = {}  # person -> segment they end on (later blockages)
        self.rerouted_at: dict[int, float] = {}  # person -> time of their first switch

    def max_queues(self) -> list[int]:
        """(K,) largest number of people waiting at each server at once during the run."""
        return [s.max_queue for s in self.servers]

    def walk(self, run, p: int, t: float):
        """Generator: walk person ``p`` from time ``t``; returns ``(end time, queue seconds)``."""
        net, env = self.net, run.env
        who, role = run.who(p)
        v, vs = float(run.d.speed_mps[0, p]), float(run.d.stair_speed_mps[0, p])
        wait = 0.0
        g, i = p, 0  # segment and position (plan/reroute.py: later blockages switch segments)
        L = net.seg_rows.shape[1]
        while i < L and net.seg_rows[g, i] >= 0:
            r = int(net.seg_rows[g, i])
            k = int(self._row_server[r])
            if net.rerouting and math.isfinite(t):
                c = int(net.child[g, i, bisect_right(self._times, t)])
                if c >= 0:  # the way ahead is blocked by now: take the reroute from here
                    self._switch(run, p, t, "reroutes", int(net.src[k]))
                    g, i = c, 0
                    continue
            dep = yield self.servers[k].arrive(t, p)
            t_block = float(net.space_from[int(net.dst[k])])
            if net.rerouting and t < t_block <= dep:  # queued when the space ahead is blocked
                wait = wait + (t_block - t)
                t = t_block
                yield until(env, t)
                self._switch(run, p, t, "turns_back", int(net.src[k]))
                g, i = int(net.child[g, i, bisect_right(self._times, t)]), 0
                continue
            wait = wait + (dep - t if math.isfinite(t) else 0.0)
            t = dep
            yield until(env, t)
            run.log.add(t, who, role, "through_door", run.sid(int(net.src[k])))
            t = t + (float(net.leg_level[k]) / v + float(net.leg_stair[k]) / vs)
            yield until(env, t)
            i += 1
        self.final[p] = g
        if math.isfinite(t) and wait <= WAIT_ULPS * math.ulp(abs(t)):
            wait = 0.0  # rounding, not queueing (as engines/batch/servers.py)
        return t, wait

    def _switch(self, run, p: int, t: float, event: str, space: int) -> None:
        self.rerouted_at.setdefault(p, t)
        who, role = run.who(p)
        run.log.add(t, who, role, event, run.sid(space))
