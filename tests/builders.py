"""Small floorplans and scenarios built in Python, for unit, analytic and differential tests."""

from __future__ import annotations

from drillsim.engines.batch import run_batch
from drillsim.engines.reference import EventLog, run_reference
from drillsim.floorplan import floorplan_from_dict
from drillsim.plan.compile import compile_plan
from drillsim.sample.draws import sample
from drillsim.scenario.load import scenario_from_dict


def space(sid, kind, x, y=0.0, **kw):
    return {"id": sid, "kind": kind, "x": float(x), "y": float(y), **kw}


def conn(a, b, kind="door", **kw):
    return {"a": a, "b": b, "kind": kind, **kw}


def quiet_scenario(protocol="lockdown", **overrides):
    """A scenario dict with constant, zero-noise parameters; override any section."""
    base = {
        "name": "test",
        "floorplan": "unused.yaml",
        "protocol": protocol,
        "mode": "drill",
        "incident": {"origin": "H1", "detection_delay_s": 0},
        "population": {"preset": "none", "groups": []},
        "alert": {"channels": {"pa": {"latency_s": 10}, "radio": None, "word_of_mouth": None}},
        "behaviour": {
            "adult_reaction_s": 5,
            "student_reaction_s": 5,
            "adult_speed_mps": 1.0,
            "student_speed_mps": {"high": 1.0},
            "adult_stair_speed_mps": 0.5,
            "student_stair_speed_mps": {"high": 0.5},
            "hallway_recovery_s": 10,
            "safe_zone_move_s": 20,
            "premovement_s": 0,
            "lock_time_s": {
                "thumbturn": 3,
                "key_outside": 12,
                "key_inside": 8,
                "auto_locking": 2,
                "central": 4,
            },
            "latch_fault_probability": 0.0,
            "lock_failure_probability": {
                "thumbturn": 0,
                "key_outside": 0,
                "key_inside": 0,
                "auto_locking": 0,
                "central": 0,
            },
        },
        "sro": {"on_duty": False},
        # hand calculations place people at their space's reference point
        "lockdown": {"spread_start": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def build(fp_dict, sc_dict):
    fp = floorplan_from_dict(fp_dict)
    loaded = scenario_from_dict(sc_dict, fp)
    return loaded, compile_plan(loaded)


def run_both(loaded, plan, seed=1, n_runs=1):
    draws = sample(plan, loaded.scenario, seed, n_runs)
    batch = run_batch(plan, draws)
    refs = []
    logs = []
    for r in range(n_runs):
        log = EventLog()
        refs.append(run_reference(plan, draws.run(r), log))
        logs.append(log)
    return draws, batch, refs, logs
