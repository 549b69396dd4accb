"""Fuzz tests: mutated inputs through the CLI never give a traceback, a hang or a silent accept.

Three layers:

- 300 seeded mutation cases (``tests/fuzzing.py``, the same generator ``make fuzz`` runs 10,000 of)
  through the CLI in-process, in chunks so that xdist spreads them;
- hypothesis strategies over the values of the file formats (distribution parameters, floorplan
  numbers, observer-sheet cells), checked at the loader;
- a corpus of the nastiest inputs found so far, each a regression test with its expected message.
"""

from __future__ import annotations

import math
import time

import pytest
import yaml
from click.testing import CliRunner
from fuzzing import ALIAS_BOMB, ROOT, make_case, run_case
from hypothesis import given, settings
from hypothesis import strategies as st

from drillsim.cli.main import cli
from drillsim.errors import ValidationError
from drillsim.floorplan import floorplan_from_dict, load_floorplan
from drillsim.floorplan.read import parse_yaml_text
from drillsim.reports.review import parse_time
from drillsim.scenario.load import scenario_from_dict

CHUNKS = 6
PER_CHUNK = 50  # 300 cases in the default suite
SEED = 2026


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutated_inputs_through_the_cli(chunk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a case that writes to the current folder writes here
    bad = []
    for index in range(chunk * PER_CHUNK, (chunk + 1) * PER_CHUNK):
        case = make_case(SEED, index, tmp_path / f"case{index}")
        t0 = time.monotonic()
        verdict, detail = run_case(case)
        took = time.monotonic() - t0
        if verdict not in ("rejected", "accepted") or took > 20:
            bad.append(f"case {index} {case.mutation}: {verdict} {detail} ({took:.1f} s)")
    assert not bad, "\n".join(bad)


# ----------------------------------------------------------------------------------------------
# hypothesis over the formats' values

ELEMENTARY = ROOT / "scenarios" / "elementary-lockdown-class.yaml"
FLOORPLAN = ROOT / "floorplans" / "elementary-school.yaml"

any_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 1e308, -1e308, 1e-308, 5e-324]),
)


_FP = None


def _floorplan():
    global _FP
    if _FP is None:
        _FP = load_floorplan(FLOORPLAN)
    return _FP


def _scenario_with(patch: dict) -> dict:
    data = yaml.safe_load(ELEMENTARY.read_text(encoding="utf-8"))
    data["floorplan"] = str(FLOORPLAN)
    for dotted, value in patch.items():
        target = data
        *parents, last = dotted.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[last] = value
    return data


def _check_loaded_distributions(loaded) -> None:
    """Every distribution of an accepted scenario has finite, sane quantiles."""
    b, sro = loaded.scenario.behaviour, loaded.scenario.sro
    dists = [loaded.scenario.incident.detection_delay_s, b.adult_reaction_s, b.safe_zone_move_s,
             b.hallway_recovery_s, sro.reaction_s, *b.lock_time_s.values()]
    for d in dists:
        for q in (0.0, 1e-9, 0.5, 1 - 1e-9):
            v = d.quantile(q)
            assert math.isfinite(v) and v >= 0, (d, q, v)


FIELDS = ["incident.detection_delay_s", "behaviour.adult_reaction_s",
          "behaviour.safe_zone_move_s", "sro.reaction_s", "behaviour.hallway_recovery_s"]


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    dist=st.sampled_from(["constant", "uniform", "normal", "lognormal", "triangular",
                          "empirical"]),
    a=any_number,
    b=any_number,
    c=any_number,
)
def test_any_distribution_parameters_are_refused_or_sound(field, dist, a, b, c):
    spec = {
        "constant": {"dist": "constant", "value": a},
        "uniform": {"dist": "uniform", "low": a, "high": b},
        "normal": {"dist": "normal", "mean": a, "sd": b, "min": 0},
        "lognormal": {"dist": "lognormal", "median": a, "p90": b},
        "triangular": {"dist": "triangular", "low": a, "mode": b, "high": c},
        "empirical": {"dist": "empirical", "values": [a, b, c]},
    }[dist]
    data = _scenario_with({field: spec})
    try:
        loaded = scenario_from_dict(data, _floorplan())
    except ValidationError as err:
        assert all(p.element and p.message for p in err.problems)
        return
    for v in (a, b, c):  # accepted: no parameter can have been NaN, infinite or astronomic
        if v in spec.values() or [a, b, c] == spec.get("values"):
            assert not (isinstance(v, float) and not math.isfinite(v))
    _check_loaded_distributions(loaded)


SPACE_NUMBERS = ["x", "y", "area_m2", "capacity", "safe_zone_capacity", "size_w_m",
                 "assembly_distance_m"]


@settings(max_examples=120, deadline=None)
@given(field=st.sampled_from([*SPACE_NUMBERS, "width_m", "length_m", "floor_height_m"]),
       value=any_number, index=st.integers(0, 40))
def test_any_floorplan_number_is_refused_or_finite_and_in_range(field, value, index):
    data = yaml.safe_load(FLOORPLAN.read_text(encoding="utf-8"))
    if field == "floor_height_m":
        data[field] = value
    elif field in ("width_m", "length_m"):
        data["connections"][index % len(data["connections"])][field] = value
    else:
        data["spaces"][index % len(data["spaces"])][field] = value
    try:
        fp = floorplan_from_dict(data)
    except ValidationError as err:
        # a far-away position can also show as the connection length computed from it
        named = (field, "length_m") if field in ("x", "y") else (field,)
        assert any(f in p.element or f in p.message for p in err.problems for f in named), err
        return
    for _, attrs in fp.graph.nodes(data=True):
        for k, v in attrs.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                assert math.isfinite(v) and abs(v) <= 1e6, (k, v)
    for _, _, attrs in fp.graph.edges(data=True):
        for k, v in attrs.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                assert math.isfinite(v) and 0 <= v <= 1e5, (k, v)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_parse_time_returns_a_sane_time_or_value_error(text):
    try:
        v = parse_time(text)
    except ValueError:
        return
    assert math.isnan(v) or (math.isfinite(v) and abs(v) <= 86_400)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_yaml_reader_never_raises(text):
    data, problems = parse_yaml_text(text, "x.yaml")
    assert data is not None or problems


# ----------------------------------------------------------------------------------------------
# corpus: the nastiest inputs found by fuzzing, each with the problem it must give

CORPUS = {
    "alias_bomb": (ALIAS_BOMB, "aliases"),
    "deep_flow_nesting": ("name: " + "[" * 100_000 + "]" * 100_000 + "\n", "nesting"),
    "deep_block_nesting": ("a:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 80)), "nesting"),
    "control_character": ("name: Gym\x07\nspaces: []\n", "control character U+0007"),
    "nul_byte": ("name: \x00\n", "control character U+0000"),
    "tab_indent": ("name: x\nspaces:\n\t- {id: A}\n", "invalid YAML"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_yaml_floorplans(name, tmp_path):
    text, expected = CORPUS[name]
    path = tmp_path / "fp.yaml"
    path.write_text(text, encoding="utf-8")
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert time.monotonic() - t0 < 10
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def _scenario_text(**replace: str) -> str:
    text = ELEMENTARY.read_text(encoding="utf-8").replace(
        "../floorplans/elementary-school.yaml", str(FLOORPLAN)
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


SCENARIO_CORPUS = {
    "inf_constant_speed": ("  student_speed_mps:\n", "  adult_speed_mps: .inf\n  student_speed_mps:\n",
                           "finite number"),
    "uniform_nan": ("{dist: uniform, low: 5, high: 15}", "{dist: uniform, low: .nan, high: 15}",
                    "finite number"),
    "uniform_max_negative": ("{dist: uniform, low: 5, high: 15}",
                             "{dist: uniform, low: 5, high: 15, max: -5}", "min"),
    "lognormal_p90_inf": ("{dist: lognormal, median: 20, p90: 60}",
                          "{dist: lognormal, median: 20, p90: .inf}", "finite number"),
    "empirical_nan": ("{dist: lognormal, median: 20, p90: 60}", "{dist: empirical, values: [.nan]}",
                      "finite number"),
    "triangular_1e308": ("{dist: triangular, low: 10, mode: 20, high: 40}",
                         "{dist: triangular, low: 10, mode: 20, high: 1.0e+308}", "supported range"),
    "specific_flow_inf": ("  safe_zone_move_s:", "  specific_flow_pps_per_m: .inf\n  safe_zone_move_s:",
                          "finite number"),
    "group_count_huge": (
        "  student_age_band: elementary\n",
        "  student_age_band: elementary\n  groups: [{space: A01, students: 1.0e+308}]\n",
        "population.groups[0].students",
    ),
    "horizon_huge": ("mode: drill\n", "mode: drill\nhorizon_s: 1.0e+300\n", "horizon_s"),
    "shelter_in_place": ("protocol: lockdown", "protocol: shelter_in_place",
                         "did you mean 'shelter'?"),
    # found by `make fuzz` (seed 1): each was accepted or crashed before
    "shelter_capacity_2_63": ("mode: drill\n",
                              "mode: drill\nshelter: {areas: {GYM: 9223372036854775808}}\n",
                              "shelter.areas"),
    "lockdown_capacity_huge": ("mode: drill\n",
                               "mode: drill\nlockdown: {capacity: {A01: 100000000000000000000}}\n",
                               "lockdown.capacity"),
    "fire_alarm_inf": ("mode: drill\n", "mode: drill\ninform: {fire_alarm: {at_s: .inf}}\n",
                       "finite number"),
    "report_delay_1e308": ("mode: drill\n",
                           "mode: drill\nevacuation: {report_delay_s: 1.0e+308}\n",
                           "report_delay_s"),
    "assisted_speed_tiny": ("mode: drill\n",
                            "mode: drill\nevacuation: {assisted_level_speed_mps: 1.0e-300}\n",
                            "assisted_level_speed_mps"),
    "blocked_from_huge": ("mode: drill\n", "mode: drill\nevacuation: {blocked_from: {H0: 1.0e+300}}\n",
                          "more than a day"),
}


@pytest.mark.parametrize("name", sorted(SCENARIO_CORPUS))
def test_corpus_scenarios(name, tmp_path):
    old, new, expected = SCENARIO_CORPUS[name]
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{old: new}), encoding="utf-8")
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert time.monotonic() - t0 < 10
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output


def test_shelter_in_place_suggests_shelter_which_runs(tmp_path):
    """The hint names a protocol that is simulated (shelter is, since issue 9), never a refused one."""
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{"protocol: lockdown": "protocol: shelter_in_place"}),
                    encoding="utf-8")
    out = CliRunner().invoke(cli, ["validate", str(path)]).output
    assert "did you mean 'shelter'" in out
    fixed = _scenario_text(**{"protocol: lockdown": "protocol: shelter"})
    path.write_text(fixed, encoding="utf-8")
    out = CliRunner().invoke(cli, ["validate", str(path)]).output
    assert "not simulated" not in out


def test_floorplan_capacity_1e308_is_refused_quickly(tmp_path):
    text = FLOORPLAN.read_text(encoding="utf-8").replace("capacity: 21,", "capacity: 1.0e+308,", 1)
    (tmp_path / "fp.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        _scenario_text().replace(str(FLOORPLAN), "fp.yaml"), encoding="utf-8"
    )
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "s.yaml")])
    assert time.monotonic() - t0 < 10
    assert result.exit_code == 2
    assert "capacity = 1e+308 is more than the supported 0 to 10,000 people" in result.output


def test_graphml_duplicate_node_ids_are_refused(tmp_path):
    from drillsim.floorplan.io import floorplan_to_graphml

    text = floorplan_to_graphml(load_floorplan(FLOORPLAN)).decode("utf-8")
    start = text.index("<node ")
    node = text[start:text.index("</node>", start) + len("</node>")]
    path = tmp_path / "fp.graphml"
    path.write_text(text.replace("</graph>", node + "</graph>"), encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_floorplan(path)
    assert "is given twice" in str(err.value)


def test_graphml_entities_are_refused(tmp_path):
    path = tmp_path / "fp.graphml"
    path.write_text('<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa">]><graphml>&a;</graphml>',
                    encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_floorplan(path)
    assert "DOCTYPE or ENTITY" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"graph": {"name": NaN}, "nodes": [], "edges": []}', "NaN is not a number JSON allows"),
        ('{"graph": {}, "nodes": [], "nodes": [], "edges": []}', "key 'nodes' is given twice"),
        ('{"nodes": ' + "[" * 50_000 + "]" * 50_000 + "}", "too deep"),
    ],
)
def test_json_nasties(text, expected, tmp_path):
    path = tmp_path / "fp.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_floorplan(path)
    assert expected in str(err.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: Gym\n".encode("utf-16"), "UTF-16"),
        (b"name: caf\xe9\n", "not UTF-8 text"),
    ],
)
def test_bad_encodings(content, expected, tmp_path):
    path = tmp_path / "fp.yaml"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        load_floorplan(path)
    assert expected in str(err.value)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "fp.yaml"
    path.write_text("\ufeff" + FLOORPLAN.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_floorplan(path).name


def test_small_aliases_still_work():
    data, problems = parse_yaml_text("a: &x {dist: uniform, low: 1, high: 2}\nb: *x\n")
    assert not problems and data["b"] == data["a"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["batch", str(ELEMENTARY), "--runs", "18446744073709551616", "--out", "o"], "--runs"),
        (["run", str(ELEMENTARY), "--out", ""], "--out"),
        (["batch", str(ELEMENTARY), "--workers", "100000", "--out", "o"], "--workers"),
        (["run", str(ELEMENTARY), "--run-index", "10000000", "--out", "o"], "--run-index"),
    ],
)
def test_cli_option_limits(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert expected in result.output
    assert not any(tmp_path.iterdir())  # nothing written anywhere


def test_a_huge_floorplan_is_refused_for_simulation_quickly(tmp_path, monkeypatch):
    import sys

    import drillsim.scenario.load as scenario_load

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_validate import campus

    monkeypatch.setattr(scenario_load, "MAX_SIMULATED_SPACES", 100)  # as 50,000, in less time
    (tmp_path / "fp.yaml").write_text(campus(200), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(_scenario_text().replace(str(FLOORPLAN), "fp.yaml")
                                     .replace("H-A2", "H0").replace("OFFICE", "H0"),
                                     encoding="utf-8")
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "s.yaml")])
    assert time.monotonic() - t0 < 60
    assert result.exit_code == 2, result.output
    assert "simulation supports up to 100 " in result.output


def test_a_population_beyond_the_limit_is_refused_before_it_is_built(tmp_path):
    text = FLOORPLAN.read_text(encoding="utf-8").replace("capacity: 21,", "capacity: 10000,")
    (tmp_path / "fp.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        _scenario_text().replace(str(FLOORPLAN), "fp.yaml")
        .replace("  student_age_band: elementary\n", "  student_age_band: elementary\n  fill: 2\n"),
        encoding="utf-8",
    )
    t0 = time.monotonic()
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "s.yaml")])
    assert time.monotonic() - t0 < 10
    assert result.exit_code == 2, result.output
    assert "more than the 50,000 drillsim supports" in result.output
