"""Feed parsing on the real files in shared/fixtures/feeds (skipped when they are absent)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diplowatch.parse.feeds import FeedError, parse_feed

pytestmark = pytest.mark.timeout(60)

# README table: file → item count.
NEWS = {
    "guardian_us_2018.rss": 55,
    "heise_developer_de_2016.atom": 15,
    "huffpost_canada_2017.rss": 2,
    "techcrunch_feedburner.rss": 20,
    "google_alerts_2019.atom": 20,
    "google_actualites_fr_be_2020.rss": 1,
    "reporterre_fr_dcdate.rss": 1,
    "nyt_health_char_escape.rss": 1,
}


def read(base: Path, rel: str) -> bytes:
    return (base / rel).read_bytes()


@pytest.mark.parametrize("name", sorted(NEWS))
def test_news_feeds(feed_fixtures: Path, name: str) -> None:
    feed = parse_feed(read(feed_fixtures, f"news/{name}"), f"https://feeds.example.com/{name}")
    assert len(feed.entries) == NEWS[name]
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert "#" not in entry.url and "utm_" not in entry.url
        assert entry.title
        assert entry.published is None or entry.published.tzinfo is not None


def test_techcrunch_leading_whitespace_and_feedburner_links(feed_fixtures: Path) -> None:
    body = read(feed_fixtures, "news/techcrunch_feedburner.rss")
    assert body[:1].isspace()  # the fixture's point: whitespace before <?xml
    feed = parse_feed(body, "http://feeds.feedburner.com/TechCrunch")
    assert not feed.bozo and feed.title == "TechCrunch" and feed.format == "rss20"
    first = feed.entries[0]
    # feedproxy.google.com redirects are replaced by FeedBurner's origLink.
    assert (
        first.url
        == "http://techcrunch.com/2011/11/02/angies-list-prices-ipo-at-11-to-13-per-share-valued-at-over-600m/"
    )
    assert first.original_url.startswith("http://techcrunch.com/")
    assert first.published == datetime(2011, 11, 2, 17, 25, 27, tzinfo=UTC)


def test_google_alerts_fixture_is_unwrapped(feed_fixtures: Path) -> None:
    feed = parse_feed(
        read(feed_fixtures, "news/google_alerts_2019.atom"), "https://www.google.com/alerts/feeds/1/2"
    )
    assert all("google.com/url" not in e.url for e in feed.entries)
    assert all(e.original_url.startswith("https://www.google.com/url?") for e in feed.entries)
    assert feed.entries[0].url.startswith("https://www.aglobalmarketresearch.com/report-offers-prediction")
    assert "<b>" not in (feed.entries[0].title or "")


def test_google_news_fr_fixture(feed_fixtures: Path) -> None:
    feed = parse_feed(
        read(feed_fixtures, "news/google_actualites_fr_be_2020.rss"), "https://news.google.com/rss"
    )
    assert feed.title == "À la une - Google Actualités"
    [entry] = feed.entries
    assert entry.opaque_redirect and entry.url.startswith("https://news.google.com/")


def test_reporterre_dc_date_and_entities(feed_fixtures: Path) -> None:
    [entry] = parse_feed(
        read(feed_fixtures, "news/reporterre_fr_dcdate.rss"), "https://reporterre.net/spip.php?page=backend"
    ).entries
    assert entry.published is not None and entry.published.year == 2025
    assert "&amp;" not in (entry.title or "") and "&#" not in (entry.title or "")


def test_nyt_escaped_title(feed_fixtures: Path) -> None:
    feed = parse_feed(read(feed_fixtures, "news/nyt_health_char_escape.rss"), "https://rss.nytimes.com/x.xml")
    assert feed.title == "NYT > Health"


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("uol_noticias_pt_latin1_undeclared.rss", "UOL Noticias"),
        ("jn_pt_iso8859-1.rss", "Jornal de Notícias"),
        ("qq_news_gb2312.xml", "新闻国内"),
        ("example_pl_iso8859-2.rss", "EXAMPLE.pl"),
    ],
)
def test_legacy_encodings(feed_fixtures: Path, name: str, needle: str) -> None:
    feed = parse_feed(read(feed_fixtures, f"encoding_edge_cases/{name}"), "https://feeds.example.com/x")
    assert feed.title is not None and needle in feed.title
    assert feed.entries
    text = " ".join(f"{e.title} {e.summary}" for e in feed.entries)
    assert "\ufffd" not in text and "Ã" not in text  # no mojibake


def test_undeclared_latin1_portuguese_reads_correctly(feed_fixtures: Path) -> None:
    feed = parse_feed(
        read(feed_fixtures, "encoding_edge_cases/uol_noticias_pt_latin1_undeclared.rss"), "https://x.example/"
    )
    assert feed.bozo and feed.encoding == "cp1252"
    text = " ".join(e.title or "" for e in feed.entries)
    assert re.search(r"[çãéíóú]", text)
    # Portuguese month names ("Seg, 24 Set 2018") are read too.
    assert all(e.published is not None and e.published.year == 2018 for e in feed.entries)


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("feedparser_chardet_big5.xml", "big5"),
        ("feedparser_chardet_eucjp.xml", "euc_jp"),
        ("feedparser_chardet_euckr.xml", "cp949"),
        ("feedparser_chardet_gb2312.xml", "gb18030"),
        ("feedparser_chardet_koi8r.xml", "koi8-r"),
        ("feedparser_chardet_shiftjis.xml", "cp932"),
        ("feedparser_chardet_tis620.xml", "cp874"),
        ("feedparser_chardet_windows1255.xml", "cp1255"),
    ],
)
def test_undeclared_asian_and_cyrillic_encodings(feed_fixtures: Path, name: str, codec: str) -> None:
    # The fixtures' own expectation: "bozo and encoding == <the right one>".
    feed = parse_feed(read(feed_fixtures, f"encoding_edge_cases/{name}"), "https://x.example/")
    assert feed.bozo
    assert feed.encoding is not None and feed.encoding.startswith(codec)


def test_invalid_dc_date(feed_fixtures: Path) -> None:
    feed = parse_feed(
        read(feed_fixtures, "encoding_edge_cases/invalid_dc_date.rss"), "http://example.com/feed"
    )
    published = [e.published for e in feed.entries]
    assert published[0] == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)  # pubDate; the epoch dc:date is ignored
    assert all(p is None or p.year == 2017 for p in published)


@pytest.mark.parametrize(
    "name", ["androidauthority_malformed.rss", "escape_malformed.atom", "atom_wrapped_in_xhtml.xml"]
)
def test_malformed_fixtures_still_give_entries(feed_fixtures: Path, name: str) -> None:
    feed = parse_feed(read(feed_fixtures, f"encoding_edge_cases/{name}"), "https://x.example/feed")
    assert feed.entries


def test_discovery_fixtures(feed_fixtures: Path) -> None:
    json_feed = parse_feed(
        read(feed_fixtures, "discovery/trafilatura_feed.json"), "https://feeds.npr.org/1019/feed.json"
    )
    assert json_feed.format == "json1" and len(json_feed.entries) == 25
    assert all("utm_" not in e.url for e in json_feed.entries)
    assert parse_feed(read(feed_fixtures, "discovery/trafilatura_feed1.atom"), "https://x.example/").entries
    assert parse_feed(read(feed_fixtures, "discovery/trafilatura_feed2.rss"), "https://x.example/").entries
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(read(feed_fixtures, "discovery/trafilatura_sitemap.xml"), "https://x.example/sitemap.xml")


def test_every_fixture_ends_in_a_result_or_feed_error(feed_fixtures: Path) -> None:
    for path in sorted(feed_fixtures.rglob("*")):
        if not path.is_file() or path.suffix in (".md", "") or path.name.startswith("LICENSE"):
            continue
        try:
            parse_feed(path.read_bytes(), "https://x.example/feed")
        except FeedError as exc:
            assert "\n" not in str(exc)
