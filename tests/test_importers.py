"""Bring your own glossary: Markdown, delimited, JSON/YAML and plain-text imports with their quirks (inline
snippets here, one fixture file per real-world layout in tests/fixtures/import/), the report of what was
found, one loader for all of them, one index folder per glossary, and imported glossaries answering questions
end to end."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pytest

from glossary_rag.glossary import Entry, GlossaryError, load_glossary
from glossary_rag.importers import Finding, detect_format
from glossary_rag.index import index_dir_for
from glossary_rag.settings import PROJECT_ROOT, Settings
from tests.conftest import dedent, write_entry

SEED = PROJECT_ROOT.parent / "shared" / "seed" / "000_48387c7bfe7bf7ba.txt"
SEED_HASH = "771a605e5b9123ba28bed10b8722cbdae1c495370da0a8246b513885b4c9617d"
FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "import"

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
    glossary = report = load_glossary(path)
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
    assert (report.format, len(report.entries), report.warnings) == ("markdown", 5, (
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
    assert report.render_report().splitlines()[:2] == [
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
    glossary = report = load_glossary(write(tmp_path, "plain.markdown", text))
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
    report = load_glossary(write(tmp_path, "gap.md", text))
    assert report.warnings == ((5, "numbering skips 2-3 between entries 1 and 4"),)


def test_the_source_article(tmp_path):
    if not SEED.exists():
        pytest.skip("the source article is not beside this checkout")
    assert detect_format(SEED) == "markdown"  # a .txt file, recognised by its headings
    glossary = report = load_glossary(SEED)
    assert [e.id for e in glossary.entries] == list(range(1, 101)) and glossary.format == "markdown"
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
    recovered = [w for w in report.warnings if "so it becomes entry" in w.message]
    assert [w.line for w in recovered] == [41]
    assert glossary.content_hash == SEED_HASH  # byte for byte the entries the regex reader gave


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
    glossary = report = load_glossary(path)
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
    glossary = report = load_glossary(write(tmp_path, "terms.txt", text))
    assert report.format == "csv"
    assert [(e.id, e.term, e.topic) for e in glossary.entries] == [(10, "Epoch", "training"), (20, "Batch", "data")]


@pytest.mark.parametrize("text, expected", [
    ("term,aliases\nEpoch,epochs\n", r"terms\.csv, line 1: the header row names \['term', 'aliases'\] but not both"),
    # Nothing in the file can be read: refused, naming the file and the lines.
    ("term,definition\nEpoch,One pass, twice.\n",
     r"terms\.csv: no row could be read as an entry \(line 2: 3 fields but the header names 2; row skipped"),
    ("id,term,definition\nx,Batch,Some.\ny,Epoch,One.\n",
     r"terms\.csv: no row could be read as an entry \(line 2: id 'x' is not a whole number; row skipped.*"
     r"line 3: id 'y'"),
    ("id,term,definition\n1,Epoch,One pass.\n1,Batch,Some.\n",
     r"terms\.csv, line 3: entry 1, field 'id': duplicate id, also used in .*terms\.csv, line 2"),
    ("term,definition\n", r"terms\.csv: no entries found"),
])
def test_malformed_csv_names_file_and_line(tmp_path, text, expected):
    with pytest.raises(GlossaryError, match=expected):
        load_glossary(write(tmp_path, "terms.csv", text))


def html_deck(rows: int) -> tuple[str, list[tuple[str, str]]]:
    """A headerless pipe deck the way flashcard apps export it: every definition a quoted multi-line HTML cell
    with doubled quotes inside its attributes, and some cells a quoted part followed by more text (which a
    strict reader refuses and Python's csv module reads). Returns the text and each row's (term, definition)."""
    lines, expected = [], []
    for i in range(1, rows + 1):
        term = f"Term {i}"
        if i % 40 == 0:
            lines.append(f'{term}|"<b>Quoted</b> first" then the rest of definition {i}.')
            expected.append((term, f"Quoted first then the rest of definition {i}."))
            continue
        lines.append(f'{term}|"<div>Definition of <b>term {i}</b>, see <a href=""https://example.org/t/{i}?a=1&amp;b=2""'
                     f' target=""_blank"">the docs</a>.</div>\n<ul>\n  <li>first point</li>\n'
                     f'  <li>second &amp; <i>last</i><br/>one more line</li>\n</ul>"')
        expected.append((term, f"Definition of term {i}, see the docs.\nfirst point\nsecond & last\none more line"))
    return "\n".join(lines) + "\n", expected


def test_a_headerless_pipe_deck_of_multi_line_html_cells_imports_every_row(tmp_path):
    text, expected = html_deck(420)
    path = write(tmp_path, "deck.txt", text)
    # The premise: a standard reader reads every row, two cells each.
    assert [len(row) for row in csv.reader(io.StringIO(text), delimiter="|")] == [2] * 420
    glossary = load_glossary(path)
    assert glossary.format == "csv"
    assert [(e.id, e.term, e.definition) for e in glossary.entries] == [
        (i, term, definition) for i, (term, definition) in enumerate(expected, 1)]
    assert glossary.warnings == ((1, "no header row: column 1 read as the term, column 2 as the definition"),)


def test_malformed_rows_are_reported_by_line_and_skipped_and_the_good_rows_kept(tmp_path):
    text = dedent("""
        term|definition
        Epoch|One pass over the data.
        Batch|"An open quote that swallows the rows below it
        Momentum|Keeps a running average of the gradient.
        Dropout|Switches units off, as "regularization".
        Learning rate|The step size.|an extra cell
        Loss|"A ""closed"" quote
        over two lines."
        id|A row whose term is "id" is a row like any other.
        Weight|"Opened and
        never closed
        """)
    glossary = load_glossary(write(tmp_path, "deck.txt", text))
    assert [(e.id, e.term, e.definition) for e in glossary.entries] == [
        (1, "Epoch", "One pass over the data."),
        (3, "Momentum", "Keeps a running average of the gradient."),
        (4, "Dropout", 'Switches units off, as "regularization".'),
        (6, "Loss", 'A "closed" quote\nover two lines.'),
        (7, "id", 'A row whose term is "id" is a row like any other.')]
    assert glossary.warnings == (
        (3, "a quote opened on this line is not closed where its cell ends (it runs to line 5); row skipped, the "
            'lines after it read again as rows. Close the quote, or double a quote inside a cell (""like this"")'),
        (6, "3 fields but the header names 2; row skipped. Quote a cell that contains '|' (\"like| this\")"),
        (10, "a quote opened on this line is never closed (it runs to line 11); row skipped, the lines after it "
             'read again as rows. Close the quote, or double a quote inside a cell (""like this"")'),
        (11, "entry 9 'never closed' has an empty definition; skipped"))


def test_a_row_with_an_id_that_is_not_a_number_is_skipped(tmp_path):
    glossary = load_glossary(write(tmp_path, "terms.csv", "id,term,definition\n1,Epoch,One pass.\nx,Batch,Some.\n"))
    assert [(e.id, e.term) for e in glossary.entries] == [(1, "Epoch")]
    assert glossary.warnings == ((3, "id 'x' is not a whole number; row skipped. Give every row a number in the id "
                                     "column, or drop the column to number rows in order"),)


def test_export_json_of_the_html_deck_prints_every_entry_and_the_skipped_rows(tmp_path, capsys):
    from glossary_rag.cli import main

    text, expected = html_deck(300)
    path = write(tmp_path, "deck.txt", text + 'Broken|"never closed\n')
    assert main(["--glossary", str(path), "export", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(e["term"], e["definition"]) for e in payload["entries"]] == expected
    assert payload["warnings"] == [
        {"line": 1, "message": "no header row: column 1 read as the term, column 2 as the definition"},
        {"line": line_of(text + "Broken|", "Broken|"), "message": "a quote opened on this line is never closed (it "
         'runs to line ' + str(line_of(text + "Broken|", "Broken|")) + '); row skipped, the lines after it read '
         'again as rows. Close the quote, or double a quote inside a cell (""like this"")'}]


def test_json_without_ids(tmp_path):
    items = [{"term": "Dropout", "definition": "Zeroes random units.", "aliases": ["drop-out"],
              "descriptions": ["switching neurons off at random"], "example": "p=0.5"},
             {"term": "Momentum", "definition": "  "},
             {"term": "Epoch", "definition": "One pass.", "aliases": "epochs | passes", "topic": "training"}]
    path = write(tmp_path, "g.json", json.dumps(items, indent=2))
    glossary = report = load_glossary(path)
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
    ('{"term": "A", "definition": "a"}', r"g\.json, line 1: no entries found: expected a list of objects"),
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
        load_glossary(write(tmp_path, "g.json", text))


def test_our_yaml_folder_and_single_file(tmp_path):
    folder = tmp_path / "entries"
    write_entry(folder, 1, "Epoch", "One pass over the data.")
    glossary = report = load_glossary(folder)
    assert (glossary.format, glossary.warnings, glossary.by_id[1].term) == ("yaml", (), "Epoch")
    listed = write(tmp_path, "list.txt", "- id: 1\n  term: Epoch\n  definition: One pass.\n"
                                         "- id: 2\n  term: Batch\n  definition: Some examples.\n")
    glossary = report = load_glossary(listed)
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
        load_glossary(write(tmp_path, "notes.txt", "just some prose\n"))


def test_each_glossary_has_its_own_index_folder(tmp_path):
    one = load_glossary(write(tmp_path, "one.md", "## Epoch\nOne pass.\n"))
    two = load_glossary(write(tmp_path, "one.csv", "term,definition\nEpoch,One pass over the data.\n"))
    settings = Settings(glossary_path=tmp_path / "one.md", indexes_dir=tmp_path / "indexes")
    assert index_dir_for(settings, one) == tmp_path / "indexes" / f"one-{one.content_hash[:12]}"
    assert index_dir_for(dataclasses.replace(settings, glossary_path=tmp_path / "one.csv"), two) != \
        index_dir_for(settings, one)
    assert index_dir_for(dataclasses.replace(settings, index_dir=tmp_path / "mine"), one) == tmp_path / "mine"
    house = load_glossary(PROJECT_ROOT / "glossary")
    assert index_dir_for(Settings(), house) == PROJECT_ROOT / "index"


def test_cli_check_and_build_print_the_report(tmp_path, monkeypatch, capsys, encoder):
    from glossary_rag.cli import main

    monkeypatch.setenv("GLOSSARY_RAG_INDEXES_DIR", str(tmp_path / "indexes"))
    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    assert main(["--glossary", str(path), "check"]) == 0
    out, err = capsys.readouterr()
    assert "tiny.md: 5 entries, valid." in out and "7 warnings" in err and "entry 3 'Early Stopping'" in err
    assert main(["--glossary", str(path), "build"], encoder=encoder) == 0  # the session's model, not a copy
    out, err = capsys.readouterr()
    folder = tmp_path / "indexes" / f"tiny-{load_glossary(path).content_hash[:12]}"
    assert out.startswith(f"Built {folder}: 5 entries") and "skipped section 'Conclusion'" in err
    assert (folder / "manifest.json").is_file()
    assert main(["--glossary", str(path), "build", "--check"], encoder=encoder) == 0


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
    build_index(load_glossary(tiny_glossary), encoder, settings.index_dir, enriched=False, settings=settings)
    engine = Engine.load(settings, encoder=encoder)
    assert engine.index.manifest.enriched is False
    assert engine.search("drop-out").hits[0].term == "Dropout"


def test_a_missing_index_names_the_command_for_that_glossary(tmp_path, encoder):
    from glossary_rag.engine import Engine
    from glossary_rag.manifest import IndexMissingError

    path = write(tmp_path, "tiny.md", QUIRKY_MARKDOWN)
    settings = Settings(glossary_path=path, indexes_dir=tmp_path / "indexes")
    with pytest.raises(IndexMissingError, match=rf"no index here.*build_index\.py --glossary {path} --index "
                                                rf"{tmp_path / 'indexes'}/tiny-"):
        Engine.load(settings, encoder=encoder)


# --- One fixture per real-world layout (tests/fixtures/import/, written for these tests) -------------------

def fixture(name: str):
    """A fixture's path, and a function giving the line of the first line that contains a needle."""
    path = FIXTURES / name
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
    return path, lambda needle: line_of(text, needle)


def terms_of(glossary) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(e.id, e.term, e.aliases) for e in glossary.entries]


def assert_clean(glossary) -> None:
    """No HTML, Markdown marks or TeX left in what people will read, and every source names a real line."""
    for entry in glossary.entries:
        for text in (entry.term, entry.definition, *entry.aliases):
            assert not re.search(r"</?[a-z]+[^>]*>|&[a-z]+;|\*\*|\]\(|\\[a-z]+\{|\$", text), (entry.id, text)
        assert re.fullmatch(rf"{re.escape(str(glossary.path))}, line [1-9]\d*", entry.source)


def test_bullets_under_topic_headings():
    path, at = fixture("meetup_sheet.md")
    glossary = load_glossary(path)
    assert terms_of(glossary) == [(1, "Epoch", ()), (2, "Mini-batch", ()), (3, "Learning Rate", ("LR",)),
                                  (5, "Cross-Entropy Loss", ()), (6, "Perplexity", ()),
                                  (8, "Residual connection", ()), (9, "Attention head", ())]
    assert [e.topic for e in glossary.entries] == ["Training"] * 3 + ["Loss / Metrics"] * 2 + ["Architecture"] * 2
    assert glossary.by_id[2].definition.startswith("the small group of examples")  # "—" is a separator
    assert glossary.warnings == (
        (1, "skipped text under 'Deep Learning Meetup: Cheat Sheet': not a term and its definition"),
        (at("**Warmup**"), "entry 4 'Warmup' has an empty definition; skipped"),
        (at("**Calibration**"), "entry 7 'Calibration' has an empty definition; skipped"),
        (at("**Bottleneck**"), "entry 10 'Bottleneck' has an empty definition; skipped"),
        (at("## Links"), "skipped text under 'Links': not a term and its definition"))
    assert [e.source for e in glossary.entries][:1] == [f"{path}, line {at('**Epoch**')}"]
    assert_clean(glossary)


def test_heading_per_term_readme():
    path, at = fixture("readme_headings.md")
    glossary = load_glossary(path)
    assert terms_of(glossary) == [(1, "Neuron", ()), (2, "Activation Function", ()), (4, "Loss", ("Cost Function",)),
                                  (5, "Vanishing Gradient", ())]
    by_id = glossary.by_id
    assert "learned multipliers" in by_id[1].definition  # the ### Weights sub-entry stays in Neuron
    assert "σ(x) = (1)/(1 + e^(-x))" in by_id[2].definition and "def sigmoid" not in by_id[2].definition
    assert by_id[4].definition.endswith("L = -Σ_i y_i log p_i")
    assert by_id[5].definition == "Gradients shrink as they flow back through many layers, so early layers barely learn."
    assert glossary.warnings == (
        (1, "skipped section 'Neural Network Words': not an entry"),
        (at("## Table of Contents"), "skipped section 'Table of Contents': not an entry"),
        (at("## Gradient Clipping"), "entry 3 'Gradient Clipping' has an empty definition; skipped"),
        (at("## Tokenizer"), "entry 6 'Tokenizer' has an empty definition; skipped"),
        (at("## Contributing"), "skipped section 'Contributing': not an entry"))
    assert_clean(glossary)


@pytest.mark.parametrize("name, expected, warnings", [
    ("bold_terms.md", [(1, "Momentum", ()), (2, "Weight Decay", ()), (3, "Adam", ()), (4, "Nesterov Momentum", ())],
     [("Glossary of optimisation", "skipped text before the first heading: not a term and its definition")]),
    ("definition_list.md", [(1, "Dropout", ()), (2, "Early Stopping", ()), (3, "Label Smoothing", ())], []),
    ("term_table.md", [(1, "Precision", ("PPV",)), (2, "Recall", ("sensitivity", "TPR")), (3, "F1 Score", ())],
     [("# Evaluation glossary", "skipped text under 'Evaluation glossary': not a term and its definition"),
      ("| ROC AUC", "entry 4 'ROC AUC' has an empty definition; skipped")]),
    ("plain_terms.txt", [(1, "Overfitting", ()), (2, "Underfitting", ()), (3, "Bias–variance tradeoff", ()),
                         (4, "Regularization", ())],
     [("MACHINE LEARNING", "skipped text before the first term: not an entry"),
      ("Capacity:", "entry 5 'Capacity' has an empty definition; skipped")]),
    ("anki_directives.txt", [(1, "Perceptron", ()), (2, "Backpropagation", ())], []),
    ("semicolon_bom.csv", [(1, "Tensor", ("ndarray", "multi-array")), (2, "Embedding", ()), (3, "Kernel", ("filter",))],
     [("Name;Meaning", "column 'Source' is not used (known columns: id, term, definition, aliases, topic)")]),
    ("keyed_by_slug.json", [(1, "Backpropagation", ()), (2, "weight initialization", ("weight init",)),
                            (3, "Batch Normalization", ("BatchNorm", "BN"))],
     [('"vanishing-gradient"', "entry 4 'Vanishing Gradient' has an empty definition; skipped")]),
    ("term_map.json", [(1, "Logit", ()), (2, "Temperature", ()), (3, "Top-k sampling", ())], []),
    ("nested_list.json", [(1, "Autoencoder", ()), (2, "Latent space", ()), (3, "Decoder", ())],
     [('"Latent space"', "field 'notes' is not an entry field; ignored")]),
    ("records.jsonl", [(1, "Transformer", ()), (2, "Self-attention", ()), (3, "Positional encoding", ())], []),
    ("keyed_terms.yaml", [(1, "Gradient", ("grad",)), (2, "Hessian", ()), (3, "Jacobian", ())],
     [("Saddle point", "entry 4 'Saddle point' has an empty definition; skipped")]),
])
def test_each_layout(name, expected, warnings):
    path, at = fixture(name)
    glossary = load_glossary(path)
    assert terms_of(glossary) == expected
    assert glossary.warnings == tuple((at(needle), message) for needle, message in warnings)
    assert_clean(glossary)


def test_layout_specifics():
    assert load_glossary(FIXTURES / "bold_terms.md").by_id[3].definition.startswith("An optimiser that scales")
    assert load_glossary(FIXTURES / "definition_list.md").by_id[3].definition == (
        "Replaces hard one-hot targets with slightly softened ones. It discourages over-confident predictions.")
    directives = load_glossary(FIXTURES / "anki_directives.txt")
    assert [e.topic for e in directives.entries] == ["basics", "basics"]  # the #columns: line named Tags
    assert directives.by_id[2].definition.endswith("layer by layer.")
    assert load_glossary(FIXTURES / "plain_terms.txt").by_id[1].definition == (
        "when a model learns the noise of its training data and so does worse on new data.")
    assert load_glossary(FIXTURES / "keyed_by_slug.json").by_id[1].topic == "training"  # first tag
    assert load_glossary(FIXTURES / "term_map.json").by_id[3].definition == (
        "Sampling the next token from the k most likely ones. It cuts off the unreliable tail.")


def test_headerless_pipe_export_with_html_cross_references_and_duplicates():
    path, at = fixture("anki_deck.txt")
    assert detect_format(path) == "csv"  # a .txt file, sniffed as pipe-delimited
    glossary = load_glossary(path)
    assert terms_of(glossary) == [
        (1, "Activation function", ()), (2, "ReLU", ("Rectified linear unit",)),
        (4, "Stochastic gradient descent", ("SGD", "Gradient descent")), (7, "Batch size", ()), (9, "Epoch", ()),
        (10, "Epoch", ()), (12, "Softmax", ()), (13, "Convex function", ())]
    by_id = glossary.by_id
    assert by_id[1].definition == ("A function applied to a neuron's weighted sum, such as ReLU or sigmoid, that "
                                   "makes the network nonlinear.")
    assert by_id[2].definition == ("Rectified linear unit: returns its input when positive and zero otherwise.\n"
                                   "cheap to compute\ndoes not saturate for positive inputs")
    assert "mini-batch & updates" in by_id[4].definition and "exp(z_i) / Σ exp(z_j)" in by_id[12].definition
    assert glossary.warnings == (
        (1, "no header row: column 1 read as the term, column 2 as the definition (column 3 ignored)"),
        (at("Rectified linear unit|"), "'Rectified linear unit' only says 'Synonym for ReLU.': made it an alias of "
                                       "entry 2 'ReLU'"),
        (at("SGD|"), "'SGD' only says 'Abbreviation for stochastic gradient descent.': made it an alias of entry 4 "
                     "'Stochastic gradient descent'"),
        (at("Gradient descent|See"), "'Gradient descent' only says 'See stochastic gradient descent.': made it an "
                                     "alias of entry 4 'Stochastic gradient descent'"),
        (at("Batch size") + 1, "term 'Batch size' repeats entry 7 'Batch size' (line 9) with the same definition; "
                               "merged"),
        (at("Epoch|Each"), f"term 'Epoch' repeats entry 9 'Epoch' (line {at('Epoch|')})"),
        (at("Hidden layer"), "entry 11 'Hidden layer' has an empty definition; skipped"),
        (at("Convex function"), "'Convex function' only refers to 'convexity', which is not in this glossary; kept "
                                "as an entry"))
    assert_clean(glossary)


def test_a_file_that_is_not_utf8_is_read_and_reported():
    path, at = fixture("cp1252_terms.tsv")
    glossary = load_glossary(path)
    assert [e.term for e in glossary.entries] == ["Café model", "Señal"]
    assert glossary.by_id[1].definition == ("A toy model named after the café where it was sketched — used in naïve "
                                            "examples.")
    assert glossary.warnings == ((2, "not UTF-8 (first odd byte on this line); read as cp1252. Save the file as "
                                     "UTF-8 to be sure"),)


@pytest.mark.parametrize("text, expected", [
    ("- **Epoch** – one pass\n- **Batch** = some rows\n", [("Epoch", "one pass"), ("Batch", "some rows")]),
    ("- **Epoch:** one pass\n- **Batch (B)**: some rows\n", [("Epoch", "one pass"), ("Batch", "some rows")]),
    ("* Epoch: one [pass](http://x) ![img](i.png)\n* Batch — `rows` <em>here</em>\n",
     [("Epoch", "one pass"), ("Batch", "rows here")]),
    ("**Note**: this is not a term.\n\n**Epoch**: one pass\n\n**Batch**: some rows\n",
     [("Epoch", "one pass"), ("Batch", "some rows")]),
    ("## Epoch\nOne pass with 😀 emoji.\n\n## Batch\nSome rows.\n", [("Epoch", "One pass with 😀 emoji."),
                                                                   ("Batch", "Some rows.")]),
])
def test_markdown_inline_variants(tmp_path, text, expected):
    glossary = load_glossary(write(tmp_path, "g.md", text))
    assert [(e.term, e.definition) for e in glossary.entries] == expected


@pytest.mark.parametrize("text, delimiter_row", [
    ("Epoch\tOne pass.\nBatch\tSome, many, rows.\n", "tab"),
    ("Epoch;One pass.\nBatch;Some, many, rows.\n", "semicolon"),
    ('Epoch,"One pass, again."\nBatch,Some rows.\n', "comma"),
])
def test_delimiter_is_sniffed(tmp_path, text, delimiter_row):
    glossary = load_glossary(write(tmp_path, f"{delimiter_row}.csv", text))
    assert [e.term for e in glossary.entries] == ["Epoch", "Batch"]
    assert "," in glossary.entries[-1].definition or "," in glossary.entries[0].definition


def test_importers_do_not_import_the_loader():
    """No import cycle: glossary.py builds on the importers, never the other way round."""
    import ast

    from glossary_rag.importers.records import EXTRA_FIELDS

    for module in (PROJECT_ROOT / "glossary_rag" / "importers").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and not _under_type_checking(tree, node)}
        assert "glossary_rag.glossary" not in imported, module.name
    assert set(EXTRA_FIELDS) == set(Entry.model_fields) - {"id", "term", "definition", "aliases", "topic", "source"}


def _under_type_checking(tree, target) -> bool:
    import ast

    return any(isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
               and any(child is target for child in ast.walk(node)) for node in ast.walk(tree))


def make_large_deck(path, count: int):
    """A headerless, pipe-delimited deck of `count` made-up terms with HTML and multi-line cells."""
    words = "signal noise layer kernel gradient token margin bucket vector tensor filter window".split()
    rows = []
    for i in range(count):
        a, b, c = words[i % 12], words[(i // 12) % 12], words[(i // 144) % 12]
        rows.append(f'{a.title()} {b} {c} {i}|"The <b>{a}</b> of a {b},\nmeasured per {c} (item {i})."|tag{i % 7}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_few_thousand_entries(tmp_path):
    glossary = load_glossary(make_large_deck(tmp_path / "large.txt", 4000))
    assert len(glossary.entries) == 4000 and glossary.entries[-1].id == 4000
    assert glossary.entries[-1].source == f"{tmp_path / 'large.txt'}, line 7999"
    assert glossary.by_id[13].definition == "The signal of a noise, measured per signal (item 12)."
    assert glossary.warnings == ((1, "no header row: column 1 read as the term, column 2 as the definition "
                                     "(column 3 ignored)"),)


@pytest.mark.parametrize("name, question, expected", [
    ("anki_deck.txt", "what is a rectified linear unit?", (2, "ReLU")),  # named by a "Synonym for" row
    ("anki_deck.txt", "what does SGD mean?", (4, "Stochastic gradient descent")),
    ("meetup_sheet.md", "what sets how far each update moves the weights?", (3, "Learning Rate")),
    ("readme_headings.md", "why do the early layers of a deep network barely learn?", (5, "Vanishing Gradient")),
])
def test_a_question_over_an_imported_file_cites_the_right_entry(tmp_path, encoder, name, question, expected):
    from glossary_rag.engine import Engine

    settings = Settings(glossary_path=FIXTURES / name, indexes_dir=tmp_path / "indexes")
    engine = Engine.load(settings, rebuild=True, encoder=encoder)
    answer = engine.ask(question)
    assert (answer.citations[0].id, answer.citations[0].term) == expected
    assert engine.glossary.by_id[expected[0]].definition.split()[0] in answer.text
