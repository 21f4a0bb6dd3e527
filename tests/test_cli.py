"""The command line: exit codes, messages and the JSON contract, run in-process on the session's model
(`cli.main`); the script wrapper and `python -m glossary_rag` are run as real processes once each (slow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from glossary_rag.settings import PROJECT_ROOT


@pytest.fixture
def run(capsys, encoder):
    """`python -m glossary_rag ARGS` in this process: (exit code, stdout, stderr)."""
    from glossary_rag.cli import main

    def run_cli(*args: str) -> subprocess.CompletedProcess:
        code = main(list(args), encoder=encoder)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)
    return run_cli


def test_ask_json_contract(run):
    done = run("ask", "--json", "what's the term for a model that memorizes its training data?")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"answer", "citations", "hits", "abstained", "outcome", "confidence"}
    assert payload["abstained"] is False and payload["hits"][0] == {
        "id": 14, "term": "Overfitting", "score": payload["hits"][0]["score"]}
    assert payload["citations"][0] == {"n": 1, "id": 14, "term": "Overfitting"}
    assert "[1]" in payload["answer"] and len(payload["hits"]) == 10


def test_search_json_and_text(run):
    done = run("search", "--json", "-k", "12", "batchnorm")
    payload = json.loads(done.stdout)
    assert len(payload["hits"]) == 12 and payload["hits"][0]["id"] == 18 and payload["abstained"] is False
    text = run("search", "pizza recipe").stdout
    assert "does not seem to cover this" in text


@pytest.mark.slow
def test_check_and_build_check_pass_on_the_committed_files(run):
    assert run("check").returncode == 0
    done = subprocess.run([sys.executable, "scripts/build_index.py", "--check"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "is fresh" in done.stdout


@pytest.mark.parametrize("setup, message", [
    ("glossary", "field 'definition': Field required"),
    ("index", "no index here (manifest.json missing)"),
])
def test_errors_exit_non_zero_with_a_message(run, tmp_path, setup, message):
    glossary = tmp_path / "g"
    glossary.mkdir()
    body = "id: 1\nterm: X\n" if setup == "glossary" else "id: 1\nterm: X\ndefinition: x is y.\n"
    (glossary / "001.yaml").write_text(body, encoding="utf-8")
    done = run("--glossary", str(glossary), "--index", str(tmp_path / "idx"), "ask", "what is x")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_build_check_reports_stale(run, tmp_path):
    glossary = tmp_path / "g"
    glossary.mkdir()
    (glossary / "001.yaml").write_text("id: 1\nterm: X\ndefinition: x is y.\n", encoding="utf-8")
    base = ["--glossary", str(glossary), "--index", str(tmp_path / "i"), "build"]
    assert run(*base).returncode == 0
    assert run(*base, "--check").returncode == 0
    (glossary / "001.yaml").write_text("id: 1\nterm: X\ndefinition: x is z.\n", encoding="utf-8")
    done = run(*base, "--check")
    assert done.returncode == 1 and "another version of the glossary" in done.stderr


@pytest.mark.slow
def test_python_m_glossary_rag_runs_as_a_process():
    """The entry point itself (__main__.py): a real interpreter, its exit code and its JSON on stdout."""
    done = subprocess.run([sys.executable, "-m", "glossary_rag", "search", "--json", "-k", "3", "dropout"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["hits"]) == 3


# --- export: in-process, since the subprocess is not the point (no model is loaded) ----------------------

IMPORT_FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "import"


def export(capsys, *args: str) -> tuple[int, str, str]:
    from glossary_rag.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["anki_deck.txt", "meetup_sheet.md", "keyed_by_slug.json"])
def test_export_json_prints_entries_and_warnings(capsys, tmp_path, name):
    from glossary_rag.glossary import load_glossary

    path = IMPORT_FIXTURES / name
    code, out, _ = export(capsys, "--glossary", str(path), "export", "--json")
    assert code == 0
    payload = json.loads(out)
    glossary = load_glossary(path)
    assert set(payload) == {"entries", "warnings"}
    assert payload["entries"] == [json.loads(e.model_dump_json()) for e in glossary.entries]
    assert {"id", "term", "aliases", "definition", "topic", "related"} <= set(payload["entries"][0])
    assert payload["warnings"] == [{"line": w.line, "message": w.message} for w in glossary.warnings]
    # What export --json prints imports back as the same entries (our own fields are kept).
    again = tmp_path / "again.json"
    again.write_text(out, encoding="utf-8")
    assert [e.model_dump() for e in load_glossary(again).entries] == [e.model_dump() for e in glossary.entries]


def test_export_to_a_folder_gives_the_same_entries(capsys, tmp_path):
    from glossary_rag.glossary import load_glossary

    path = IMPORT_FIXTURES / "anki_deck.txt"
    folder = tmp_path / "converted"
    code, out, err = export(capsys, "--glossary", str(path), "export", "--to", str(folder))
    assert code == 0 and f"Wrote 8 entries to {folder / 'entries'}" in out and "8 warnings" in err
    files = sorted(p.name for p in (folder / "entries").iterdir())
    assert files[:3] == ["001-activation-function.yaml", "002-relu.yaml", "004-stochastic-gradient-descent.yaml"]
    imported, converted = load_glossary(path), load_glossary(folder)
    assert [e.model_dump() for e in converted.entries] == [e.model_dump() for e in imported.entries]
    assert converted.content_hash == imported.content_hash and converted.warnings == ()  # same index folder name
    assert converted.entries[0].source == str(folder / "entries" / files[0])
    assert export(capsys, "--glossary", str(folder), "check")[0] == 0
    # An export never overwrites: a folder that holds anything is refused, and left as it was.
    code, _, err = export(capsys, "--glossary", str(path), "export", "--to", str(folder))
    assert code == 2 and "already exists and is not an empty folder" in err
    assert sorted(p.name for p in (folder / "entries").iterdir()) == files
    assert [p.name for p in tmp_path.iterdir()] == ["converted"]  # no staging folder left behind


def test_export_of_the_house_glossary_round_trips(capsys, tmp_path):
    from glossary_rag.glossary import load_glossary

    folder = tmp_path / "copy"
    assert export(capsys, "export", "--to", str(folder))[0] == 0
    house, copy = load_glossary(PROJECT_ROOT / "glossary"), load_glossary(folder)
    assert copy.content_hash == house.content_hash
    assert [c.model_dump() for c in copy.contrasts] == [c.model_dump() for c in house.contrasts]


def test_export_needs_a_target(capsys):
    from glossary_rag.cli import main

    with pytest.raises(SystemExit):
        main(["export"])
    assert "one of the arguments --json --to is required" in capsys.readouterr().err
