"""Alert chain in the batch engine: when each space first hears the alert, for every run at once."""

from __future__ import annotations

import numpy as np

from drillsim.plan.compile import Plan
from drillsim.sample.draws import Draws


def space_alerts(plan: Plan, d: Draws) -> np.ndarray:
    """(R, S) first alert time of every space: formal channels, then word of mouth.

    A space's alert is ``min over sources t of formal[t] + hops(s, t) * hop_delay``. Formal alerts
    take few values per run (initiation, PA, radio, app), and ``a + h * w`` is monotone in ``a``
    and ``h``, so the minimum is taken per channel over the nearest space that channel reached:
    the same floats as the source-by-source minimum, without an (R, S, S) array.
    """
    R, S = d.n_runs, plan.n_spaces
    t0 = d.detection_s
    paths = plan.paths
    pa_t = t0 + d.pa_latency_s
    radio_t = t0 + d.radio_latency_s
    app_t = t0 + d.app_latency_s
    radio_spaces = np.unique(plan.person_space[plan.radio_recipient])
    # (time per run, static source set) for the channels whose reach does not vary by run
    channels = [
        (t0, np.array([plan.origin])),
        (pa_t, np.flatnonzero(plan.pa)),
        (radio_t, radio_spaces),
    ]
    formal = np.full((R, S), np.inf)
    for t, src in channels:
        if src.size:
            formal[:, src] = np.minimum(formal[:, src], t[:, None])
    app_spaces = np.zeros((R, S), dtype=bool)
    delivered = d.app_delivered
    if delivered.any():
        for s in np.unique(plan.person_space[plan.app_recipient]):
            app_spaces[:, s] = delivered[:, plan.person_space == s].any(axis=1)
        formal = np.where(app_spaces, np.minimum(formal, app_t[:, None]), formal)
    wom = d.wom_hop_s
    if np.all(np.isinf(wom)):
        return formal
    alert = formal.copy()
    finite = np.isfinite(wom)[:, None]
    for t, src in channels:
        h = paths.hops(src)
        reach = np.isfinite(h)
        if reach.any():
            cand = t[:, None] + h[None, reach] * wom[:, None]
            alert[:, reach] = np.minimum(alert[:, reach], np.where(finite, cand, np.inf))
    if app_spaces.any():
        # per run, fewest hops to the nearest space the app reached (one breadth-first search
        # per distinct set of reached spaces)
        h_app = np.full((R, S), np.inf)
        reached, which = np.unique(app_spaces, axis=0, return_inverse=True)
        for u, row in enumerate(reached):
            if row.any():
                h_app[which.ravel() == u] = paths.hops(np.flatnonzero(row))
        reach = np.isfinite(h_app)
        with np.errstate(invalid="ignore"):
            cand = app_t[:, None] + h_app * wom[:, None]
        alert = np.where(reach & finite, np.minimum(alert, cand), alert)
    return alert
