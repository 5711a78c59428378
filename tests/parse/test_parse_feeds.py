"""Feed parsing on small inline documents: safety, encodings, broken XML, dates, JSON Feed, discovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from diplowatch.parse.feeds import FeedError, discover_feeds, parse_feed

pytestmark = pytest.mark.timeout(30)

FEED_URL = "https://news.example.com/feed.xml"


def rss(items: str, *, declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>Desk</title>'
        f"<link>https://news.example.com/</link>{items}</channel></rss>"
    ).encode()


ITEM = (
    "<item><title>Summit &amp; talks</title><link>https://news.example.com/a?utm_source=rss</link>"
    "<guid isPermaLink='false'>id-1</guid><pubDate>Tue, 18 Jul 2023 09:30:00 +0200</pubDate>"
    "<description>&lt;p&gt;The ministers &lt;b&gt;met&lt;/b&gt;.&lt;/p&gt;</description></item>"
)


def test_plain_rss() -> None:
    feed = parse_feed(rss(ITEM), FEED_URL, "application/rss+xml; charset=utf-8")
    assert feed.format == "rss20" and feed.title == "Desk" and not feed.bozo and feed.bozo_reason is None
    [entry] = feed.entries
    assert entry.url == "https://news.example.com/a"  # canonicalised
    assert entry.original_url == "https://news.example.com/a?utm_source=rss"
    assert entry.title == "Summit & talks"
    assert entry.summary == "The ministers met ."
    assert entry.guid == "id-1"
    assert entry.published == datetime(2023, 7, 18, 7, 30, tzinfo=UTC)
    assert entry.published is not None and entry.published.tzinfo is not None


def test_relative_links_are_made_absolute_and_duplicates_skipped() -> None:
    items = (
        "<item><title>a</title><link>/world/a.html</link></item>"
        "<item><title>a again</title><link>https://news.example.com/world/a.html#x</link></item>"
        "<item><title>no link</title></item>"
        "<item><title>mail</title><link>mailto:desk@example.com</link></item>"
    )
    feed = parse_feed(rss(items), FEED_URL)
    assert [e.url for e in feed.entries] == ["https://news.example.com/world/a.html"]
    assert feed.skipped == 3


# --------------------------------------------------------------------------- XML attacks

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://news.example.com/a</link></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title>
<item><title>&xxe;</title><link>https://news.example.com/a</link></item></channel></rss>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote;]>
<rss version="2.0"><channel><title>t</title></channel></rss>"""


@pytest.mark.parametrize(
    "doc",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY],
    ids=["billion-laughs", "xxe", "parameter-entity"],
)
def test_entity_declarations_are_refused(doc: bytes) -> None:
    with pytest.raises(FeedError, match="feed refused") as info:
        parse_feed(doc, FEED_URL, "application/rss+xml")
    assert "\n" not in str(info.value)


def test_entity_declaration_in_an_encoding_expat_cannot_read_is_still_refused() -> None:
    doc = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="gb2312"?>')
    with pytest.raises(FeedError, match="feed refused"):
        parse_feed(doc, FEED_URL)


def test_entity_declaration_in_utf16_is_refused() -> None:
    doc = EXTERNAL_ENTITY.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    with pytest.raises(FeedError, match="feed refused"):
        parse_feed(doc.encode("utf-16"), FEED_URL)


def test_plain_doctype_without_entities_is_fine() -> None:
    doc = rss(ITEM).replace(
        b"<rss",
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
        1,
    )
    assert len(parse_feed(doc, FEED_URL).entries) == 1


# --------------------------------------------------------------------------- encodings and broken XML


def test_leading_whitespace_and_bom_before_declaration() -> None:
    doc = b"\n\n   \xef\xbb\xbf" + rss(ITEM)
    feed = parse_feed(doc, FEED_URL, "application/rss+xml")
    assert len(feed.entries) == 1 and not feed.bozo


def test_utf16_with_bom() -> None:
    text = rss(ITEM).decode().replace('encoding="utf-8"', 'encoding="utf-16"')
    feed = parse_feed(text.encode("utf-16"), FEED_URL)
    assert [e.title for e in feed.entries] == ["Summit & talks"]


def test_undeclared_latin1_is_detected() -> None:
    items = "".join(
        f"<item><title>Eleições: o presidente visitará o Brasil em março ({i})</title>"
        f"<link>https://noticias.example.com.br/{i}</link>"
        "<description>O ministro das Relações Exteriores anunciou a visita após reunião com a delegação.</description></item>"
        for i in range(3)
    )
    doc = f'<rss version="2.0"><channel><title>Notícias</title>{items}</channel></rss>'.encode("latin-1")
    feed = parse_feed(doc, FEED_URL)
    assert feed.title == "Notícias"
    assert feed.entries[0].title == "Eleições: o presidente visitará o Brasil em março (0)"
    assert feed.bozo and feed.bozo_reason == "undeclared character encoding, read as cp1252"


def test_declared_gb2312() -> None:
    items = "<item><title>中国外交部长访问法国</title><link>http://news.example.cn/a.htm</link></item>"
    doc = (
        '<?xml version="1.0" encoding="gb2312"?>\n<rss version="2.0"><channel><title>新闻国内</title>'
        f"{items}</channel></rss>"
    ).encode("gb2312")
    feed = parse_feed(doc, FEED_URL)
    assert feed.title == "新闻国内"
    assert feed.entries[0].title == "中国外交部长访问法国"


def test_http_charset_is_used_for_undeclared_documents() -> None:
    doc = rss(ITEM.replace("Summit", "Sommet à Pékin"), declaration="").decode().encode("cp1252")
    feed = parse_feed(doc, FEED_URL, "application/rss+xml; charset=windows-1252")
    assert feed.entries[0].title == "Sommet à Pékin & talks"


def test_malformed_xml_is_recovered_as_bozo() -> None:
    broken = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Broken & Co</title>'
        b"<item><title>First <b>unclosed</title><link>https://news.example.com/1</link></item>"
        b"<item><title>Second</title><link>https://news.example.com/2</link>"
    )
    feed = parse_feed(broken, FEED_URL)
    assert feed.bozo and feed.bozo_reason and "\n" not in feed.bozo_reason
    assert [e.url for e in feed.entries] == ["https://news.example.com/1", "https://news.example.com/2"]


@pytest.mark.parametrize(
    "doc",
    [b"", b"   \n", b"<html><body><p>Not a feed</p></body></html>", b"just some text", b"\x00\x01\x02\x03"],
    ids=["empty", "blank", "html", "text", "binary"],
)
def test_unrecoverable_documents_raise_feed_error(doc: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(doc, FEED_URL)
    assert "\n" not in str(info.value)


def test_a_valid_feed_without_entries_is_not_an_error() -> None:
    feed = parse_feed(rss(""), FEED_URL)
    assert feed.entries == [] and feed.title == "Desk"


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tue, 18 Jul 2023 09:30:00 GMT", datetime(2023, 7, 18, 9, 30, tzinfo=UTC)),
        ("2023-07-18T09:30:00+02:00", datetime(2023, 7, 18, 7, 30, tzinfo=UTC)),
        ("mar., 18 juil. 2023 09:30:00 +0200", datetime(2023, 7, 18, 7, 30, tzinfo=UTC)),  # French
        ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),  # Portuguese
        ("0000-00-00T00:00:00Z", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", None),
        ("Mon, 01 Jan 0001 00:00:00 GMT", None),
        ("1518478934", None),
        ("yesterday-ish", None),
        ("", None),
    ],
)
def test_dates(raw: str, expected: datetime | None) -> None:
    item = f"<item><title>t</title><link>https://news.example.com/a</link><pubDate>{raw}</pubDate></item>"
    [entry] = parse_feed(rss(item), FEED_URL).entries
    assert entry.published == expected


def test_entries_are_capped() -> None:
    items = "".join(
        f"<item><title>{i}</title><link>https://news.example.com/{i}</link></item>" for i in range(30)
    )
    feed = parse_feed(rss(items), FEED_URL, max_entries=10)
    assert len(feed.entries) == 10 and feed.truncated


# --------------------------------------------------------------------------- Google Alerts

GOOGLE_ALERTS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - Lavrov</title>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">&lt;b&gt;Lavrov&lt;/b&gt; to visit Pyongyang</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://www.example.org/world/lavrov-visit%3Futm_source%3Dalerts&amp;ct=ga&amp;cd=CAI&amp;usg=AFQ"></link>
<published>2023-10-18T08:00:00Z</published><content type="html">The &lt;b&gt;Russian&lt;/b&gt; minister ...</content></entry>
</feed>"""


def test_google_alerts_links_are_unwrapped() -> None:
    feed = parse_feed(GOOGLE_ALERTS, "https://www.google.com/alerts/feeds/1/2", "application/atom+xml")
    [entry] = feed.entries
    assert entry.url == "https://www.example.org/world/lavrov-visit"
    assert entry.title == "Lavrov to visit Pyongyang"
    assert entry.published == datetime(2023, 10, 18, 8, 0, tzinfo=UTC)
    assert feed.format == "atom10"


def test_google_news_links_are_marked() -> None:
    item = "<item><title>t</title><link>https://news.google.com/rss/articles/CBMiXYZ?oc=5</link></item>"
    [entry] = parse_feed(rss(item), FEED_URL).entries
    assert entry.opaque_redirect and entry.url.startswith("https://news.google.com/rss/articles/")


# --------------------------------------------------------------------------- JSON Feed


@pytest.mark.parametrize(
    ("version", "fmt"),
    [("https://jsonfeed.org/version/1", "json1"), ("https://jsonfeed.org/version/1.1", "json1.1")],
)
def test_json_feed(version: str, fmt: str) -> None:
    doc = {
        "version": version,
        "title": "Diplomatic desk",
        "home_page_url": "https://desk.example.com/",
        "items": [
            {
                "id": "1",
                "url": "https://desk.example.com/a?utm_medium=JSONFeed",
                "title": "Macron in Beijing",
                "content_html": "<p>Emmanuel Macron <em>arrived</em>.</p>",
                "date_published": "2023-04-05T10:00:00+02:00",
            },
            {"id": 2, "external_url": "/b", "summary": "Short", "date_modified": "2023-04-06T00:00:00Z"},
            {"id": "3", "title": "no url"},
            {"id": "4", "url": "https://desk.example.com/c", "date_published": "9999-12-31T00:00:00Z"},
            "not an object",
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), "https://desk.example.com/feed.json", "application/feed+json")
    assert feed.format == fmt and feed.title == "Diplomatic desk" and not feed.bozo
    assert [e.url for e in feed.entries] == [
        "https://desk.example.com/a",
        "https://desk.example.com/b",
        "https://desk.example.com/c",
    ]
    first, second, third = feed.entries
    assert first.summary == "Emmanuel Macron arrived ." and first.guid == "1"
    assert first.published == datetime(2023, 4, 5, 8, 0, tzinfo=UTC)
    assert second.guid == "2" and second.published == datetime(2023, 4, 6, tzinfo=UTC)
    assert third.published is None
    assert feed.skipped == 2


@pytest.mark.parametrize(
    "doc",
    [
        b"{not json",
        b'{"version": "https://example.com/other", "items": []}',
        b'{"version": "https://jsonfeed.org/version/1"}',
        b"[1, 2]",
    ],
    ids=["syntax", "not-jsonfeed", "no-items", "array"],
)
def test_bad_json_feeds(doc: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(doc, FEED_URL, "application/json")


# --------------------------------------------------------------------------- discovery


def test_discover_feeds() -> None:
    page = b"""<!doctype html><html><head><base href="https://www.example.com/fr/">
    <link rel="alternate" type="application/rss+xml" title="RSS" href="rss.xml">
    <link rel="alternate" type="application/atom+xml" href="/atom.xml#top">
    <link rel="Alternate" type="application/feed+json" href="https://www.example.com/feed.json">
    <link rel="alternate" type="application/rss+xml" href="rss.xml">
    <link rel="alternate" hreflang="en" href="https://www.example.com/en/">
    <link rel="stylesheet" type="text/css" href="s.css">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    </head><body></body></html>"""
    assert discover_feeds(page, "https://www.example.com/fr/page.html") == [
        "https://www.example.com/fr/rss.xml",
        "https://www.example.com/atom.xml",
        "https://www.example.com/feed.json",
    ]


@pytest.mark.parametrize("page", [b"", b"   ", b"<html></html>", b"\x00\xff\xfe garbage"])
def test_discover_feeds_on_junk(page: bytes) -> None:
    assert discover_feeds(page, "https://www.example.com/") == []
