"""Clean what a person typed, whatever it is: unicode normalised, control and format characters, terminal
escapes and lone surrogates dropped, whitespace folded, length capped; and ML shorthand spelt out.

Cleaning never fails, so everything downstream sees short, printable text. Reading the intent of the
cleaned text is glossary_rag/query.py.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

_WS = re.compile(r"\s+")
# Shorthand practitioners type, expanded before matching: general ML vocabulary, not glossary entries
# (glossary_rag/data/abbreviations.yaml says where the list comes from).
ABBREVIATIONS: dict[str, str] = yaml.safe_load(
    (Path(__file__).with_name("data") / "abbreviations.yaml").read_text(encoding="utf-8"))
# Not inside a dotted identifier: "nn.Embedding" is PyTorch's embedding layer, not "neural network.Embedding".
_ABBREVIATION = re.compile(r"(?<![\w/-])(?<!\w\.)(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True))
                           + r")(?![\w/-])(?!\.\w)", re.IGNORECASE)


def expand_abbreviations(text: str) -> str:
    """Spell out common ML shorthand so dense, BM25 and name matching all understand it.

    >>> expand_abbreviations("multihead attn w/ pos enc"), expand_abbreviations("nn.Embedding vs an nn.")
    ('multihead attention with positional encoding', 'nn.Embedding vs an neural network.')
    """
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)


# Colour codes and titles pasted from a terminal (CSI and OSC sequences): dropped whole, not just their ESC.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# Raw characters looked at per allowed character: a multi-megabyte paste costs no more than a long question.
_RAW_PER_CHAR = 20


def clean_text(text: str, max_chars: int) -> tuple[str, bool]:
    """Normalise unicode, drop control/format characters and lone surrogates, fold whitespace, cap length.

    >>> clean_text("a\\x00b\\u200b  c\\n", 100)
    ('ab c', False)
    >>> clean_text("x" * 10, 4)
    ('xxxx', True)
    >>> clean_text("\\x1b[1;31mdropout\\x1b[0m", 100)
    ('dropout', False)
    >>> clean_text("drop\\ud800out", 100)
    ('dropout', False)
    """
    cut = len(text) > max_chars * _RAW_PER_CHAR
    text = text[:max_chars * _RAW_PER_CHAR]
    # Lone surrogates (a str from bytes decoded with errors) become U+FFFD, dropped below; "replace" on the
    # encode side would turn them into "?" instead.
    text = text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")
    text = _ANSI.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ch.isspace() else "" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co")
                   or ch == "\ufffd" else ch for ch in text)
    text = _WS.sub(" ", text).strip()
    truncated = cut or len(text) > max_chars
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
    return text, truncated
