"""Article pages into articles: decoding, main text, title, publication date, canonical URL, language.

trafilatura finds the main text and metadata; htmldate backs it up for the (original, not
updated) publication date; py3langid checks the language the page declares. The content
hash and SimHash computed here drive exact and near-duplicate detection downstream.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from diplowatch.fetch.http import looks_binary
from diplowatch.parse.dedup import simhash64
from diplowatch.parse.encoding import (
    bom_encoding,
    charset_from_content_type,
    decode_tolerantly,
    meta_charset,
    normalise_charset,
    sniff_encoding,
)
from diplowatch.parse.errors import ParseError
from diplowatch.parse.urls import canonicalize_url

__all__ = ["ParseError", "ParsedArticle", "content_hash", "decode_html", "detect_language", "parse_article"]

MIN_WORDS = 20  # below this, what trafilatura returns is a teaser or boilerplate, not an article
# trafilatura's work grows with the square of the number of elements (100 000 <p> in a 1 MB page
# take 40 s); news pages have a few thousand. Past this, the page is refused, not read for minutes.
MAX_ELEMENTS = 25_000
EARLIEST_DATE = date(1995, 1, 1)
# Languages the identifier may answer: what a news monitor meets. A closed set stops short
# texts from being labelled with rare look-alikes (Galician for Portuguese, Occitan for French).
LANGUAGES = (
    "en fr de es it pt nl ru uk pl cs sk ro hu bg sr hr sl el tr ar fa he zh ja ko "
    "sv da no fi et lv lt vi id ms th hi ur sw"
).split()
MIN_LANG_CHARS = 40  # shorter text gives no language
CONFIDENT = 0.95  # how sure the identifier must be to overrule a page's declared language

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_LANG_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]|$)")

_identifier: Any = None
_identifier_lock = threading.Lock()


@dataclass
class ParsedArticle:
    """The article read from one page."""

    url: str  # the URL it was fetched from
    canonical_url: str
    title: str | None
    text: str  # main text, paragraphs separated by newlines
    published: date | None
    lang: str | None  # ISO 639-1 ("en", "fr", ...)
    content_hash: str  # sha256 hex of the normalised text (see content_hash())
    simhash: int  # signed int64 (fits a PostgreSQL bigint)
    charset: str  # the codec the page was decoded with
    author: str | None = None
    sitename: str | None = None
    description: str | None = None


def parse_article(
    body: bytes, url: str, content_type: str | None = None, *, min_words: int = MIN_WORDS
) -> ParsedArticle:
    """Read the article in an HTML page fetched from `url`.

    Raises ParseError (one line) when the bytes cannot be decoded, are not HTML, or hold no
    article text (empty or boilerplate-only page).
    """
    text_html, charset = decode_html(body, content_type)
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(text_html)
    except (ValueError, TypeError) as exc:
        raise ParseError(f"not an HTML document: {exc}") from exc
    if tree is None:
        raise ParseError("not an HTML document")
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_ELEMENTS:
        raise ParseError(f"page too complex to read: {elements} HTML elements (limit {MAX_ELEMENTS})")
    head = _head_metadata(tree)  # read before trafilatura prunes the tree
    try:
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            # Markup-level dates only (meta tags, JSON-LD, <time>, URL): the free-text search
            # mostly finds a bare year, which it reports as January 1st.
            date_extraction_params={
                "original_date": True,
                "extensive_search": False,
                "max_date": _latest_date().isoformat(),
            },
        )
    except Exception as exc:  # trafilatura has many internal failure modes; one line is enough
        raise ParseError(f"extraction failed: {type(exc).__name__}: {exc}") from exc
    text = _normalise_text(getattr(doc, "text", None) or "")
    if len(text.split()) < min_words:
        raise ParseError("no article text found")
    title = _clean(getattr(doc, "title", None)) or head.get("title")
    published = _to_date(getattr(doc, "date", None)) or _htmldate(text_html, url)
    return ParsedArticle(
        url=url,
        canonical_url=_canonical(url, head),
        title=title,
        text=text,
        published=published,
        lang=detect_language(text, head.get("lang")),
        content_hash=content_hash(text),
        simhash=simhash64(text),
        charset=charset,
        author=_clean(getattr(doc, "author", None)),
        sitename=_clean(getattr(doc, "sitename", None)),
        description=_clean(getattr(doc, "description", None)),
    )


# --------------------------------------------------------------------------- decoding


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, codec) for an HTML page. Raises ParseError when it cannot be decoded.

    Order: a byte-order mark, then the HTTP charset, then <meta charset>/http-equiv, then a
    sniff. The BOM comes first, as in the WHATWG encoding sniffing algorithm browsers use:
    a BOM is unambiguous while servers' charset headers are often wrong. A declared charset
    that fails on more than 1% of the bytes is treated as wrong and the next source is tried.
    """
    if not body or not body.strip():
        raise ParseError("empty page")
    bom = bom_encoding(body)
    if bom is not None:
        codec, length = bom
        text = decode_tolerantly(body[length:], codec)
        if text is not None:
            return _strip_xml_declaration(text), codec
    if looks_binary(body):
        raise ParseError("not a text document (binary content)")
    candidates: list[str] = []
    for label in (charset_from_content_type(content_type), meta_charset(body)):
        declared = normalise_charset(label)
        if declared is not None and declared.startswith("utf-16"):
            declared = "utf-8"  # WHATWG: a UTF-16 label in an ASCII-compatible document means UTF-8
        if declared is not None and declared not in candidates:
            candidates.append(declared)
    for candidate in candidates:
        text = decode_tolerantly(body, candidate)
        if text is not None:
            return _strip_xml_declaration(text), candidate
    sniffed = sniff_encoding(body)
    text = decode_tolerantly(body, sniffed) if sniffed else None
    if sniffed is None or text is None:
        raise ParseError("cannot decode page: unknown character encoding")
    return _strip_xml_declaration(text), sniffed


def _strip_xml_declaration(text: str) -> str:
    # lxml refuses str input that still carries an encoding declaration (XHTML pages).
    return _XML_DECLARATION.sub("", text, count=1)


# --------------------------------------------------------------------------- metadata


def _head_metadata(tree: Any) -> dict[str, str]:
    """Title, declared language, canonical link and og:url from the page's markup."""
    found: dict[str, str] = {}
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("http-equiv") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        if name == "og:url":
            found.setdefault("og_url", content)
        elif name == "content-language" and not lang:
            lang = content.split(",")[0]
    if lang:
        found["lang"] = lang.strip()
    for link in tree.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rels and href:
            found.setdefault("canonical", href)
    for title in tree.iter("title"):
        text = _clean(title.text_content())
        if text:
            found["title"] = text
            break
    return found


def _canonical(url: str, head: dict[str, str]) -> str:
    """The page's canonical URL when it names a usable absolute one, else the fetched URL.

    Relative canonicals are ignored, and so is a canonical pointing to the site's home page
    from an article page: a common CMS misconfiguration that would merge every article.
    """
    fetched_path = urlsplit(url).path or "/"
    for key in ("canonical", "og_url"):
        candidate = head.get(key, "")
        try:
            parts = urlsplit(candidate)
        except ValueError:
            continue
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            continue
        if (parts.path or "/") == "/" and fetched_path != "/":
            continue
        return canonicalize_url(candidate)
    return canonicalize_url(url)


def _to_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        parsed = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    return parsed if EARLIEST_DATE <= parsed <= _latest_date() else None


def _latest_date() -> date:
    # One day of slack: a page published "tomorrow" in its own time zone is fine.
    return (datetime.now(UTC) + timedelta(days=1)).date()


def _htmldate(page: str, url: str) -> date | None:
    """The original publication date according to htmldate (fallback when trafilatura has none)."""
    from htmldate import find_date

    try:
        found = find_date(
            page,
            url=url,
            original_date=True,
            extensive_search=True,
            outputformat="%Y-%m-%d",
            min_date=EARLIEST_DATE.isoformat(),
        )
    except Exception:  # htmldate is a heuristic; its failure only means "no date"
        return None
    found_date = _to_date(found)
    if found_date is not None and (found_date.month, found_date.day) == (1, 1):
        return None  # the free-text search's stand-in for "some day in that year"
    return found_date


# --------------------------------------------------------------------------- language


def _language_identifier() -> Any:
    """A py3langid identifier restricted to LANGUAGES (our own instance: the module one is global)."""
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages([code for code in LANGUAGES if code in set(identifier.nb_classes)])
            _identifier = identifier
        return _identifier


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`: the declared one (<html lang>) unless the text clearly says otherwise.

    Without a declaration, py3langid decides; very short text gives None.
    """
    declared_code = None
    match = _LANG_TAG.match((declared or "").strip())
    if match:
        declared_code = match.group(1).lower()
    sample = " ".join(text.split())[:3000]
    if len(sample) < MIN_LANG_CHARS:
        return declared_code
    identified, confidence = _language_identifier().classify(sample)
    if declared_code is None:
        return str(identified) if confidence >= 0.5 else None
    if identified != declared_code and confidence >= CONFIDENT:
        # Templates often hard-code lang="en" on pages in other languages.
        return str(identified)
    return declared_code


# --------------------------------------------------------------------------- text


def _normalise_text(text: str) -> str:
    lines = (_WS.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _clean(value: Any) -> str | None:
    if not value:
        return None
    text = " ".join(str(value).split())
    return text or None


def content_hash(text: str) -> str:
    """SHA-256 hex of `text` after NFKC, case folding and whitespace collapsing.

    Two pages with the same words in the same order hash alike whatever their markup.
    """
    normalised = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
