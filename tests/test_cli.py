"""The command line as a person runs it: real processes, real model, exit codes and the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from glossary_rag.settings import PROJECT_ROOT


def run(*args: str, cwd=PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glossary_rag", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_ask_json_contract():
    done = run("ask", "--json", "what's the term for a model that memorizes its training data?")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"answer", "citations", "hits", "abstained"}
    assert payload["abstained"] is False and payload["hits"][0] == {
        "id": 14, "term": "Overfitting", "score": payload["hits"][0]["score"]}
    assert payload["citations"][0] == {"n": 1, "id": 14, "term": "Overfitting"}
    assert "[1]" in payload["answer"] and len(payload["hits"]) == 10


def test_search_json_and_text():
    done = run("search", "--json", "-k", "12", "batchnorm")
    payload = json.loads(done.stdout)
    assert len(payload["hits"]) == 12 and payload["hits"][0]["id"] == 18 and payload["abstained"] is False
    text = run("search", "pizza recipe").stdout
    assert "does not seem to cover this" in text


def test_check_and_build_check_pass_on_the_committed_files():
    assert run("check").returncode == 0
    done = subprocess.run([sys.executable, "scripts/build_index.py", "--check"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "is fresh" in done.stdout


@pytest.mark.parametrize("setup, message", [
    ("glossary", "field 'definition': Field required"),
    ("index", "no index here (manifest.json missing)"),
])
def test_errors_exit_non_zero_with_a_message(tmp_path, setup, message):
    glossary = tmp_path / "g"
    glossary.mkdir()
    body = "id: 1\nterm: X\n" if setup == "glossary" else "id: 1\nterm: X\ndefinition: x is y.\n"
    (glossary / "001.yaml").write_text(body, encoding="utf-8")
    done = run("--glossary", str(glossary), "--index", str(tmp_path / "idx"), "ask", "what is x")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_build_check_reports_stale(tmp_path):
    glossary = tmp_path / "g"
    glossary.mkdir()
    (glossary / "001.yaml").write_text("id: 1\nterm: X\ndefinition: x is y.\n", encoding="utf-8")
    base = [sys.executable, "scripts/build_index.py", "--glossary", str(glossary), "--index", str(tmp_path / "i")]
    assert subprocess.run(base, cwd=PROJECT_ROOT, capture_output=True, timeout=300).returncode == 0
    assert subprocess.run([*base, "--check"], cwd=PROJECT_ROOT, capture_output=True, timeout=300).returncode == 0
    (glossary / "001.yaml").write_text("id: 1\nterm: X\ndefinition: x is z.\n", encoding="utf-8")
    done = subprocess.run([*base, "--check"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "another version of the glossary" in done.stderr
