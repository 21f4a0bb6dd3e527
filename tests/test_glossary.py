"""The loader: the real glossary is valid and complete; every broken file gives a message naming it."""

from __future__ import annotations

import re

import pytest

from glossary_rag.glossary import GlossaryError, load_glossary
from glossary_rag.settings import PROJECT_ROOT
from tests.conftest import write_entry


def test_real_glossary_has_the_articles_100_entries():
    glossary = load_glossary(PROJECT_ROOT / "glossary", require_enrichment=True)
    assert [e.id for e in glossary.entries] == list(range(1, 101))
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
