"""Shortest paths between spaces, computed on demand: memory and time grow with what is asked.

The plan compiler, the batch engine's word of mouth and the exposure metric need path lengths
between *some* pairs of spaces (a person's start to the nearest rooms, the SRO's sweep, the
spaces of a path), never all S x S of them. :class:`Paths` answers those questions from
single-source Dijkstra searches that stop as soon as the answer is known and are kept (up to a
budget) to be resumed by later questions from the same source.

Tie-breaking is networkx's (``nx.single_source_dijkstra`` with the stair-weighted length): the
same heap order (distance, then push count), the same neighbour order (the graph's adjacency
order) and the same rule (a node's predecessor changes only on a strictly shorter distance). A
stopped search settles exactly the nodes a full search settles first, with the same paths, so
every answer is the one a full table gives, to the bit; level and stair metres are summed along
the path from the source, in the same order as before.

Fewest-hop counts (integers, so the same whatever the tie-breaking) come from
``scipy.sparse.csgraph`` breadth-first searches from a set of sources.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from heapq import heappop, heappush
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra as _csgraph_dijkstra

#: Route choice and SRO travel count a metre of stair as this many metres of level floor (people
#: are slower on stairs; SFPE stair speeds are roughly 2/3 of level speeds).
STAIR_WEIGHT = 1.5

#: Relative margin by which a stopped search goes past the farthest answer it needs. A
#: stair-weighted length summed as level + 1.5 x stair differs from the Dijkstra distance (summed
#: edge by edge) by rounding only, about 1e-16 per edge; 1e-9 covers paths of millions of edges.
_MARGIN = 1e-9


def stair_weighted(a: str, b: str, d: dict[str, Any]) -> float:
    """Edge weight for route choice: length, with stair metres counted ``STAIR_WEIGHT`` times."""
    return d["length_m"] * (STAIR_WEIGHT if d["kind"] == "stair" else 1.0)


class _Search:
    """A resumable single-source Dijkstra (networkx's order), settling nodes on demand."""

    __slots__ = ("count", "dist", "fringe", "level", "order", "pred", "seen", "stair", "via")

    def __init__(self, src: int) -> None:
        self.fringe: list[tuple[float, int, int]] = [(0.0, 0, src)]
        self.seen: dict[int, float] = {src: 0.0}
        self.dist: dict[int, float] = {}
        self.pred: dict[int, int] = {}
        self.via: dict[int, tuple[float, bool]] = {}  # (length, is stair) of the edge pred -> node
        self.level: dict[int, float] = {}
        self.stair: dict[int, float] = {}
        self.order: list[int] = []  # settled nodes, nearest first
        self.count = 1

    def settle(self, adj: list[list[tuple[int, float, float, bool]]]) -> bool:
        """Settle the next node; False when the search has reached its whole component."""
        fringe, dist = self.fringe, self.dist
        while fringe:
            d, _, v = heappop(fringe)
            if v in dist:
                continue
            dist[v] = d
            self.order.append(v)
            p = self.pred.get(v)
            if p is None:
                self.level[v] = 0.0
                self.stair[v] = 0.0
            else:
                length, on_stair = self.via[v]
                if on_stair:
                    self.level[v] = self.level[p]
                    self.stair[v] = self.stair[p] + length
                else:
                    self.level[v] = self.level[p] + length
                    self.stair[v] = self.stair[p]
            seen, pred, via = self.seen, self.pred, self.via
            for u, cost, length, on_stair in adj[v]:
                if u in dist:
                    continue
                vu = d + cost
                s = seen.get(u)
                if s is None or vu < s:
                    seen[u] = vu
                    heappush(fringe, (vu, self.count, u))
                    self.count += 1
                    pred[u] = v
                    via[u] = (length, on_stair)
            return True
        return False

    def next_dist(self) -> float:
        """Distance of the next node to settle (inf when none is left)."""
        fringe, dist = self.fringe, self.dist
        while fringe and fringe[0][2] in dist:
            heappop(fringe)
        return fringe[0][0] if fringe else np.inf


class Paths:
    """Stair-weighted shortest paths and fewest-hop counts between spaces, by space index.

    Parameters
    ----------
    graph : networkx.Graph
        The floorplan graph (edges with ``length_m`` in metres and ``kind``).
    ids : sequence of str
        Space ids in index order (every node of ``graph``).

    Notes
    -----
    Picklable; what it has computed is not pickled (a worker recomputes what it asks for).
    Safe to share between threads (searches are serialised by a lock).
    """

    def __init__(self, graph: nx.Graph, ids: Sequence[str]) -> None:
        idx = {s: i for i, s in enumerate(ids)}
        indptr = [0]
        nbr: list[int] = []
        length: list[float] = []
        cost: list[float] = []
        stair: list[bool] = []
        for s in ids:
            for u, d in graph.adj[s].items():
                nbr.append(idx[u])
                length.append(d["length_m"])
                cost.append(stair_weighted(s, u, d))
                stair.append(d["kind"] == "stair")
            indptr.append(len(nbr))
        self.n_spaces = len(ids)
        self._indptr = np.array(indptr, dtype=np.int64)
        self._nbr = np.array(nbr, dtype=np.int64)
        self._length = np.array(length, dtype=np.float64)
        self._cost = np.array(cost, dtype=np.float64)
        self._stair = np.array(stair, dtype=bool)
        self._lock = threading.RLock()
        self._init_caches()

    # -- pickling: arrays only -------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("n_spaces", "_indptr", "_nbr", "_length", "_cost", "_stair")
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._init_caches()

    def _init_caches(self) -> None:
        self._adj_lists: list[list[tuple[int, float, float, bool]]] | None = None
        self._searches: OrderedDict[int, _Search] = OrderedDict()
        self._settled = 0  # nodes settled over the kept searches (the memory budget)
        self._budget = max(8 * self.n_spaces, 200_000)
        self._next: dict[tuple[int, int], int] = {}
        self._hops: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._csr: csr_matrix | None = None

    def clear(self) -> None:
        """Forget every kept search and answer (the compiler calls this when the plan is built:
        the engines and metrics ask few questions, and a parent process keeps the plan)."""
        with self._lock:
            self._init_caches()

    @property
    def _adj(self) -> list[list[tuple[int, float, float, bool]]]:
        if self._adj_lists is None:
            ip, nb = self._indptr.tolist(), self._nbr.tolist()
            ln, co, st = self._length.tolist(), self._cost.tolist(), self._stair.tolist()
            self._adj_lists = [
                list(zip(nb[a:b], co[a:b], ln[a:b], st[a:b], strict=True))
                for a, b in zip(ip[:-1], ip[1:], strict=True)
            ]
        return self._adj_lists

    def _search(self, src: int) -> _Search:
        s = self._searches.get(src)
        if s is None:
            s = self._searches[src] = _Search(src)
        else:
            self._searches.move_to_end(src)
        return s

    def _settle(self, s: _Search) -> bool:
        ok = s.settle(self._adj)
        if ok:
            self._settled += 1
        return ok

    def _trim(self) -> None:
        """Drop the least recently used searches beyond the memory budget (the last one stays)."""
        while self._settled > self._budget and len(self._searches) > 1:
            _, old = self._searches.popitem(last=False)
            self._settled -= len(old.order)

    def _reach(self, src: int, dst: int) -> _Search:
        """The search from ``src``, run until ``dst`` is settled (or the component is done)."""
        s = self._search(int(src))
        while dst not in s.dist and self._settle(s):
            pass
        return s

    # -- lengths between two spaces ------------------------------------------------------------
    def level_stair(self, a: int, b: int) -> tuple[float, float]:
        """Level and stair metres along the chosen shortest path a -> b ((inf, inf) if none)."""
        a, b = int(a), int(b)
        with self._lock:
            s = self._reach(a, b)
            out = (s.level[b], s.stair[b]) if b in s.dist else (np.inf, np.inf)
            self._trim()
        return out

    def weighted(self, a: int, b: int) -> float:
        """Stair-weighted metres a -> b (level + ``STAIR_WEIGHT`` x stair; inf if unreachable)."""
        level, stair = self.level_stair(a, b)
        return level + STAIR_WEIGHT * stair

    def metres(self, a: int, b: int) -> float:
        """Walked metres (level + stair) along the chosen path a -> b (inf if unreachable)."""
        level, stair = self.level_stair(a, b)
        return level + stair

    def next_step(self, a: int, b: int) -> int:
        """The space after ``a`` on the chosen shortest path a -> b (-1 if none or a == b)."""
        a, b = int(a), int(b)
        key = (a, b)
        with self._lock:
            got = self._next.get(key)
            if got is None:
                s = self._reach(a, b)
                got = -1
                if b in s.dist and a != b:
                    n = b
                    while s.pred[n] != a:
                        n = s.pred[n]
                    got = n
                self._next[key] = got
                self._trim()
        return got

    def walk(self, a: int, b: int) -> list[int]:
        """Spaces from ``a`` to ``b``, each step the next one on the shortest path from where one is.

        Stops early (without ``b``) when ``b`` cannot be reached.
        """
        path = [int(a)]
        while path[-1] != b:
            n = self.next_step(path[-1], b)
            if n < 0:
                break
            path.append(n)
        return path

    # -- one source, many targets ----------------------------------------------------------
    def from_source(self, src: int) -> tuple[np.ndarray, np.ndarray]:
        """(S,) level and (S,) stair metres along the chosen path from ``src`` to every space.

        A full search (inf where unreachable); use the targeted methods where they do.
        """
        with self._lock:
            s = self._search(int(src))
            while self._settle(s):
                pass
            level = np.full(self.n_spaces, np.inf)
            stair = np.full(self.n_spaces, np.inf)
            nodes = np.array(s.order, dtype=np.int64)
            level[nodes] = [s.level[v] for v in s.order]
            stair[nodes] = [s.stair[v] for v in s.order]
            self._trim()
        return level, stair

    def nearest(
        self, src: int, targets: Sequence[int], k: int = 1
    ) -> list[tuple[int, float, float]]:
        """The ``k`` targets nearest ``src`` by stair-weighted metres, ties by position.

        Returns ``(position in targets, level m, stair m)`` nearest first; unreachable targets
        are left out (so fewer than ``k`` may come back). The same order as sorting every
        target by ``(weighted(src, t), position)``.
        """
        return self.nearest_of(int(src), _positions(targets), k)

    def nearest_of(
        self, src: int, want: dict[int, list[int]], k: int = 1
    ) -> list[tuple[int, float, float]]:
        """:meth:`nearest` with the targets given as ``{space: [positions]}`` (not modified)."""
        if k <= 0 or not want:
            return []
        with self._lock:
            s = self._search(int(src))
            found = self._wanted_within(s, want, k, _MARGIN)
            cand = [
                (s.level[v] + STAIR_WEIGHT * s.stair[v], pos, s.level[v], s.stair[v])
                for v in found
                for pos in want[v]
            ]
            self._trim()
        cand.sort(key=lambda c: (c[0], c[1]))
        return [(pos, lv, st) for _, pos, lv, st in cand[:k]]

    def _wanted_within(
        self, s: _Search, want: dict[int, list[int]], k: int, margin: float
    ) -> list[int]:
        """Settle ``s`` in distance order and return the wanted nodes it meets, in that order, up
        to ``margin`` (relative and absolute) past the node that brings the positions found to
        ``k``: far enough that rounding cannot hide a nearer one. Call with the lock held."""
        found: list[int] = []
        n_pos = 0
        bound = np.inf
        i = 0
        while True:
            if i == len(s.order) and not self._settle(s):
                break
            v = s.order[i]
            if s.dist[v] > bound:
                break
            i += 1
            if v in want:
                found.append(v)
                n_pos += len(want[v])
                if n_pos >= k and bound == np.inf:
                    bound = s.dist[v] * (1.0 + margin) + margin
        return found

    def nearest_source(self, target: int, sources: Sequence[int]) -> int:
        """Position of the source nearest ``target``, measured from each source; -1 if none.

        Ties by position, as ``min(range(len(sources)), key=lambda p: (weighted(sources[p],
        target), p))`` over the sources that reach ``target``. One search from ``target`` finds
        the few sources within rounding of the nearest; their own searches decide.
        """
        return self.nearest_source_of(target, _positions(sources))

    def nearest_source_of(self, target: int, want: dict[int, list[int]]) -> int:
        """:meth:`nearest_source` with the sources given as ``{space: [positions]}``."""
        if not want:
            return -1
        with self._lock:
            s = self._search(int(target))
            close = self._wanted_within(s, want, 1, 2 * _MARGIN)
            self._trim()
        best = min(
            ((self.weighted(v, target), pos) for v in close for pos in want[v]), default=None
        )
        return -1 if best is None else best[1]

    # -- fewest hops ------------------------------------------------------------------------
    def hops(self, sources: Iterable[int]) -> np.ndarray:
        """(S,) fewest connections from every space to the nearest of ``sources`` (inf if none).

        Float, like the old table; exact (whole numbers). Recent answers are kept.
        """
        key = tuple(sorted({int(x) for x in sources}))
        with self._lock:
            got = self._hops.get(key)
            if got is not None:
                self._hops.move_to_end(key)
                return got
            if not key:
                got = np.full(self.n_spaces, np.inf)
            else:
                if self._csr is None:
                    n = self.n_spaces
                    rows = np.repeat(np.arange(n), np.diff(self._indptr))
                    self._csr = csr_matrix(
                        (np.ones(self._nbr.size), (rows, self._nbr)), shape=(n, n)
                    )
                got = _csgraph_dijkstra(
                    self._csr, directed=False, indices=list(key), unweighted=True, min_only=True
                )
            got.setflags(write=False)
            self._hops[key] = got
            while len(self._hops) > 64:
                self._hops.popitem(last=False)
        return got


def _positions(spaces: Iterable[int]) -> dict[int, list[int]]:
    """``{space: [positions where it occurs]}`` of a sequence of space indices."""
    want: dict[int, list[int]] = {}
    for pos, t in enumerate(spaces):
        want.setdefault(int(t), []).append(pos)
    return want
