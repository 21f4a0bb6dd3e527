"""The loader: the real glossary is valid and complete; every broken file gives a message naming it."""

from __future__ import annotations

import re

import pytest

from glossary_rag.glossary import Contrast, GlossaryError, load_glossary
from glossary_rag.passages import split_sentences
from glossary_rag.settings import PROJECT_ROOT
from tests.conftest import write_entry


def test_real_glossary_has_the_articles_100_entries_then_the_core_terms_learners_ask_about():
    glossary = load_glossary(PROJECT_ROOT / "glossary", require_enrichment=True)
    ids = [e.id for e in glossary.entries]
    assert ids[:100] == list(range(1, 101)) and ids[100:] == list(range(101, len(ids) + 1)) and len(ids) >= 125
    assert {glossary.by_id[i].term for i in (101, 102, 114, 115)} == {
        "Embedding", "Large Language Model", "Adam Optimizer", "ReLU"}
    assert glossary.by_id[7].term == "Feature Extraction"
    assert glossary.by_id[79].term == "Self-Attention"
    assert glossary.by_id[97].term == "Pooling"
    assert not [e.term for e in glossary.entries if "continued" in e.term.lower()]


def test_near_duplicates_are_linked_both_ways():
    glossary = load_glossary(PROJECT_ROOT / "glossary")
    for group in ([21, 60, 100], [25, 97], [26, 99], [2, 51], [22, 83]):
        for a in group:
            assert set(group) - {a} <= set(glossary.by_id[a].same_as), (a, group)


def test_definitions_are_our_own_words():
    # No definition may share a run of 8 words with the source article.
    article = (PROJECT_ROOT.parent / "shared" / "seed" / "000_48387c7bfe7bf7ba.txt")
    if not article.exists():
        pytest.skip("the source article is not beside this checkout")
    words = re.findall(r"\w+", article.read_text(encoding="utf-8").lower())
    shingles = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
    for entry in load_glossary(PROJECT_ROOT / "glossary").entries:
        own = re.findall(r"\w+", entry.definition.lower())
        copied = [" ".join(own[i:i + 8]) for i in range(len(own) - 7) if " ".join(own[i:i + 8]) in shingles]
        assert not copied, (entry.id, copied[:2])


def test_content_hash_ignores_formatting(tmp_path):
    a = write_entry(tmp_path / "a", 1, "Epoch", "An epoch is one pass over the data.")
    b = tmp_path / "b"
    b.mkdir()
    (b / "001.yaml").write_text("# comment\nid: 1\nterm:   Epoch\ndefinition: >-\n  An epoch is one pass over the "
                                "data.\n", encoding="utf-8")
    assert load_glossary(a.parent).content_hash == load_glossary(b).content_hash


@pytest.mark.parametrize("content, expected", [
    ("id: 1\nterm: X\ndefinition: [unclosed\n", r"001\.yaml: invalid YAML at line \d+"),
    ("id: 1\nterm: X\n", r"001\.yaml, line 1: entry 1, field 'definition': Field required"),
    ("id: 1\nterm: X\ndefinition: '   '\n", r"line 3: entry 1, field 'definition'"),
    ("id: one\nterm: X\ndefinition: d\n", r"line 1: entry one, field 'id'"),
    ("id: 1\nterm: X\ndefinition: d\nrelated: [42]\n", r"entry 1 \(X\), field 'related': id 42 does not exist"),
    ("id: 1\nterm: X\ndefinition: d\ncolour: red\n", r"field 'colour': Extra inputs are not permitted"),
    ("id: 1\nterm: Dropout\ndefinition: d\ndescriptions: ['use dropout here']\n", r"names the entry \('Dropout'\)"),
    ("- just\n- a list\n", r"expected a mapping of fields"),
])
def test_broken_entry_is_named(tmp_path, content, expected):
    (tmp_path / "001.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError, match=expected):
        load_glossary(tmp_path)


def test_duplicate_id_names_both_files(tmp_path):
    write_entry(tmp_path, 1, "A", "a")
    (tmp_path / "other.yaml").write_text("id: 1\nterm: B\ndefinition: b\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"other\.yaml: entry 1, field 'id': duplicate id, also used in .*001\.yaml"):
        load_glossary(tmp_path)


def test_same_as_must_link_back(tmp_path):
    write_entry(tmp_path, 1, "A", "a", same_as=[2])
    write_entry(tmp_path, 2, "B", "b")
    with pytest.raises(GlossaryError, match=r"002\.yaml does not list 1 back"):
        load_glossary(tmp_path)


def test_not_utf8_and_missing_folder(tmp_path):
    (tmp_path / "001.yaml").write_bytes(b"id: 1\nterm: \xff\xfe\ndefinition: d\n")
    with pytest.raises(GlossaryError, match=r"001\.yaml: not valid UTF-8"):
        load_glossary(tmp_path)
    with pytest.raises(GlossaryError, match=r"nowhere: no glossary here"):
        load_glossary(tmp_path / "nowhere")


# --- Examples and contrasts ----------------------------------------------------------------------------------

def write_pair(folder, **activation_fields):
    write_entry(folder / "entries", 1, "Softmax Function", "Softmax turns scores into probabilities. They sum to one.",
                aliases=["softmax"])
    return write_entry(folder / "entries", 2, "Activation Function", "An activation function shapes a neuron's "
                       "output. It follows the weighted sum.", **activation_fields)


def test_examples_and_contrasts_load(tmp_path):
    write_pair(tmp_path, examples=["sigmoid", "ReLU"],
               descriptions=["the curve after a neuron's sum, such as sigmoid"])  # an example is not a name leak
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("# how confused pairs differ\n- between: [2, 1]\n  note: Softmax acts on a whole vector, "
                         "an activation function on one number.\n", encoding="utf-8")
    glossary = load_glossary(tmp_path)
    assert glossary.by_id[2].examples == ("sigmoid", "ReLU")
    assert glossary.contrasts == (Contrast(between=(2, 1), source=f"{contrasts}, line 2",
                                           note="Softmax acts on a whole vector, an activation function on one "
                                                "number."),)
    assert glossary.contrast(1, 2) is glossary.contrast(2, 1) is glossary.contrasts[0]
    assert glossary.contrast(1, 1) is None


def test_an_empty_or_missing_contrasts_file_means_no_contrasts(tmp_path):
    write_pair(tmp_path)
    assert load_glossary(tmp_path).contrasts == ()
    (tmp_path / "contrasts.yaml").write_text("# none yet\n", encoding="utf-8")
    assert load_glossary(tmp_path).contrasts == ()


@pytest.mark.parametrize("content, expected", [
    ("- between: [1, 2]\n  note: a\n- between: [1, 42]\n  note: b\n",
     r"contrasts\.yaml, line 3: contrast 1/42: id 42 does not exist\. Use the id of an entry"),
    ("- between: [1, 2]\n  note: a\n- between: [2, 1]\n  note: b\n",
     r"contrasts\.yaml, line 3: contrast 2/1 is already given at .*contrasts\.yaml, line 1\. Store each pair once"),
    ("- between: [2, 2]\n  note: a\n", r"contrasts\.yaml, line 1: contrast 2/2: an entry cannot contrast with itself"),
    ("- between: [1, 2]\n", r"contrasts\.yaml, line 1: contrast, field 'note': Field required"),
    ("- between: [1, 2, 3]\n  note: a\n", r"contrasts\.yaml, line 1: contrast, field 'between'"),
    ("- between: [1, 2]\n  note: a\n  why: b\n", r"field 'why': Extra inputs are not permitted"),
    ("- [1, 2]\n", r"contrasts\.yaml, line 1: expected a mapping with 'between' and 'note'"),
])
def test_broken_contrast_is_named_with_its_line(tmp_path, content, expected):
    write_pair(tmp_path)
    (tmp_path / "contrasts.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryError, match=expected):
        load_glossary(tmp_path)


@pytest.mark.parametrize("example", ["softmax", "Softmax Function", "soft-max"])
def test_an_example_that_is_another_entrys_name_is_named_with_its_line(tmp_path, example):
    path = write_pair(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + f"examples:\n  - sigmoid\n  - {example}\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=(
            rf"002\.yaml, line 6: entry 2 \(Activation Function\), field 'examples': '{example}' is a name of "
            r"entry 1 \(Softmax Function\)\. An example is a kind of the concept, not a name")):
        load_glossary(tmp_path)


def test_an_example_may_not_be_a_name_of_its_own_entry(tmp_path):
    write_pair(tmp_path, aliases=["activation"], examples=["Activation"])
    with pytest.raises(GlossaryError, match=r"002\.yaml, line 5: entry 2 \(Activation Function\), field 'examples': "
                                            r"'Activation' is a name of entry 2"):
        load_glossary(tmp_path)


def test_an_example_may_be_a_kind_of_two_entries(tmp_path):
    # A variational autoencoder is an autoencoder and a generative model: both entries may list it.
    write_pair(tmp_path, examples=["gated unit"])
    write_entry(tmp_path / "entries", 3, "Gate", "A gate scales a signal. It learns when to pass it.",
                examples=["gated unit"])
    assert [e.examples for e in load_glossary(tmp_path).entries] == [(), ("gated unit",), ("gated unit",)]


# --- The house glossary, as edited like a reference (fails until the content rewrite of issue 10 is done) -----

def test_house_definitions_are_plain_first_and_short():
    glossary = load_glossary(PROJECT_ROOT / "glossary")
    long_first = {e.id: len(split_sentences(e.definition)[0].split()) for e in glossary.entries
                  if len(split_sentences(e.definition)[0].split()) > 25}
    wrong_length = {e.id: len(split_sentences(e.definition)) for e in glossary.entries
                    if not 2 <= len(split_sentences(e.definition)) <= 4}
    assert (long_first, wrong_length) == ({}, {})


def test_house_glossary_contrasts_commonly_confused_pairs():
    glossary = load_glossary(PROJECT_ROOT / "glossary")
    assert len(glossary.contrasts) >= 40
    for a, b in ((40, 41), (14, 15), (6, 37), (46, 47), (4, 10), (42, 43), (101, 22), (106, 107), (117, 33)):
        assert glossary.contrast(a, b) is not None, (a, b)


def test_every_house_entry_is_in_a_contrast():
    glossary = load_glossary(PROJECT_ROOT / "glossary")
    contrasted = {i for c in glossary.contrasts for i in c.between}
    assert [e.id for e in glossary.entries if e.id not in contrasted] == []
