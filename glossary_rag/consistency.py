"""The rules between entries, checked whenever a glossary is loaded: unique ids, links that resolve and go
both ways, examples that are not another entry's name, contrasts between two real entries, and retrieval
texts that don't name their entry. Every error names the file, entry and field and says what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from glossary_rag.entries import Entry, Glossary, GlossaryError


def check_consistency(glossary: Glossary, require_enrichment: bool = False) -> None:
    """Cross-entry rules: unique ids, links that resolve, retrieval texts that don't name their entry."""
    seen: dict[int, Entry] = {}
    for entry in glossary.entries:
        if entry.id in seen:
            raise GlossaryError(f"{entry.source}: entry {entry.id}, field 'id': duplicate id, also used in "
                                f"{seen[entry.id].source}. Give each entry its own id.")
        seen[entry.id] = entry
    for entry in glossary.entries:
        for field in ("related", "opposite", "same_as"):
            for target in getattr(entry, field):
                if target not in seen:
                    raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}), field '{field}': id "
                                        f"{target} does not exist. Remove it or add that entry.")
                if target == entry.id:
                    raise GlossaryError(f"{entry.source}: entry {entry.id}, field '{field}': links to itself.")
        for target in entry.same_as:
            if entry.id not in seen[target].same_as:
                raise GlossaryError(f"{entry.source}: entry {entry.id}, field 'same_as': lists {target}, but "
                                    f"{seen[target].source} does not list {entry.id} back. Link both ways.")
        if require_enrichment and (len(entry.descriptions) < 4 or len(entry.questions) < 3):
            raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}): needs at least 4 descriptions "
                                f"and 3 questions (has {len(entry.descriptions)} and {len(entry.questions)}).")
        _check_retrieval_texts(entry)
    _check_examples(glossary)
    _check_contrasts(glossary, seen)


def _check_examples(glossary: Glossary) -> None:
    # A query naming an example lands on its entry, so an example must not also be a name of an entry (then
    # "what is X?" would have two answers). It may be a kind of two entries (a VAE is an autoencoder and a
    # generative model): the answer then says both. Spellings are compared the way the name matcher reads
    # them ("Max-Pooling" = "max pooling" = "maxpooling").
    owner = {_spelling(name): entry for entry in glossary.entries for name in entry.names}
    for entry in glossary.entries:
        for example in entry.examples:
            other = owner.get(_spelling(example))
            if other is not None:
                raise GlossaryError(f"{_where(entry, 'examples', example)}: entry {entry.id} ({entry.term}), "
                                    f"field 'examples': {example!r} is a name of entry {other.id} ({other.term}). "
                                    "An example is a kind of the concept, not a name: drop it, or make it an "
                                    "alias if it names this entry.")


def _check_contrasts(glossary: Glossary, seen: dict[int, Entry]) -> None:
    pairs: dict[frozenset[int], str] = {}
    for contrast in glossary.contrasts:
        a, b = contrast.between
        for target in (a, b):
            if target not in seen:
                raise GlossaryError(f"{contrast.source}: contrast {a}/{b}: id {target} does not exist. Use the "
                                    "id of an entry in entries/ (the number at the start of its file name).")
        if a == b:
            raise GlossaryError(f"{contrast.source}: contrast {a}/{b}: an entry cannot contrast with itself. "
                                "Name two different entries.")
        pair = frozenset((a, b))
        if pair in pairs:
            raise GlossaryError(f"{contrast.source}: contrast {a}/{b} is already given at {pairs[pair]}. "
                                "Store each pair once (in either order) and merge the two notes.")
        pairs[pair] = contrast.source


def _spelling(name: str) -> str:
    """A name with case, spaces and punctuation folded away: "Max-Pooling" -> "maxpooling"."""
    return re.sub(r"[\W_]+", "", name.casefold())


def _where(entry: Entry, field: str, value: str) -> str:
    """`file, line N` of `value` inside `field` of `entry`, read back from its YAML file (errors only)."""
    try:
        root = yaml.compose(Path(entry.source).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return entry.source
    for node in root.value if isinstance(root, yaml.SequenceNode) else [root]:
        fields = {key.value: item for key, item in node.value} if isinstance(node, yaml.MappingNode) else {}
        if getattr(fields.get("id"), "value", None) != str(entry.id):
            continue
        items = fields.get(field)
        for item in items.value if isinstance(items, yaml.SequenceNode) else []:
            if isinstance(item, yaml.ScalarNode) and item.value.strip() == value:
                return f"{entry.source}, line {item.start_mark.line + 1}"
        if items is not None:
            return f"{entry.source}, line {items.start_mark.line + 1}"
    return entry.source


def _check_retrieval_texts(entry: Entry) -> None:
    # Descriptions and questions are for people who don't know the name; naming it there would also
    # make reverse-lookup look better than it is.
    for field in ("descriptions", "questions"):
        for text in getattr(entry, field):
            for name in entry.names:
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE):
                    raise GlossaryError(f"{entry.source}: entry {entry.id} ({entry.term}), field '{field}': "
                                        f"{text!r} names the entry ({name!r}). Describe it without its name.")
