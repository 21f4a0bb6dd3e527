"""Bring your own glossary: Markdown, CSV, JSON and YAML imports with their quirks, the report of what was
found, one index folder per glossary, and an imported glossary answering questions end to end."""

from __future__ import annotations

import dataclasses
import json

import pytest

from glossary_rag.glossary import Entry, GlossaryError, load_glossary
from glossary_rag.importers import Finding, ImportReport, detect_format, import_glossary
from glossary_rag.settings import PROJECT_ROOT, Settings, index_dir_for
from tests.conftest import dedent, write_entry

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_48387c7bfe7bf7ba.txt"

# A Markdown glossary with every quirk of the source article, and two more: a duplicate term and an entry
# whose heading has nothing under it.
QUIRKY_MARKDOWN = dedent("""
    # Tiny Deep Learning Glossary

    ## Introduction

    Jargon is hard. This glossary helps.

    ## The Terms

    ### 1. Dropout

    Dropout randomly switches off units while a network trains.

    ### 2. Overfitting (continued)

    A model overfits when it memorises its training set.

    There are two cures:

    - less capacity
    - more data

    Early stopping refers to ending training once the validation loss starts to rise.

    ### 4. Learning Rate (LR)

    The learning rate sets the size of each **update**, see [the docs](https://example.org).

    ### 5. Momentum

    ### 6. Dropout

    Dropout again, said differently.

    ## Conclusion

    That is all you need.

    ## Want to go further?

    Enroll in our Deep Learning course today!
    """)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_quirks(tmp_path):
    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    glossary, report = import_glossary(path)
    source = f"{path}, line {line_of(QUIRKY_MARKDOWN, '1. Dropout')}"
    assert glossary.entries[0] == Entry(id=1, term="Dropout", source=source,
                                        definition="Dropout randomly switches off units while a network trains.")
    assert [(e.id, e.term, e.aliases, e.definition) for e in glossary.entries] == [
        (1, "Dropout", (), "Dropout randomly switches off units while a network trains."),
        (2, "Overfitting", (), "A model overfits when it memorises its training set. There are two cures: "
                               "less capacity; more data."),
        (3, "Early Stopping", (), "Early stopping refers to ending training once the validation loss starts to "
                                  "rise."),
        (4, "Learning Rate", ("LR",), "The learning rate sets the size of each update, see the docs."),
        (6, "Dropout", (), "Dropout again, said differently."),
    ]
    assert all(e.topic == "general" and not e.related and not e.descriptions and not e.questions
               for e in glossary.entries)
    at = lambda needle: line_of(QUIRKY_MARKDOWN, needle)  # noqa: E731
    assert report == ImportReport(path, "markdown", 5, (
        Finding(at("## Introduction"), "skipped section 'Introduction': not an entry"),
        Finding(at("2. Overfitting"), "heading 'Overfitting (continued)': dropped '(continued)' from the term"),
        Finding(at("Early stopping refers"), "paragraph with no heading under entry 2 'Overfitting'; the "
                                             "numbering skips 3 here, so it becomes entry 3 'Early Stopping'"),
        Finding(at("5. Momentum"), "entry 5 'Momentum' has an empty definition; skipped"),
        Finding(at("6. Dropout"), f"term 'Dropout' repeats entry 1 'Dropout' (line {at('1. Dropout')})"),
        Finding(at("## Conclusion"), "skipped section 'Conclusion': not an entry"),
        Finding(at("## Want to go further?"), "skipped section 'Want to go further?': not an entry"),
    ))
    assert "course" not in " ".join(e.definition for e in glossary.entries)
    assert report.render().splitlines()[:2] == [
        f"{path}: markdown glossary, 5 entries, 7 warnings",
        f"  line {at('## Introduction')}: skipped section 'Introduction': not an entry"]


def test_markdown_without_numbers_and_a_headless_paragraph_kept(tmp_path):
    text = dedent("""
        Some words before any heading.

        # Glossary

        ## Epoch

        One full pass over the training data.

        Gradient noise is what makes each pass differ.

        ## Batch
        The examples used for one update.

        ---

        Subscribe to our newsletter!

        ## Summary

        Two terms.
        """)
    glossary, report = import_glossary(write(tmp_path, "plain.markdown", text))
    assert [(e.id, e.term) for e in glossary.entries] == [(1, "Epoch"), (2, "Batch")]
    assert glossary.by_id[1].definition == ("One full pass over the training data. Gradient noise is what makes "
                                            "each pass differ.")
    assert report.warnings == (
        (1, "skipped text before the first heading: not an entry"),
        (line_of(text, "Gradient noise"), "paragraph with no heading under entry 'Epoch' reads like the "
                                          "definition of 'Gradient noise'; kept in that entry"),
        (line_of(text, "---"), "skipped text after a horizontal rule: not an entry"),
        (line_of(text, "## Summary"), "skipped section 'Summary': not an entry"),
    )


def test_markdown_reports_a_gap_it_cannot_fill(tmp_path):
    text = "### 1. Epoch\n\nOne pass.\n\n### 4. Batch\n\nSome examples.\n"
    _, report = import_glossary(write(tmp_path, "gap.md", text))
    assert report.warnings == ((5, "numbering skips 2-3 between entries 1 and 4"),)


def test_the_source_article(tmp_path):
    if not SEED.exists():
        pytest.skip("the source article is not beside this checkout")
    assert detect_format(SEED) == "markdown"  # a .txt file, recognised by its headings
    glossary, report = import_glossary(SEED)
    assert [e.id for e in glossary.entries] == list(range(1, 101)) and report.entries == 100
    by_id = glossary.by_id
    assert (by_id[7].term, by_id[79].term, by_id[97].term) == ("Feature Extraction", "Self-Attention", "Pooling")
    assert by_id[7].definition.startswith("Feature extraction refers to transforming raw data")
    assert (by_id[1].term, by_id[1].aliases) == ("Artificial Neural Network", ("ANN",))
    assert (by_id[33].term, by_id[33].aliases) == ("Long Short-Term Memory", ("LSTM",))
    assert "Feature extraction" not in by_id[6].definition
    assert (41, "paragraph with no heading under entry 6 'Epoch'; the numbering skips 7 here, so it becomes "
                "entry 7 'Feature Extraction'") in report.warnings
    skipped = [w for w in report.warnings if w.message.startswith("skipped section")]
    assert [w.line for w in skipped] == [1, 9, 13, 430]  # Introduction ... Conclusion
    text = " ".join(e.definition for e in glossary.entries)
    assert "Ever felt overwhelmed" not in text and "With these 100 deep learning terms" not in text
    assert load_glossary(SEED) == glossary  # load_glossary dispatches by format too


CSV = dedent("""
    term,definition,aliases,source
    Dropout,"Randomly zeroes units while training, to curb overfitting.",drop-out; dropout regularization,wiki
    Learning Rate,The step size of each update.,lr | step size,
    Momentum,,,
    dropout,Said again.,,
    Batch,"The examples used
    for one update.",,
    """)


def test_csv_with_aliases_and_assigned_ids(tmp_path):
    path = write(tmp_path, "terms.csv", CSV)
    glossary, report = import_glossary(path)
    assert [(e.id, e.term, e.aliases, e.definition) for e in glossary.entries] == [
        (1, "Dropout", ("drop-out", "dropout regularization"),
         "Randomly zeroes units while training, to curb overfitting."),
        (2, "Learning Rate", ("lr", "step size"), "The step size of each update."),
        (4, "dropout", (), "Said again."),
        (5, "Batch", (), "The examples used\nfor one update."),
    ]
    assert glossary.entries[-1].source == f"{path}, line 6"
    assert report.warnings == (
        (1, "column 'source' is not used (known columns: id, term, definition, aliases, topic)"),
        (4, "entry 3 'Momentum' has an empty definition; skipped"),
        (5, "term 'dropout' repeats entry 1 'Dropout' (line 2)"),
    )


def test_csv_with_ids_semicolons_and_detected_by_content(tmp_path):
    text = "id;term;definition;topic\n10;Epoch;One pass over the data.;training\n20;Batch;A few examples.;data\n"
    glossary, report = import_glossary(write(tmp_path, "terms.txt", text))
    assert report.format == "csv"
    assert [(e.id, e.term, e.topic) for e in glossary.entries] == [(10, "Epoch", "training"), (20, "Batch", "data")]


@pytest.mark.parametrize("text, expected", [
    ("word,text\nEpoch,One pass.\n", r"terms\.csv, line 1: the header row must name a 'term' and a 'definition'"),
    ("term,definition\nEpoch,One pass, twice.\n", r"terms\.csv, line 2: 3 fields but the header names 2"),
    ("term,definition\nEpoch,One pass.\nBatch,\"unclosed\nstill open\n", r"terms\.csv, line 3: malformed CSV"),
    ("id,term,definition\n1,Epoch,One pass.\nx,Batch,Some.\n", r"terms\.csv, line 3: id 'x' is not a whole number"),
    ("id,term,definition\n1,Epoch,One pass.\n1,Batch,Some.\n",
     r"terms\.csv, line 3: entry 1, field 'id': duplicate id, also used in .*terms\.csv, line 2"),
    ("term,definition\n", r"terms\.csv: no entries found"),
])
def test_malformed_csv_names_file_and_line(tmp_path, text, expected):
    with pytest.raises(GlossaryError, match=expected):
        import_glossary(write(tmp_path, "terms.csv", text))


def test_json_without_ids(tmp_path):
    items = [{"term": "Dropout", "definition": "Zeroes random units.", "aliases": ["drop-out"],
              "descriptions": ["switching neurons off at random"], "example": "p=0.5"},
             {"term": "Momentum", "definition": "  "},
             {"term": "Epoch", "definition": "One pass.", "aliases": "epochs | passes", "topic": "training"}]
    path = write(tmp_path, "g.json", json.dumps(items, indent=2))
    glossary, report = import_glossary(path)
    assert glossary.entries == (  # each object's line is where its "{" opens
        Entry(id=1, term="Dropout", aliases=("drop-out",), definition="Zeroes random units.",
              descriptions=("switching neurons off at random",), source=f"{path}, line 2"),
        Entry(id=3, term="Epoch", aliases=("epochs", "passes"), topic="training", definition="One pass.",
              source=f"{path}, line 17"))
    assert report.warnings == ((2, "field 'example' is not an entry field; ignored"),
                               (13, "entry 2 'Momentum' has an empty definition; skipped"))


@pytest.mark.parametrize("text, expected", [
    ('[\n  {"term": "A", "definition": "a"},\n  {"term": "B" "definition": "b"}\n]',
     r"g\.json, line 3, column 16: invalid JSON: Expecting ','"),
    ('{"term": "A", "definition": "a"}', r"g\.json, line 1: expected a list of entries"),
    ('[\n  {"term": "A", "definition": "a"},\n  "B"\n]', r"g\.json, line 3: entry 2 should be an object"),
    ('[{"id": 1, "term": "A", "definition": "a"},\n {"term": "B", "definition": "b"}]',
     r"g\.json, line 2: entry 2 \(B\) has no 'id' while others do"),
    ('[{"term": "A", "definition": "a"},\n {"term": "B", "definition": "b", "related": [9]}]',
     r"g\.json, line 2: entry 2 \(B\), field 'related': id 9 does not exist"),
    ('[{"term": "A", "definition": "a"},\n {"term": "B", "definition": "b", "related": "x"}]',
     r"g\.json, line 2: entry 2 \(B\), field 'related': Input should be a valid tuple"),
])
def test_malformed_json_names_file_and_line(tmp_path, text, expected):
    with pytest.raises(GlossaryError, match=expected):
        import_glossary(write(tmp_path, "g.json", text))


def test_our_yaml_folder_and_single_file(tmp_path):
    folder = tmp_path / "entries"
    write_entry(folder, 1, "Epoch", "One pass over the data.")
    glossary, report = import_glossary(folder)
    assert report == ImportReport(folder, "yaml", 1) and glossary.by_id[1].term == "Epoch"
    listed = write(tmp_path, "list.txt", "- id: 1\n  term: Epoch\n  definition: One pass.\n"
                                         "- id: 2\n  term: Batch\n  definition: Some examples.\n")
    glossary, report = import_glossary(listed)
    assert report.format == "yaml" and [e.term for e in glossary.entries] == ["Epoch", "Batch"]


@pytest.mark.parametrize("name, text, expected", [
    ("a.md", "anything", "markdown"), ("a.csv", "x", "csv"), ("a.tsv", "x", "csv"), ("a.json", "x", "json"),
    ("a.yml", "x", "yaml"), ("a.txt", "### 1. Epoch\nOne pass.\n", "markdown"),
    ("a", ' [{"term": "A", "definition": "a"}]', "json"), ("a.txt", "Term|Definition\nA|a\n", "csv"),
])
def test_detect_format(tmp_path, name, text, expected):
    assert detect_format(write(tmp_path, name, text)) == expected


def test_unknown_format_is_named(tmp_path):
    with pytest.raises(GlossaryError, match=r"notes\.txt: cannot tell this file's format"):
        import_glossary(write(tmp_path, "notes.txt", "just some prose\n"))


def test_each_glossary_has_its_own_index_folder(tmp_path):
    one = import_glossary(write(tmp_path, "one.md", "## Epoch\nOne pass.\n"))[0]
    two = import_glossary(write(tmp_path, "one.csv", "term,definition\nEpoch,One pass over the data.\n"))[0]
    settings = Settings(glossary_path=tmp_path / "one.md", indexes_dir=tmp_path / "indexes")
    assert index_dir_for(settings, one) == tmp_path / "indexes" / f"one-{one.content_hash[:12]}"
    assert index_dir_for(dataclasses.replace(settings, glossary_path=tmp_path / "one.csv"), two) != \
        index_dir_for(settings, one)
    assert index_dir_for(dataclasses.replace(settings, index_dir=tmp_path / "mine"), one) == tmp_path / "mine"
    house = load_glossary(PROJECT_ROOT / "glossary")
    assert index_dir_for(Settings(), house) == PROJECT_ROOT / "index"


def test_cli_check_and_build_print_the_report(tmp_path, monkeypatch, capsys, encoder):
    from glossary_rag import build
    from glossary_rag.cli import main

    monkeypatch.setattr(build, "load_encoder", lambda model: encoder)  # the session's model, not a second copy
    monkeypatch.setenv("GLOSSARY_RAG_INDEXES_DIR", str(tmp_path / "indexes"))
    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    assert main(["--glossary", str(path), "check"]) == 0
    out, err = capsys.readouterr()
    assert "tiny.md: 5 entries, valid." in out and "7 warnings" in err and "entry 3 'Early Stopping'" in err
    assert main(["--glossary", str(path), "build"]) == 0
    out, err = capsys.readouterr()
    folder = tmp_path / "indexes" / f"tiny-{import_glossary(path)[0].content_hash[:12]}"
    assert out.startswith(f"Built {folder}: 5 entries") and "skipped section 'Conclusion'" in err
    assert (folder / "manifest.json").is_file()
    assert main(["--glossary", str(path), "build", "--check"]) == 0


def test_imported_glossary_answers_with_its_own_index(tmp_path, encoder):
    from glossary_rag.engine import Engine

    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    house_manifest = (PROJECT_ROOT / "index" / "manifest.json").read_bytes()
    settings = Settings(glossary_path=path, indexes_dir=tmp_path / "indexes")
    engine = Engine.load(settings, rebuild=True, encoder=encoder)  # first use builds the index
    assert engine.settings.index_dir.parent == tmp_path / "indexes"
    assert engine.index.manifest.glossary_name == "tiny" and engine.index.manifest.entries == 5
    answer = engine.ask("how do I decide when to halt training before the validation loss gets worse?")
    assert answer.citations[0].id == 3 and answer.citations[0].term == "Early Stopping"
    assert {c.id for c in answer.citations} <= {e.id for e in engine.glossary.entries}
    assert engine.ask("what is the learning rate?").citations[0].term == "Learning Rate"
    again = Engine.load(settings, encoder=encoder)  # no rebuild needed: same folder, fresh
    assert again.index.manifest == engine.index.manifest
    assert (PROJECT_ROOT / "index" / "manifest.json").read_bytes() == house_manifest


def test_an_index_without_enrichment_loads_and_searches(tmp_path, tiny_glossary, settings_in, encoder):
    from glossary_rag.engine import Engine
    from glossary_rag.index import build_index

    settings = settings_in(tiny_glossary)
    build_index(load_glossary(tiny_glossary), encoder, settings.index_dir, enriched=False)
    engine = Engine.load(settings, encoder=encoder)
    assert engine.index.manifest.enriched is False
    assert engine.search("drop-out").hits[0].term == "Dropout"


def test_a_missing_index_names_the_command_for_that_glossary(tmp_path, encoder):
    from glossary_rag.engine import Engine
    from glossary_rag.index import IndexMissingError

    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    settings = Settings(glossary_path=path, indexes_dir=tmp_path / "indexes")
    with pytest.raises(IndexMissingError, match=rf"no index here.*build_index\.py --glossary {path} --index "
                                                rf"{tmp_path / 'indexes'}/tiny-"):
        Engine.load(settings, encoder=encoder)
