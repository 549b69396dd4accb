"""Batch report files: what they hold matches the batch, and the same batch writes the same bytes."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow.parquet as pq
import pytest

from drillsim.errors import DrillsimError
from drillsim.floorplan import load_floorplan
from drillsim.metrics.score import METRICS, metric_names
from drillsim.metrics.summary import summarise
from drillsim.reports.batch import DPI, write_batch_outputs
from drillsim.reports.staging import staged_output
from drillsim.run import run_batch_job
from drillsim.scenario.load import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
RUNS = 300
FIGURES = ("secured_distribution.png", "unsecured_band.png", "room_ranges.png")
#: (scenario file if bundled, fallback floorplan, protocol, incident origin)
CASES = {
    "high-school-lockdown": (
        "high-school-lockdown-class.yaml",
        "high-school.yaml",
        "lockdown",
        "H0-2",
    ),
    "elementary-evacuate": (
        "elementary-evacuate-class.yaml",
        "elementary-school.yaml",
        "evacuate",
        "H-A2",
    ),
}


def load_case(name: str):
    """The bundled scenario if it is there, else the same kind of scenario built in memory."""
    file, floorplan, protocol, origin = CASES[name]
    path = ROOT / "scenarios" / file
    if path.exists():
        return load_scenario(path)
    fp = load_floorplan(ROOT / "floorplans" / floorplan)
    return scenario_from_dict(
        {
            "name": name,
            "floorplan": floorplan,
            "protocol": protocol,
            "incident": {"origin": origin, "detection_delay_s": 0},
        },
        fp,
    )


def _decode(v):
    """Undo write_json's JSON-safe encoding of inf and nan."""
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    return math.nan if v is None else v


@pytest.fixture(scope="module", params=sorted(CASES))
def written(request, tmp_path_factory):
    """(loaded, result, first output folder, second output folder) for one case."""
    loaded = load_case(request.param)
    result = run_batch_job(loaded, RUNS, seed=7, workers=1)
    dirs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"{request.param}-{i}") / "out"
        with staged_output(out) as tmp:
            paths = write_batch_outputs(result, loaded, tmp, csv=True)
        assert [p.parent for p in paths] == [tmp] * len(paths)
        dirs.append(out)
    return loaded, result, dirs[0], dirs[1]


def test_every_file_is_written(written):
    _, result, out, _ = written
    names = sorted(p.name for p in out.iterdir())
    queues = ["queues.csv"] if result.plan.protocol == "evacuate" else []  # issue 7
    assert names == sorted(
        ["drillsim-manifest.json", "runs.parquet", "runs.csv", "rooms.csv", "exposure.csv",
         "summary.json", *queues, *FIGURES]
    )


def test_queues_csv_reads_back_the_largest_queue_per_server(written):
    """queues.csv: one row per evacuation server, the median / p90 / max of the per-run largest
    queue that the batch kept (BatchResult.server_max_queue), longest median first."""
    _, result, out, _ = written
    if result.plan.protocol != "evacuate":
        pytest.skip("queues.csv is written for evacuations")
    rows = list(csv.DictReader((out / "queues.csv").open(encoding="utf-8")))
    net = result.plan.evac_net
    assert len(rows) == net.n_servers
    q = result.server_max_queue
    assert q.shape == (result.n_detail, net.n_servers)
    medians = [float(r["median_max_queue"]) for r in rows]
    assert medians == sorted(medians, reverse=True)
    ids = result.plan.space_ids
    for r in rows:
        k = next(
            k
            for k in range(net.n_servers)
            if ids[net.src[k]] == r["queue_in"] and ids[net.dst[k]] == r["towards"]
        )
        assert int(r["max_max_queue"]) == int(q[:, k].max())
        assert float(r["median_max_queue"]) == pytest.approx(np.median(q[:, k]), abs=0.05)
    assert max(int(r["max_max_queue"]) for r in rows) > 0


def test_parquet_has_one_row_per_run_and_every_metric(written):
    _, result, out, _ = written
    table = pq.read_table(out / "runs.parquet")
    names = metric_names(result.plan.protocol)
    assert table.column_names == ["run", "seed", *names]
    assert table.num_rows == RUNS
    assert table.column("run").to_pylist() == list(range(RUNS))
    assert set(table.column("seed").to_pylist()) == {7}
    for m in names:
        np.testing.assert_array_equal(table.column(m).to_numpy(), result.metrics[m], err_msg=m)
    meta = table.schema.metadata
    assert json.loads(meta[b"drillsim.provenance"]) == result.provenance
    assert table.schema.field("unsecured_person_s").metadata[b"unit"] == "person·s".encode()


def test_runs_csv_matches_parquet(written):
    _, _, out, _ = written
    table = pq.read_table(out / "runs.parquet")
    with open(out / "runs.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == table.column_names
    assert len(rows) == RUNS + 1
    for j, name in enumerate(rows[0]):
        col = np.array([float(r[j]) for r in rows[1:]])
        np.testing.assert_array_equal(col, table.column(name).to_numpy().astype(float))


def test_summary_equals_summarise_of_parquet_columns(written):
    _, result, out, _ = written
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["provenance"] == result.provenance
    df = pq.read_table(out / "runs.parquet")
    assert list(data["metrics"]) == sorted(metric_names(result.plan.protocol))
    for m, got in data["metrics"].items():
        want = summarise(df.column(m).to_numpy())
        assert got["unit"] == METRICS[m][0] and got["meaning"] == METRICS[m][1]
        for k, v in want.items():
            g = _decode(got[k])
            assert (math.isnan(v) and math.isnan(g)) or g == v, (m, k, g, v)


def test_rooms_csv_has_one_row_per_room(written):
    loaded, result, out, _ = written
    plan = result.plan
    with open(out / "rooms.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if plan.protocol == "evacuate":  # one row per occupied space, with its route (issue 7)
        assert [r["space"] for r in rows] == [
            plan.space_ids[s] for s in np.unique(plan.person_space)
        ]
        rows = [{**r, "room": r["space"]} for r in rows]
    else:
        assert [r["room"] for r in rows] == [plan.room_id(m) for m in range(plan.n_rooms)]
    assert all(r["room"] in loaded.floorplan.graph for r in rows)
    assert all(r["label"] == loaded.floorplan.space(r["room"])["label"] for r in rows)
    lockdown_cols = {
        "median_secured_s",
        "p90_secured_s",
        "share_never_secured",
        "most_common_reason",
    }
    if plan.protocol == "lockdown":
        assert lockdown_cols <= set(rows[0])
        for m, r in enumerate(rows):
            share = float(r["share_never_secured"])
            assert share == pytest.approx(np.mean(np.isinf(result.room_secured_s[:, m])), abs=6e-4)
            assert (r["most_common_reason"] == "") == (share == 0)
        # a room whose doors have no lock hardware is never secured, and says why
        no_lock = [r for r in rows if "none" in r["door_locks"].split("+")]
        assert all(r["most_common_reason"] == "no lock hardware" for r in no_lock)
    else:
        assert not lockdown_cols & set(rows[0])
    assert all(float(r["median_alert_s"]) >= 0 for r in rows)


def test_pngs_load_are_sized_and_not_blank(written):
    _, result, out, _ = written
    lockdown = result.plan.protocol == "lockdown"
    expected = {
        "secured_distribution.png": (round(5.8 * DPI), round(13.0 * DPI)),
        "unsecured_band.png": (round((8.2 if lockdown else 5.4) * DPI), round(11.0 * DPI)),
    }
    for name in FIGURES:
        img = mpimg.imread(out / name)
        assert img.ndim == 3, name
        if name in expected:
            assert img.shape[:2] == expected[name], name
        else:
            assert img.shape[0] >= 900 and img.shape[1] >= 1800, (name, img.shape)
        assert float(np.std(img[..., :3])) > 0.05, f"{name} looks blank"


def test_same_batch_writes_identical_bytes(written):
    _, _, first, second = written
    for p in sorted(first.iterdir()):
        assert p.read_bytes() == (second / p.name).read_bytes(), p.name


def test_metrics_that_never_happen_do_not_break_anything(tmp_path):
    """Every run inf: the summary says "never", the figures still draw."""
    fp = load_floorplan(ROOT / "floorplans" / "elementary-school.yaml")
    loaded = scenario_from_dict(
        {
            "name": "never secured",
            "floorplan": "x",
            "protocol": "lockdown",
            "incident": {"origin": "H-A2"},
        },
        fp,
    )
    result = run_batch_job(loaded, 20, seed=1, workers=1)
    never = {
        m: np.full(result.n_runs, np.inf)
        for m in ("time_all_secured_s", "time_95_secured_s", "time_last_secured_s")
    }
    result = dataclasses.replace(
        result,
        metrics={**result.metrics, **never},
        room_secured_s=np.full_like(result.room_secured_s, np.inf),
    )
    paths = write_batch_outputs(result, loaded, tmp_path)
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    s = data["metrics"]["time_95_secured_s"]
    assert s["median"] == "inf" and s["mean"] is None and s["share_never"] == 1.0
    for p in paths:
        if p.suffix == ".png":
            assert float(np.std(mpimg.imread(p)[..., :3])) > 0.05


def test_result_of_another_floorplan_is_refused(tmp_path):
    hs = load_case("high-school-lockdown")
    es = load_case("elementary-evacuate")
    result = run_batch_job(es, 5, seed=1, workers=1)
    with pytest.raises(DrillsimError, match="different floorplan"):
        write_batch_outputs(result, hs, tmp_path)


def test_evacuation_map_shows_when_each_class_was_out():
    """An evacuation planner's map: median time each space's last starting occupant was out of
    the building (not the alert time), coloured per occupied space; other protocols keep the
    alert map."""
    from drillsim.reports.batch.room_ranges import figure_room_ranges

    root = Path(__file__).resolve().parents[1]
    loaded = load_scenario(root / "scenarios/elementary-evacuate-class-posted.yaml")
    res = run_batch_job(loaded, 60, 2, workers=1)
    fig = figure_room_ranges(res, loaded)
    title = fig._suptitle.get_text()
    assert "out of the building" in title and "alert" not in title
    lo, hi = (float(x) for x in title.split("colours span ")[1].rstrip(" s").split("–"))
    occupied = sorted({int(s) for s in res.plan.person_space})
    med = [float(np.quantile(res.space_out_s[:, s], 0.5)) for s in occupied]
    assert round(min(med)) == lo and round(max(med)) == hi
    other = load_scenario(root / "scenarios/elementary-hold-passing.yaml")
    fig = figure_room_ranges(run_batch_job(other, 20, 2, workers=1), other)
    assert "alert reached" in fig._suptitle.get_text()


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ("elementary-hold-passing.yaml", "Safe = in a room once its door is closed"),
        ("elementary-secure-class-recess.yaml", "every exterior door is locked"),
        ("elementary-shelter-class-tornado.yaml", "Safe = in a shelter area"),
        ("elementary-options-class-hazard-route.yaml", "in a secured (locked and barricaded) room"),
        ("elementary-evacuate-class.yaml", "Safe = at the assembly point outside"),
    ],
)
def test_the_band_says_what_safe_means_for_the_protocol(scenario, words):
    from drillsim.reports.batch.unsecured_band import figure_unsecured_band

    root = Path(__file__).resolve().parents[1]
    loaded = load_scenario(root / "scenarios" / scenario)
    fig = figure_unsecured_band(run_batch_job(loaded, 20, 2, workers=1), loaded)
    text = " ".join(t.get_text() for t in fig.texts)
    assert words in text
    if "evacuate" not in scenario:
        assert "assembly point outside" not in text and "evacuating" not in text
