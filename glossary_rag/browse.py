"""Browse the glossary: every entry A–Z, narrowed by a forgiving name filter and a topic.

The filter matches a term or alias when it contains what was typed ("norm" finds Batch Normalization) or
when rapidfuzz's WRatio says it is close enough ("dropot" finds Dropout), so typos still find the entry.

>>> from glossary_rag.glossary import load_glossary
>>> from glossary_rag.settings import PROJECT_ROOT
>>> g = load_glossary(PROJECT_ROOT / "glossary")
>>> [e.term for e in filter_entries(g, "dropot")]
['Dropout']
>>> len(filter_entries(g)), filter_entries(g)[0].term
(128, 'Accuracy')
"""

from __future__ import annotations

from rapidfuzz import fuzz, utils

from glossary_rag.glossary import Entry, Glossary

ALL_TOPICS = "All topics"
# WRatio at or above this counts as a match: high enough that "net" does not pull in every Network but a
# one-letter typo in a term still does (set by trying the article's terms).
FUZZY_CUTOFF = 85


def sort_entries(entries) -> list[Entry]:
    """Entries A–Z by term, ignoring case."""
    return sorted(entries, key=lambda e: (e.term.casefold(), e.id))


def list_topics(glossary: Glossary) -> list[str]:
    """The glossary's topics, A–Z.

    >>> from glossary_rag.glossary import load_glossary
    >>> from glossary_rag.settings import PROJECT_ROOT
    >>> list_topics(load_glossary(PROJECT_ROOT / "glossary"))[:3]
    ['architectures', 'data', 'evaluation']
    """
    return sorted({entry.topic for entry in glossary.entries})


def matches_filter(entry: Entry, text: str) -> bool:
    """Does `text` name `entry`, allowing substrings and typos?"""
    wanted = utils.default_process(text)
    if not wanted:
        # Blank matches everything; text with no letters or digits at all (emoji, "<>") matches nothing.
        return not text.strip()
    names = [utils.default_process(name) for name in entry.names]
    if any(wanted in name for name in names):
        return True
    return any(fuzz.WRatio(wanted, name, processor=None) >= FUZZY_CUTOFF for name in names)


def filter_entries(glossary: Glossary, text: str = "", topic: str | None = None) -> list[Entry]:
    """Entries whose term or alias matches `text` (everything when empty) within `topic` (or all), A–Z."""
    topic = None if topic in (None, "", ALL_TOPICS) else topic
    return sort_entries(entry for entry in glossary.entries
                        if (topic is None or entry.topic == topic) and matches_filter(entry, text or ""))
