"""People's positions over time, reconstructed from one run's event log.

The engines log *when* a person does something and *in which space* (starts moving, passes a door,
is refused at a closed door, enters a refuge, exits). Between two logged events a person walks the
route the model uses between those spaces (the evacuation route, or the shortest path), drawn from
door to door; positions are interpolated along it. A person's own route is the model's, the
drawing is not: a dot walks straight from door to door and a class is spread over its room on a
small jittered grid (seeded, so the same run always draws the same picture).

Event kinds this module does not know (a protocol added later) are handled generically: if the
event names a space, the person walks there; otherwise it only appears in the event list.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import networkx as nx
import numpy as np

from drillsim.plan.compile import Plan
from drillsim.reports.animate.layout import Layout, Point

#: Spread of a walking group around the route, metres (so a class in a hallway is not one dot).
WALK_SPREAD_M = 0.9
#: Seconds a teacher takes to step from the room to its door (and back) when locking from outside
#: (drawing only; the model charges the whole lock time to the hallway).
STEP_OUT_S = 1.5
ROLE_NAMES = {0: "student", 1: "teacher", 2: "staff"}

Keyframe = tuple[float, float, float]  # time (s), x, y (drawing metres)


class Tracks:
    """Builds one keyframe list per person (and the SRO)."""

    def __init__(self, plan: Plan, layout: Layout, rng: np.random.Generator):
        self.plan, self.layout = plan, layout
        self.g = layout.fp.graph
        self.index = {s: i for i, s in enumerate(plan.space_ids)}
        self._paths: dict[tuple[str, str], list[str]] = {}
        self.offset = rng.uniform(-0.5, 0.5, size=(plan.n_persons + 1, 2))
        self.home = self._home_positions(rng)

    # -- where people stand ----------------------------------------------------------------
    def _home_positions(self, rng: np.random.Generator) -> np.ndarray:
        """Start position of every person: each space's people on a jittered grid inside it."""
        plan = self.plan
        pos = np.zeros((plan.n_persons, 2))
        by_space: dict[int, list[int]] = defaultdict(list)
        for p in range(plan.n_persons):
            by_space[int(plan.person_space[p])].append(p)
        for s, people in by_space.items():
            x0, y0, x1, y1 = self._inset(plan.space_ids[s])
            n = len(people)
            w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
            cols = max(1, round(math.sqrt(n * w / h)))
            rows = math.ceil(n / cols)
            jitter = rng.uniform(-0.25, 0.25, size=(n, 2))
            for k, p in enumerate(people):
                r, c = divmod(k, cols)
                pos[p] = (
                    x0 + (c + 0.5 + jitter[k, 0]) * w / cols,
                    y0 + (r + 0.5 + jitter[k, 1]) * h / rows,
                )
        return pos

    def _inset(self, sid: str, share: float = 0.12) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.layout.rects[sid]
        dx, dy = (x1 - x0) * share, (y1 - y0) * share
        return x0 + dx, y0 + dy, x1 - dx, y1 - dy

    def in_space(self, who: int, sid: str) -> Point:
        """Where person ``who`` stands in space ``sid`` (start grid if it is their start space)."""
        if (
            who < self.plan.n_persons
            and self.plan.space_ids[int(self.plan.person_space[who])] == sid
        ):
            return float(self.home[who, 0]), float(self.home[who, 1])
        x0, y0, x1, y1 = self._inset(sid, 0.2)
        u = self.offset[who]
        return (x0 + x1) / 2 + u[0] * (x1 - x0), (y0 + y1) / 2 + u[1] * (y1 - y0)

    def _near(self, who: int, pt: Point) -> Point:
        u = self.offset[who]
        return pt[0] + u[0] * WALK_SPREAD_M * 2, pt[1] + u[1] * WALK_SPREAD_M * 2

    def corner(self, who: int, room: str, k: int, n: int) -> Point:
        """Safe-zone spot: the room's corner farthest from its doors, people packed around it."""
        x0, y0, x1, y1 = self._inset(room, 0.08)
        doors = [self.layout.door(room, n_) for n_ in self.g.neighbors(room)] or [
            ((x0 + x1) / 2, y1)
        ]
        corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
        cx, cy = max(corners, key=lambda c: min(math.dist(c, d) for d in doors))
        # fill a quarter-disc around the corner, densest at the corner
        r = math.sqrt((k + 0.5) / max(n, 1)) * min(x1 - x0, y1 - y0) * 0.55
        a = (k * 2.39996) % (math.pi / 2)  # golden angle, folded into the quarter
        sx = 1.0 if cx == x0 else -1.0
        sy = 1.0 if cy == y0 else -1.0
        return cx + sx * r * math.cos(a), cy + sy * r * math.sin(a)

    # -- routes -------------------------------------------------------------------------------
    def path(self, a: str, b: str) -> list[str]:
        """Spaces from ``a`` to ``b``: the evacuation route if ``b`` is on it, else the shortest."""
        key = (a, b)
        if key not in self._paths:
            plan, ids = self.plan, self.plan.space_ids
            chain, s = [a], self.index.get(a, -1)
            while s >= 0 and ids[s] != b and plan.next_hop[s] >= 0 and len(chain) <= len(ids):
                s = int(plan.next_hop[s])
                chain.append(ids[s])
            if chain[-1] != b:
                try:
                    chain = nx.shortest_path(self.g, a, b, weight="length_m")
                except (nx.NetworkXNoPath, nx.NodeNotFound):
                    chain = [a, b]
            self._paths[key] = chain
        return self._paths[key]

    def walk(
        self,
        who: int,
        t0: float,
        start: Point,
        a: str,
        b: str,
        t1: float,
        end: Point,
        speed: float | None = None,
    ) -> list[Keyframe]:
        """Keyframes walking from ``start`` in ``a`` to ``end`` in ``b`` between t0 and t1.

        Without ``speed`` the walk is spread evenly over the interval; with it (m/s) the person
        walks at that speed and waits at the end (a door queue) for the rest of the interval.
        Floor changes (stairs) jump between the panels halfway through the stair leg.
        """
        spaces = self.path(a, b)
        pts: list[tuple[Point, int, float]] = [(start, self.layout.floor_of(a), 0.0)]
        for u, v in zip(spaces, spaces[1:], strict=False):
            fu, fv = self.layout.floor_of(u), self.layout.floor_of(v)
            if fu == fv:
                pts.append((self._near(who, self.layout.door(u, v)), fu, 0.0))
            else:  # a stair flight: cross between the two stair spaces' panels
                length = float(self.g.edges[u, v].get("length_m", 10.0))
                pts.append((self._near(who, self.layout.centre(u)), fu, 0.0))
                pts.append((self._near(who, self.layout.centre(v)), fv, length))
        pts.append((end, self.layout.floor_of(b), 0.0))
        # distance along the drawn route (a stair leg counts its walking length)
        dist = [0.0]
        for (p, fp_, _), (q, fq, extra) in zip(pts, pts[1:], strict=False):
            dist.append(dist[-1] + (extra if fp_ != fq else math.dist(p, q)))
        total = dist[-1]
        span = max(t1 - t0, 0.0)
        walk_s = span if not speed or total <= 0 else min(span, total / speed)
        frames: list[Keyframe] = []
        for i, (p, f, _) in enumerate(pts):
            t = t0 + (walk_s * dist[i] / total if total > 0 else 0.0)
            if i > 0 and f != pts[i - 1][1]:
                tm = (frames[-1][0] + t) / 2
                frames.append((tm, *pts[i - 1][0]))
                frames.append((tm + 1e-3, *p))
            frames.append((t, *p))
        if walk_s < span:
            frames.append((t1, *end))
        return frames


def person_keyframes(
    tracks: Tracks,
    who: int,
    events: Sequence[tuple[float, str, str]],
    start_space: str,
    exits_speed: float | None = None,
) -> list[Keyframe]:
    """Keyframes of one person from their own events ``(time, kind, space)`` in time order."""
    L, g = tracks.layout, tracks.g
    here = start_space
    pos = tracks.in_space(who, here) if who >= 0 else L.centre(here)
    frames: list[Keyframe] = [(0.0, *pos)]
    t_last = 0.0
    last_exit = None

    def go(t: float, space: str, end: Point, speed: float | None = None) -> None:
        nonlocal here, pos, t_last
        if space == here and math.dist(end, pos) < 1e-9:
            t_last = t
            return
        frames.extend(tracks.walk(who, t_last, pos, here, space, t, end, speed))
        here, pos, t_last = space, end, t

    for j, (t, kind, space) in enumerate(events):
        if not math.isfinite(t):
            continue
        if kind == "at_assembly_point" or space == "assembly":
            if last_exit is not None:
                end = L.assembly(last_exit)
                frames.append((t, *tracks._near(who, end)))
                pos, t_last = frames[-1][1:], t
            continue
        if space not in g:
            continue  # an event without a place in the building: listed, not drawn
        if kind in (
            "refused_door_closed",
            "locked_out",
            "door_check_locked",
            "door_check_unlocked",
            "sweep_complete",
        ):
            route = tracks.path(here, space)
            before = route[-2] if len(route) > 1 else here
            end = tracks._near(who, L.door(before, space)) if before != space else L.centre(space)
            go(t, before, end)
            continue
        if kind == "through_door":
            target = _door_target(tracks, who, space, events[j + 1 :])
            go(t, space, tracks._near(who, L.door(space, target)), exits_speed)
            continue
        if kind == "leaves_after_locked_out":
            # waited where they were refused (outside the last door) until a safe way opened
            frames.append((t, *pos))
            t_last = t
            continue
        if kind == "steps_out_to_lock":
            door = next(iter(g.neighbors(space)), None)
            frames.append((t, *pos))
            if door is not None:
                frames.append((t + STEP_OUT_S, *L.door(space, door)))
            t_last = t + STEP_OUT_S
            continue
        if (
            kind.startswith("lock_tried")
            and frames
            and frames[-1][0] > t_last - 1e-9
            and frames[-1][1:] != pos
        ):
            frames.append((t, *frames[-1][1:]))
            frames.append((t + STEP_OUT_S, *pos))
            t_last = t + STEP_OUT_S
            continue
        if kind == "exits":
            last_exit = space
        end = (
            tracks.in_space(who, space)
            if g.nodes[space]["kind"] != "exit"
            else tracks._near(who, L.centre(space))
        )
        go(t, space, end, exits_speed if kind == "exits" else None)
    out: list[Keyframe] = []
    for t, x, y in _monotone(frames):
        f = (round(float(t), 2), round(float(x), 2), round(float(y), 2))
        if not out or f != out[-1]:
            out.append(f)
    return out


def _door_target(
    tracks: Tracks, who: int, space: str, later: Sequence[tuple[float, str, str]]
) -> str:
    """The space a person passing a door out of ``space`` walks into.

    The person's next event in a space next to ``space`` says it (the next door, a reroute
    there, the exit): so a person rerouted by a later blockage is drawn on the way they took.
    Without one, the next space on their own evacuation route (posted / balanced routes need
    not follow next_hop), else the nearest-exit next hop.
    """
    g = tracks.g
    for _t, _kind, nxt in later:
        if nxt in g and nxt != space:
            if g.has_edge(space, nxt):
                return nxt
            break
    plan, i = tracks.plan, tracks.index[space]
    route = list(plan.space_route[int(plan.person_space[who])]) if who >= 0 else []
    step = route[route.index(i) + 1] if i in route[:-1] else int(plan.next_hop[i])
    return plan.space_ids[step] if step >= 0 else space


def _monotone(frames: list[Keyframe]) -> list[Keyframe]:
    """Drop keyframes that would go back in time (same-instant events keep the later place)."""
    out: list[Keyframe] = []
    for f in frames:
        while out and f[0] < out[-1][0]:
            out.pop()
        out.append(f)
    return out
