"""What every format shares once its drafts are read: empty entries reported and skipped, rows that only
point at another term ("Synonym for X", "See X") turned into aliases of X, and duplicate terms merged
(same definition) or kept and reported (different ones). Nothing is dropped without a finding.

>>> drafts = (Draft(1, "Dropout", "Zeroes random units.", id=1), Draft(2, "Drop-out", "See dropout.", id=2),
...           Draft(3, "Epoch", "", id=3), Draft(4, "dropout", "Zeroes random units.", id=4))
>>> parsed = resolve_drafts(drafts)
>>> [(d.id, d.term, d.aliases) for d in parsed.drafts]
[(1, 'Dropout', ('Drop-out',))]
>>> [line for line, _ in parsed.findings]
[2, 3, 4]
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from glossary_rag.importers.records import Draft, Finding, Parsed, fold_term

# A definition that is nothing but a pointer to another term. The target is what follows the pointer words.
_POINTER = re.compile(
    r"^(?:(?:an?\s+|the\s+)?(?:synonym|abbreviation|acronym|short(?:\s+form)?|another\s+(?:name|term|word)|"
    r"alternative\s+(?:name|spelling|term)|alias|other\s+name|variant|plural)\s+(?:for|of)|"
    r"see(?:\s+also)?|same\s+as|refer\s+to|→|=>|->)\s*:?\s*(?P<target>[^.;]+?)\s*\.?$", re.IGNORECASE)
_MAX_POINTER_WORDS = 12


def resolve_drafts(drafts: Iterable[Draft], findings: Iterable[Finding] = ()) -> Parsed:
    """Apply the shared rules above to an importer's drafts; findings come back sorted by line."""
    found = list(findings)
    kept: list[Draft] = []
    for draft in drafts:
        if not draft.definition.strip():
            found.append(Finding(draft.line, f"entry {draft.id} '{draft.term}' has an empty definition; skipped"))
        else:
            kept.append(draft)
    kept = _fold_pointers(kept, found)
    kept = _merge_duplicates(kept, found)
    kept = [dataclasses.replace(d, aliases=_unique_aliases(d)) for d in kept]
    return Parsed(tuple(kept), tuple(sorted(found, key=lambda finding: finding.line)))


def pointer_target(definition: str) -> str | None:
    """The term a definition only points at, or None when it says more.

    >>> pointer_target("Synonym for learning rate."), pointer_target("See: ReLU"), pointer_target("A step size.")
    ('learning rate', 'ReLU', None)
    """
    text = " ".join(definition.split())
    if len(text.split()) > _MAX_POINTER_WORDS:
        return None
    match = _POINTER.match(text)
    return match["target"].strip(" \"'“”‘’") if match else None


def _fold_pointers(drafts: list[Draft], found: list[Finding]) -> list[Draft]:
    pointers = {i: target for i, d in enumerate(drafts) if (target := pointer_target(d.definition))}
    owner: dict[str, int] = {}
    for i, draft in enumerate(drafts):
        if i not in pointers:
            for name in (draft.term, *draft.aliases):
                owner.setdefault(fold_term(name), i)
    extra_aliases: dict[int, list[str]] = {}
    for i, target in pointers.items():
        draft = drafts[i]
        j = owner.get(fold_term(target))
        if j is None:
            found.append(Finding(draft.line, f"'{draft.term}' only refers to '{target}', which is not in this "
                                             "glossary; kept as an entry"))
            pointers[i] = ""
            continue
        extra_aliases.setdefault(j, []).extend((draft.term, *draft.aliases))
        found.append(Finding(draft.line, f"'{draft.term}' only says '{' '.join(draft.definition.split())}': "
                                         f"made it an alias of entry {drafts[j].id} '{drafts[j].term}'"))
    return [dataclasses.replace(d, aliases=(*d.aliases, *extra_aliases.get(i, ()))) for i, d in enumerate(drafts)
            if not pointers.get(i)]


def _merge_duplicates(drafts: list[Draft], found: list[Finding]) -> list[Draft]:
    first: dict[str, int] = {}
    result: list[Draft | None] = []
    for draft in drafts:
        key = fold_term(draft.term)
        if key not in first:
            first[key] = len(result)
            result.append(draft)
            continue
        other = result[first[key]]
        where = f"repeats entry {other.id} '{other.term}' (line {other.line})"
        if _same_text(other.definition, draft.definition):
            result[first[key]] = dataclasses.replace(other, aliases=(*other.aliases, draft.term, *draft.aliases))
            found.append(Finding(draft.line, f"term '{draft.term}' {where} with the same definition; merged"))
        else:
            found.append(Finding(draft.line, f"term '{draft.term}' {where}"))
            result.append(draft)
    return [draft for draft in result if draft is not None]


def _same_text(a: str, b: str) -> bool:
    return fold_term(a) == fold_term(b)


def _unique_aliases(draft: Draft) -> tuple[str, ...]:
    # An alias that only repeats the term or another alias (case and spacing aside) adds nothing; a plural
    # or a spelling with a hyphen does (people type those).
    seen = {_name_key(draft.term)}
    aliases = []
    for alias in draft.aliases:
        key = _name_key(alias)
        if key and key not in seen:
            seen.add(key)
            aliases.append(alias.strip())
    return tuple(aliases)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())
