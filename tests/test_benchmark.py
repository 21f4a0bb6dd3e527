"""scripts/benchmark.py runs end to end at small sizes and prints the JSON contract the README describes.

One run against a six-entry glossary written here, a 1,000-entry synthetic scale run, three load clients and
a real `python app.py` subprocess. No assertion is about how fast anything was: only that every number is
there, has the right shape, and that nothing failed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, write_entry

pytestmark = pytest.mark.slow  # a real `python app.py` / Chromium

SCRIPT = PROJECT_ROOT / "scripts" / "benchmark.py"


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("bench") / "glossary"
    write_entry(folder, 1, "Dropout", "Dropout randomly zeroes units during training. It reduces overfitting.",
                aliases=["drop-out"], related=[2])
    write_entry(folder, 2, "Overfitting", "Overfitting is fitting noise in the training data.", related=[1])
    write_entry(folder, 3, "Underfitting", "Underfitting is a model too simple to capture the signal.")
    write_entry(folder, 4, "Learning Rate", "The learning rate sets the step size of each update.", aliases=["lr"])
    write_entry(folder, 5, "Epoch", "An epoch is one full pass over the training data.")
    write_entry(folder, 6, "Batch Size", "The batch size is how many examples each update sees.")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--glossary", str(folder), "--scale-entries", "1000",
         "--load-clients", "3", "--load-questions", "3", "--questions", "8", "--cold-runs", "1",
         "--threshold-sizes", "400,800"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_in_process_numbers(result):
    for key in ("encoder_ms", "search_ms", "ask_over_encoder", "build_s", "encode_per_s", "bare_load_s",
                "cold_start_s", "cold_over_bare"):
        assert isinstance(result[key], float) and result[key] > 0, key
    for key in ("ask_ms", "ask_cached_ms"):
        assert set(result[key]) == {"p50", "p95"} and 0 < result[key]["p50"] <= result[key]["p95"], key
    assert result["index_type"] == "flat" and result["questions"] == 8
    assert result["ask_over_encoder"] == pytest.approx(result["ask_ms"]["p50"] / result["encoder_ms"], abs=0.01)


@pytest.mark.skipif(not (PROJECT_ROOT / "app.py").is_file(), reason="app.py is not there yet")
def test_http_and_load_against_the_real_app(result):
    assert "http_error" not in result, result.get("http_error")
    assert set(result["http_ms"]) == {"p50", "p95"} and result["http_ms"]["p50"] > 0
    assert isinstance(result["http_over_ask_ms"], float)
    assert result["rss_mb"] > 100  # the model alone is bigger than this
    load = result["load"]
    assert (load["clients"], load["questions_each"], load["errors"], load["first_errors"]) == (3, 3, 0, [])
    assert 0 < load["p50_ms"] <= load["p95_ms"]


def test_scale_numbers_say_they_are_synthetic(result):
    scale = result["scale"]
    assert scale["synthetic"] is True and "synthetic" in scale["note"]
    assert (scale["entries"], scale["vectors"], scale["index_type"]) == (1000, 5000, "flat")
    assert set(scale["dense_ms"]) == set(scale["search_ms"]) == {"p50", "p95"}
    assert scale["recall@10"] == 1.0  # flat search is exact
    assert scale["build_s"] >= 0


def test_threshold_sweep_and_targets(result):
    rows = result["threshold"]["rows"]
    assert [row["vectors"] for row in rows] == [400, 800]
    assert all(row["flat_ms"] > 0 and row["ivf_ms"] > 0 and 0 <= row["ivf_recall@10"] <= 1 for row in rows)
    assert set(result["targets"]) == {"ask_over_encoder", "cold_over_bare", "http_over_ask_ms",
                                      "scale.dense_ms.p50", "scale.recall@10", "scale.search_ms.p50", "long_over_short",
                                      "load.errors", "load.p95_ms"}
    assert all(set(check) == {"value", "target", "met", "meaning"} for check in result["targets"].values())
    assert len(result["machine"]["load_avg_start"]) == 3


def test_table_names_every_measurement(result):
    from bench.benchmark import render_table

    table = render_table(result)
    for label in ("bare encode of one query (floor)", "ask / floor", "/ask over HTTP", "load: 3 clients",
                  "scale: 1,000 entries", "targets:"):
        assert label in table
