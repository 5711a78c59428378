"""Character-encoding detection for fetched bytes: declared charsets, BOMs, and a sniff for the rest.

Shared by feeds (undeclared legacy encodings) and articles (pages). Names follow the WHATWG
Encoding Standard where it differs from Python: browsers read "iso-8859-1" as windows-1252
and "gb2312" as GB18030, and publishers rely on that.
"""

from __future__ import annotations

import codecs
import re

# Labels whose Python codec is stricter than what browsers actually use (WHATWG aliases).
_WHATWG_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "tis_620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)[\"']", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w.:-]+)",
    re.IGNORECASE,
)
# When several candidates decode equally cleanly, the web's most common legacy encoding wins:
# charset_normalizer alone picks e.g. cp1257 for undeclared Portuguese Latin-1.
_PREFERRED_ON_TIE = ("utf_8", "cp1252", "latin_1", "iso8859_15")
_SNIFF_BYTES = 256 * 1024


def normalise_charset(label: str | None) -> str | None:
    """The Python codec to use for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("utf8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        label = "utf-8"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    key = name.replace("-", "_")
    return _WHATWG_SUPERSETS.get(key, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset parameter of a Content-Type header, or None."""
    match = _CHARSET_PARAM.search(content_type or "")
    return match.group(1) if match else None


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when `data` starts with a Unicode byte-order mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def xml_declared_encoding(data: bytes) -> str | None:
    """The encoding named in an XML declaration at the start of `data`, or None."""
    match = _XML_DECL_ENCODING.match(data.lstrip())
    return match.group(1).decode("ascii") if match else None


def meta_charset(data: bytes, scan: int = 16 * 1024) -> str | None:
    """The charset of <meta charset> or <meta http-equiv="Content-Type" content="...; charset=">."""
    match = _META_CHARSET.search(data[:scan])
    return match.group(1).decode("ascii", "replace") if match else None


def sniff_encoding(data: bytes) -> str | None:
    """A best guess for undeclared bytes (charset_normalizer), or None for binary data."""
    from charset_normalizer import from_bytes

    sample = data[:_SNIFF_BYTES]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample boundary is still UTF-8.
        if exc.start >= len(sample) - 3 and len(data) > len(sample):
            return "utf-8"
    matches = list(from_bytes(sample))
    if not matches:
        return None
    least_chaos = min(m.chaos for m in matches)
    clean = {m.encoding for m in matches if m.chaos <= least_chaos + 0.005}
    for preferred in _PREFERRED_ON_TIE:
        if preferred in clean:
            return normalise_charset(preferred)
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    return normalise_charset(best.encoding)


def decode_tolerantly(data: bytes, codec: str, max_bad_ratio: float = 0.01) -> str | None:
    """`data` decoded with `codec`; a few bad bytes are replaced, too many give None."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad <= max(1, int(len(data) * max_bad_ratio)):
        return text
    return None
