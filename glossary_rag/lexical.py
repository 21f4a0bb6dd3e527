"""Lexical evidence, in one import for the retriever: BM25 scores (glossary_rag/bm25.py), names found in a
query (glossary_rag/names.py) and the glossary's vocabulary (glossary_rag/vocabulary.py)."""

from glossary_rag.bm25 import LexicalIndex, tokenize
from glossary_rag.names import NameKind, NameMatch, NameMatcher, match_entry, normalize_name
from glossary_rag.vocabulary import Vocabulary

__all__ = ["LexicalIndex", "NameKind", "NameMatch", "NameMatcher", "Vocabulary", "match_entry", "normalize_name",
           "tokenize"]
