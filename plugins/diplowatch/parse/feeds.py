"""Feed documents (RSS, Atom, JSON Feed) into entries with canonical article URLs; feed discovery.

XML goes through feedparser, but only after defusedxml-style checks: a document that declares
entities (billion laughs, external entities) is refused outright, so feedparser never gets to
expand one. JSON Feed is read with the json module. Broken-but-readable feeds (feedparser's
"bozo" documents) are kept, with the reason recorded.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import ParseError as XmlParseError

import feedparser
from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as DefusedET

from diplowatch.parse.encoding import (
    charset_from_content_type,
    decode_tolerantly,
    sniff_encoding,
    xml_declared_encoding,
)
from diplowatch.parse.errors import FeedError
from diplowatch.parse.urls import canonicalize_url, is_opaque_redirect, unwrap_redirect

__all__ = ["FeedEntry", "FeedError", "ParsedFeed", "discover_feeds", "parse_feed"]

DEFAULT_MAX_FEED_ENTRIES = 5000  # mirrors IngestSettings.max_feed_entries
# Publication dates outside this window are typos or placeholders ("0000-00-00", "9999-12-31").
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=2)  # timezone mistakes put some dates slightly ahead
MAX_SUMMARY_CHARS = 5000

_JSON_FEED_VERSIONS = {"1": "json1", "1.1": "json1.1"}
_FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_XML_ENCODING_DECL = re.compile(r"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_XML_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
_UTF16_32_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)


@dataclass
class FeedEntry:
    """One feed item. `url` is absolute, unwrapped from click trackers and canonicalised."""

    url: str
    title: str | None
    published: datetime | None  # timezone-aware (UTC), None when absent or implausible
    summary: str | None  # plain text
    guid: str | None
    original_url: str = ""  # the link exactly as the feed gave it
    opaque_redirect: bool = False  # e.g. news.google.com: fetch it to learn the article URL


@dataclass
class ParsedFeed:
    """A parsed feed document."""

    entries: list[FeedEntry]
    title: str | None
    bozo: bool
    bozo_reason: str | None
    format: str  # feedparser's version ("rss20", "atom10", ...) or "json1" / "json1.1"
    link: str | None = None
    skipped: int = 0  # entries without a usable http(s) link, or repeated
    truncated: bool = False  # more entries than max_entries
    encoding: str | None = None


def parse_feed(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    max_entries: int = DEFAULT_MAX_FEED_ENTRIES,
) -> ParsedFeed:
    """Parse a feed document fetched from `url`.

    Raises FeedError (one line) for documents declaring XML entities, for empty or
    unrecognisable documents and for unreadable JSON Feeds. Never lets feedparser fetch
    anything: it only ever sees bytes.
    """
    if not body or not body.strip():
        raise FeedError("empty feed document")
    data = _normalise_xml_start(body)
    if data[:1] in (b"{", b"["):
        return _parse_json_feed(data, url, max_entries)
    data, cut = _cut_after_entries(data, max_entries)  # the prolog (any DTD) stays in the head
    _refuse_entities(data)
    data, detected = _transcode_undeclared(data, content_type)
    # Without a content type feedparser flags every document as "NonXMLContentType";
    # application/xml lets the XML declaration decide the encoding, as it should.
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    # A BytesIO, not bytes: feedparser treats a bytes argument as a possible file *path*
    # first, and a str as a URL to fetch.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    bozo = bool(parsed.get("bozo"))
    reason = _one_line(parsed.get("bozo_exception")) if bozo else None
    if detected is not None:
        bozo = True
        reason = reason or f"undeclared character encoding, read as {detected}"
    version = parsed.get("version") or ""
    raw_entries = parsed.get("entries") or []
    if not raw_entries and not version:
        raise FeedError(
            f"not a feed: {reason}" if reason else "not a feed (no RSS, Atom or JSON Feed structure)"
        )
    feed_meta = parsed.get("feed") or {}
    entries, skipped = _collect(
        (_xml_entry(e, url) for e in raw_entries[:max_entries]),
    )
    return ParsedFeed(
        entries=entries,
        title=_plain(feed_meta.get("title")),
        bozo=bozo,
        bozo_reason=reason,
        format=version or "unknown",
        link=feed_meta.get("link"),
        skipped=skipped,
        truncated=cut or len(raw_entries) > max_entries,
        encoding=detected or parsed.get("encoding"),
    )


# An item or entry start tag, namespaced or not; and the root of the three XML feed formats.
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_FEED_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF))[\s>]")


def _cut_after_entries(data: bytes, max_entries: int) -> tuple[bytes, bool]:
    """The document without its entries past `max_entries`, closed again; and whether it was cut.

    feedparser reads a whole document before we can keep its first entries: a feed of 100 000
    items costs seconds of CPU on every poll. Cutting the bytes first bounds that work by
    max_entries. The closing tags are those of the usual layouts (rss/channel, feed, rdf:RDF);
    a document laid out otherwise is still read, as a not-well-formed ("bozo") one.
    """
    matches = _ENTRY_START.finditer(data)
    position = next((m.start() for n, m in enumerate(matches) if n == max_entries), None)
    if position is None:
        return data, False
    head = data[:position]
    root = _FEED_ROOT.search(head[:4096])
    if root is None:
        return head, True
    name = root.group(1)
    closing = b"</channel></" + name + b">" if name.endswith(b"rss") else b"</" + name + b">"
    return head + closing, True


def discover_feeds(html_bytes: bytes, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page advertises with <link rel="alternate" type="...">.

    Recognises RSS, Atom and JSON Feed types, honours <base href>, keeps document order,
    drops duplicates and non-http(s) links. Never raises; an unreadable page gives [].
    """
    import lxml.etree
    import lxml.html

    if not html_bytes or not html_bytes.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(html_bytes)
    except (lxml.etree.ParserError, ValueError):
        return []
    base = base_url
    for element in doc.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = urljoin(base_url, href)
            break
    found: list[str] = []
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rels or kind not in _FEED_LINK_TYPES or not href:
            continue
        absolute = urljoin(base, href).split("#", 1)[0]
        if urlsplit(absolute).scheme in ("http", "https") and absolute not in found:
            found.append(absolute)
    return found


# --------------------------------------------------------------------------- XML safety


def _normalise_xml_start(body: bytes) -> bytes:
    """Bytes that start at the document: UTF-16/32 re-encoded as UTF-8, no BOM, no leading blanks.

    Leading whitespace before <?xml ...?> makes strict XML parsers fail (a real FeedBurner
    habit), and the byte-level entity scan below needs an ASCII-compatible encoding.
    """
    for bom, codec in _UTF16_32_BOMS:
        if body.startswith(bom):
            try:
                text = body[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise FeedError(f"feed is not valid {codec}: {exc.reason}") from exc
            text = _XML_ENCODING_DECL.sub(r"\1\2utf-8\2", text.lstrip(), count=1)
            return text.encode("utf-8")
    data = body.lstrip(b" \t\r\n\x0c")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:].lstrip(b" \t\r\n\x0c")
    return data


def _refuse_entities(data: bytes) -> None:
    """Raise FeedError when the document declares entities or references external ones."""
    try:
        DefusedET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except EntitiesForbidden as exc:
        raise FeedError("feed refused: it declares XML entities (entity-expansion attack?)") from exc
    except ExternalReferenceForbidden as exc:
        raise FeedError("feed refused: it references an external XML entity") from exc
    except DefusedXmlException as exc:
        raise FeedError(f"feed refused: {_one_line(exc)}") from exc
    except (XmlParseError, ValueError, LookupError, UnicodeError):
        # Not well-formed, or an encoding expat does not know (gb2312): feedparser may still
        # read it, so fall through to the byte-level scan, which does not need a parser.
        pass
    if _ENTITY_DECLARATION.search(data):
        raise FeedError("feed refused: it declares XML entities (entity-expansion attack?)")


def _transcode_undeclared(data: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Re-encode a document as UTF-8 when nothing declares its encoding and it is not UTF-8.

    feedparser would fall back to windows-1252 for anything undeclared, which garbles Big5,
    KOI8-R or GB2312 feeds. Returns the (possibly re-encoded) bytes and the detected codec.
    """
    if xml_declared_encoding(data) or charset_from_content_type(content_type):
        return data, None
    try:
        data.decode("utf-8")
        return data, None
    except UnicodeDecodeError:
        pass
    codec = sniff_encoding(data)
    text = decode_tolerantly(data, codec) if codec else None
    if codec is None or text is None:
        return data, None
    text = _XML_DECLARATION.sub("", text, count=1).lstrip()
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8"), codec


# --------------------------------------------------------------------------- entries


def _collect(candidates: Any) -> tuple[list[FeedEntry], int]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    skipped = 0
    for entry in candidates:
        if entry is None or entry.url in seen:
            skipped += 1
            continue
        seen.add(entry.url)
        entries.append(entry)
    return entries, skipped


def _xml_entry(raw: Any, feed_url: str) -> FeedEntry | None:
    link = _entry_link(raw)
    if link is None:
        return None
    published = None
    for key in ("published", "updated", "created"):
        published = _from_struct(raw.get(f"{key}_parsed"))
        if published is not None and not _mentions_year(raw.get(key), published.year):
            published = None  # feedparser read a date into garbage ("0000-00-00" → 2001)
        published = published or _from_localized(raw.get(key))
        if published is not None:
            break
    summary = raw.get("summary")
    if not summary and raw.get("content"):
        summary = raw["content"][0].get("value")
    return _make_entry(link, feed_url, raw.get("title"), published, summary, raw.get("id"))


def _entry_link(raw: Any) -> str | None:
    # FeedBurner wraps links in feedproxy.google.com redirects and keeps the real one here.
    original = raw.get("feedburner_origlink")
    if original and str(original).strip().startswith(("http://", "https://")):
        return str(original)
    link = raw.get("link")
    if link:
        return str(link)
    for candidate in raw.get("links") or []:
        if candidate.get("href"):
            return str(candidate["href"])
    guid = raw.get("id")
    if guid and str(guid).startswith(("http://", "https://")):
        return str(guid)
    return None


def _make_entry(
    link: str, feed_url: str, title: Any, published: datetime | None, summary: Any, guid: Any
) -> FeedEntry | None:
    absolute = urljoin(feed_url, link.strip())
    unwrapped = unwrap_redirect(absolute)
    if urlsplit(unwrapped).scheme not in ("http", "https"):
        return None
    text = _plain(summary)
    return FeedEntry(
        url=canonicalize_url(unwrapped),
        title=_plain(title),
        published=published,
        summary=text[:MAX_SUMMARY_CHARS] if text else None,
        guid=str(guid) if guid not in (None, "") else None,
        original_url=link.strip(),
        opaque_redirect=is_opaque_redirect(unwrapped),
    )


def plausible(when: datetime | None, now: datetime | None = None) -> datetime | None:
    """`when` (made timezone-aware, UTC assumed) when it is a believable publication time, else None."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if not EARLIEST_PLAUSIBLE <= when <= now + FUTURE_TOLERANCE:
        return None
    return when


def _mentions_year(raw: Any, year: int) -> bool:
    """Whether the raw date text names `year` (or a neighbour: time zones move New Year's Eve)."""
    text = str(raw or "")
    if any(str(candidate) in text for candidate in (year, year - 1, year + 1)):
        return True
    # Two-digit years ("18 Jul 23") as a number of their own.
    return re.search(rf"(?<![\d-]){year % 100:02d}(?![\d-])", text) is not None


def _from_struct(value: struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return plausible(datetime(*value[:6], tzinfo=UTC))
    except (TypeError, ValueError, OverflowError):
        return None


# Month names feedparser does not know (RFC 822 dates written in French, Portuguese, Spanish,
# German or Italian), mapped to the English abbreviations email.utils understands.
_MONTHS = {
    "Jan": "jan janv janvier ene enero gen gennaio januar janeiro",
    "Feb": "fev fév févr fevr février fevrier feb febrero febbraio februar fevereiro",
    "Mar": "mar mars marzo märz mär mrz março marco",
    "Apr": "avr avril abr abril apr aprile",
    "May": "mai may mayo mag maggio maio",
    "Jun": "juin jun junio giu giugno juni junho",
    "Jul": "juil juillet jul julio lug luglio juli julho",
    "Aug": "aou aoû aout août ago agosto aug",
    "Sep": "sep sept septembre set septiembre settembre september setembro",
    "Oct": "oct octobre out octubre ott ottobre okt oktober outubro",
    "Nov": "nov novembre noviembre november novembro",
    "Dec": "dec déc décembre decembre dic diciembre dicembre dez dezember dezembro",
}
_MONTH_ALIASES = {alias: english for english, aliases in _MONTHS.items() for alias in aliases.split()}
_LOCALIZED_RFC822 = re.compile(
    r"^(?:[^\W\d_]+\.?,?\s+)?(\d{1,2})\s+([^\W\d_]+)\.?\s+(\d{4})\s+(\d{1,2}:\d{2}(?::\d{2})?)\s*(.*)$"
)


def _from_localized(value: Any) -> datetime | None:
    """Dates like "Seg, 24 Set 2018 19:42:40 -0300" or "lun., 5 févr. 2024 10:00:00 +0100"."""
    if not isinstance(value, str):
        return None
    match = _LOCALIZED_RFC822.match(value.strip())
    if match is None:
        return None
    day, month, year, clock, zone = match.groups()
    english = _MONTH_ALIASES.get(month.lower())
    if english is None or int(year) < 1900:  # email.utils would turn year 0001 into 2001
        return None
    try:
        return plausible(parsedate_to_datetime(f"{day} {english} {year} {clock} {zone or '+0000'}"))
    except (TypeError, ValueError, IndexError):
        return None


def _plain(value: Any) -> str | None:
    """Plain text from feed HTML: tags dropped, entities decoded, whitespace collapsed."""
    if value is None:
        return None
    text = " ".join(html.unescape(_TAG.sub(" ", str(value))).split())
    return text or None


def _one_line(exc: Any) -> str | None:
    if exc is None:
        return None
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# --------------------------------------------------------------------------- JSON Feed


def _parse_json_feed(data: bytes, url: str, max_entries: int) -> ParsedFeed:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: [[[[... nested deep
        raise FeedError(f"invalid JSON: {_one_line(exc)}") from exc
    if not isinstance(doc, dict):
        raise FeedError("JSON document is not a JSON Feed (not an object)")
    version = str(doc.get("version", ""))
    match = re.fullmatch(r"https?://jsonfeed\.org/version/(1(?:\.1)?)/?", version.strip())
    if match is None:
        raise FeedError(f"JSON document is not a JSON Feed (version {version[:60]!r})")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed has no items list")
    entries, skipped = _collect(_json_entry(item, url) for item in items[:max_entries])
    home = doc.get("home_page_url")
    return ParsedFeed(
        entries=entries,
        title=_plain(doc.get("title")) if isinstance(doc.get("title"), str) else None,
        bozo=False,
        bozo_reason=None,
        format=_JSON_FEED_VERSIONS[match.group(1)],
        link=home if isinstance(home, str) else None,
        skipped=skipped,
        truncated=len(items) > max_entries,
        encoding="utf-8",
    )


def _json_entry(item: Any, feed_url: str) -> FeedEntry | None:
    if not isinstance(item, dict):
        return None
    link = item.get("url") or item.get("external_url")
    if not isinstance(link, str) or not link.strip():
        return None
    published = None
    for key in ("date_published", "date_modified"):
        published = _from_iso(item.get(key))
        if published is not None:
            break
    summary = item.get("summary") or item.get("content_text") or item.get("content_html")
    title = item.get("title")
    guid = item.get("id")
    return _make_entry(
        link,
        feed_url,
        title if isinstance(title, str) else None,
        published,
        summary if isinstance(summary, str) else None,
        guid if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
    )


def _from_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return plausible(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None
