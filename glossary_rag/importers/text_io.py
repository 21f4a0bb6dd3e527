"""Turn what people save into clean text: a file in whatever encoding it was written (reported when it is not
UTF-8), and HTML cells (Anki and web exports) into plain prose.

>>> html_to_text('Synonym for <a href="#x">dropout</a>.<br>Also&nbsp;<b>see</b> L<sub>2</sub>.')
'Synonym for dropout.\\nAlso see L2.'
>>> looks_like_html("a < b and c > d"), looks_like_html("x<br/>y")
(False, True)
"""

from __future__ import annotations

import codecs
import re
import warnings
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from charset_normalizer import from_bytes

from glossary_rag.importers.records import Finding, FormatError

# A tag we know, or an entity: "a < b" in a definition is not HTML.
_HTML = re.compile(r"</?(?:a|b|i|u|em|strong|br|p|div|span|ul|ol|li|sub|sup|code|pre|img|font|table|tr|td|th|"
                   r"h[1-6]|hr|blockquote|small|big|s|strike|mark|q|cite|abbr|dl|dt|dd)\b[^>]*>|&(?:[a-z]+|#\d+|"
                   r"#x[0-9a-f]+);", re.IGNORECASE)
_BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dt", "dd")
_BREAK = "\x00"
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_text(file: Path) -> tuple[str, tuple[Finding, ...]]:
    """The file as text, and a finding when it was not UTF-8 (its encoding guessed by charset-normalizer).

    A byte-order mark (Excel writes one into CSV) is honoured and dropped; line endings become "\\n".
    """
    try:
        data = file.read_bytes()
    except OSError as err:
        raise FormatError(f"{file}: cannot read it ({err.strerror}).") from err
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _newlines(data.decode(encoding)), ()
    try:
        return _newlines(data.decode("utf-8")), ()
    except UnicodeDecodeError as err:
        matches = from_bytes(data)
        best = matches.best()
        if best is not None:
            # Short texts often tie between code pages; Windows-1252 is what Western spreadsheets write.
            best = next((m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence
                         and "cp1252" in m.could_be_from_charset), best)
        if best is None:
            raise FormatError(f"{file}: not text in any encoding we recognise (byte {err.start} is not UTF-8). "
                              "Save the file as UTF-8 text.") from err
        line = data.count(b"\n", 0, err.start) + 1
        return _newlines(str(best)), (Finding(line, f"not UTF-8 (first odd byte on this line); read as "
                                                    f"{best.encoding}. Save the file as UTF-8 to be sure"),)


def looks_like_html(text: str) -> bool:
    """True when `text` holds HTML tags or entities worth converting."""
    return bool(_HTML.search(text))


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, block elements and <br> on new lines."""
    with warnings.catch_warnings():  # a short fragment that looks like a file name is still a fragment
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "img"]):
        tag.decompose()
    # Source line breaks are only spaces in HTML; <br> and block elements are the real ones.
    for br in soup.find_all("br"):
        br.replace_with(_BREAK)
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_after(_BREAK)
    parts = (" ".join(part.split()) for part in soup.get_text().replace("\xa0", " ").split(_BREAK))
    return "\n".join(part for part in parts if part)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
