"""Article pages: decoding, text, title, date, canonical URL, language, hashes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from diplowatch.parse.articles import ParseError, content_hash, decode_html, detect_language, parse_article
from diplowatch.parse.dedup import simhash64

pytestmark = pytest.mark.timeout(60)

URL = "https://www.example.com/world/2023/10/18/putin-beijing?utm_source=rss"

EN_PARAGRAPHS = [
    "Russian President Vladimir Putin arrived in Beijing on Tuesday for a two-day visit, his first trip "
    "outside the former Soviet Union since the International Criminal Court issued a warrant for his arrest.",
    "Putin will attend the Belt and Road Forum and hold talks with Chinese leader Xi Jinping, the Kremlin "
    "said, adding that the two leaders would discuss trade, energy and the situation in the Middle East.",
    "Foreign Minister Sergei Lavrov, who accompanied the president, told reporters that Moscow valued the "
    "strategic partnership with China and expected several agreements to be signed during the visit.",
    "Western officials have criticised the growing ties between the two countries, while Beijing insists "
    "that its relationship with Moscow is not directed against any third party.",
]
FR_PARAGRAPHS = [
    "Le président russe Vladimir Poutine est arrivé mardi à Pékin pour une visite de deux jours, son premier "
    "déplacement hors de l'ex-Union soviétique depuis le mandat d'arrêt émis par la Cour pénale internationale.",
    "Il participera au forum des Nouvelles routes de la soie et s'entretiendra avec le dirigeant chinois Xi "
    "Jinping, a indiqué le Kremlin, précisant que les deux hommes évoqueraient le commerce et l'énergie.",
    "Le ministre des Affaires étrangères Sergueï Lavrov a déclaré que Moscou tenait à ce partenariat "
    "stratégique et que plusieurs accords devraient être signés à l'occasion de cette visite très attendue.",
]


def page(
    paragraphs: list[str],
    *,
    lang: str | None = "en",
    head: str = "",
    title: str = "Putin arrives in Beijing",
    charset_meta: str | None = "utf-8",
) -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html{lang_attr}><head>{meta}<title>{title} | Example News</title>{head}</head>"
        f"<body><header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        f"<footer><p>(c) Example News 2023. All rights reserved.</p></footer></body></html>"
    )


def test_english_article() -> None:
    head = (
        '<link rel="canonical" href="https://www.example.com/world/2023/10/18/putin-beijing?utm_medium=x#top">'
        '<meta property="article:published_time" content="2023-10-18T08:00:00+00:00">'
        '<meta property="article:modified_time" content="2023-10-20T17:45:00+00:00">'
    )
    article = parse_article(page(EN_PARAGRAPHS, head=head).encode(), URL, "text/html; charset=utf-8")
    assert article.url == URL
    assert article.canonical_url == "https://www.example.com/world/2023/10/18/putin-beijing"
    assert article.title is not None and article.title.startswith("Putin arrives in Beijing")
    assert "Belt and Road Forum" in article.text and "All rights reserved" not in article.text
    assert article.published == date(2023, 10, 18)  # the original date, not the update
    assert article.lang == "en" and article.charset == "utf-8"
    assert article.content_hash == content_hash(article.text) and len(article.content_hash) == 64
    assert article.simhash == simhash64(article.text) and -(2**63) <= article.simhash < 2**63


def test_french_article_without_declared_language() -> None:
    article = parse_article(page(FR_PARAGRAPHS, lang=None, title="Poutine à Pékin").encode(), URL)
    assert article.lang == "fr"
    assert "Nouvelles routes de la soie" in article.text


@pytest.mark.parametrize(
    ("declared", "expected"), [("fr-FR", "fr"), ("en", "fr"), ("FR", "fr"), ("de", "fr")]
)
def test_declared_language_checked_against_text(declared: str, expected: str) -> None:
    article = parse_article(page(FR_PARAGRAPHS, lang=declared).encode(), URL)
    assert article.lang == expected


def test_detect_language_edge_cases() -> None:
    assert detect_language("Bonjour", None) is None  # too short to tell
    assert detect_language("Bonjour", "fr-BE") == "fr"  # short: trust the page
    assert detect_language(" ".join(EN_PARAGRAPHS), "en-GB") == "en"


@pytest.mark.parametrize(
    ("head", "canonical"),
    [
        (
            '<link rel="canonical" href="/world/putin-beijing">',
            "https://www.example.com/world/2023/10/18/putin-beijing",
        ),
        (
            '<link rel="canonical" href="https://www.example.com/">',
            "https://www.example.com/world/2023/10/18/putin-beijing",
        ),
        (
            '<meta property="og:url" content="https://m.example.com/world/putin?fbclid=1">',
            "https://m.example.com/world/putin",
        ),
        (
            '<link rel="canonical" href="javascript:void(0)">',
            "https://www.example.com/world/2023/10/18/putin-beijing",
        ),
        ('<link rel="canonical amphtml" href="HTTPS://WWW.EXAMPLE.COM/a">', "https://www.example.com/a"),
    ],
)
def test_canonical_url_rules(head: str, canonical: str) -> None:
    article = parse_article(page(EN_PARAGRAPHS, head=head).encode(), URL)
    assert article.canonical_url == canonical


# --------------------------------------------------------------------------- encodings


def test_undeclared_cp1252() -> None:
    body = page(FR_PARAGRAPHS, lang="fr", charset_meta=None, title="Poutine à Pékin").encode("cp1252")
    article = parse_article(body, URL, "text/html")
    assert article.charset == "cp1252"
    assert "Sergueï Lavrov a déclaré" in article.text


def test_declared_gb2312() -> None:
    paragraphs = [
        "俄罗斯总统普京星期二抵达北京，开始为期两天的访问，这是他自国际刑事法院发出逮捕令以来首次离开前苏联地区。"
        * 2,
        "普京将出席一带一路国际合作高峰论坛，并与中国国家主席习近平举行会谈，双方将讨论贸易、能源和中东局势。"
        * 2,
        "俄罗斯外长拉夫罗夫表示，莫斯科重视与中国的战略伙伴关系，预计访问期间将签署多项协议。" * 2,
    ]
    body = page(paragraphs, lang="zh-CN", charset_meta="gb2312", title="普京抵达北京").encode("gb2312")
    article = parse_article(body, URL, min_words=1)
    assert article.charset == "gb18030"
    assert "一带一路" in article.text and article.lang == "zh"


def test_http_equiv_latin1_means_windows_1252() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
    paragraphs = [p + " « l’accord » – 5 €" for p in FR_PARAGRAPHS]
    body = page(paragraphs, lang="fr", charset_meta=None, head=head).encode("cp1252")
    article = parse_article(body, URL)
    assert article.charset == "cp1252"
    assert "« l’accord » – 5 €" in article.text


def test_http_charset_beats_a_wrong_meta() -> None:
    body = page(FR_PARAGRAPHS, lang="fr", charset_meta="utf-8").encode("cp1252")
    text, codec = decode_html(body, "text/html; charset=windows-1252")
    assert codec == "cp1252" and "déclaré" in text


def test_wrong_declared_charset_falls_back_to_sniffing() -> None:
    body = page(FR_PARAGRAPHS * 3, lang="fr", charset_meta="utf-8").encode("latin-1")
    text, codec = decode_html(body)
    assert codec != "utf-8" and "Sergueï" in text


def test_bom_beats_the_http_header() -> None:
    body = b"\xef\xbb\xbf" + page(FR_PARAGRAPHS, lang="fr").encode("utf-8")
    text, codec = decode_html(body, "text/html; charset=iso-8859-1")
    assert codec == "utf-8" and "déclaré" in text and not text.startswith("\ufeff")


def test_utf16_page_with_bom() -> None:
    article = parse_article(page(EN_PARAGRAPHS, charset_meta="utf-16").encode("utf-16"), URL)
    assert article.charset.startswith("utf-16") and "Belt and Road" in article.text


def test_xhtml_with_xml_declaration() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + page(EN_PARAGRAPHS)
    assert "Belt and Road" in parse_article(body.encode(), URL).text


# --------------------------------------------------------------------------- dates


def test_date_from_the_text_when_markup_has_none() -> None:
    paragraphs = ["Published on October 18, 2023 by our correspondent in Beijing.", *EN_PARAGRAPHS]
    article = parse_article(page(paragraphs).encode(), "https://www.example.com/world/putin-beijing")
    assert article.published == date(2023, 10, 18)


def test_date_from_the_url() -> None:
    article = parse_article(page(EN_PARAGRAPHS).encode(), "https://www.example.com/2023/10/18/putin-beijing")
    assert article.published == date(2023, 10, 18)


def test_absurd_dates_are_dropped() -> None:
    head = '<meta property="article:published_time" content="9999-12-31T00:00:00Z">'
    article = parse_article(page(EN_PARAGRAPHS, head=head).encode(), "https://www.example.com/world/putin")
    assert article.published is None or article.published <= date.today()


def test_no_date_at_all() -> None:
    article = parse_article(page(EN_PARAGRAPHS).encode(), "https://www.example.com/world/putin")
    assert article.published is None


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty page"),
        (b"   \n\t ", "empty page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text document (binary content)"),
        (b"<html><body></body></html>", "no article text found"),
        (
            b"<html><body><nav><a href='/'>Home</a> <a href='/a'>About</a></nav><div class='cookie'>We use cookies."
            b" Accept all</div><footer>Copyright 2023</footer></body></html>",
            "no article text found",
        ),
        (b"plain words, not enough of them", "not an HTML document"),
    ],
    ids=["empty", "blank", "png", "empty-html", "boilerplate", "short-text"],
)
def test_unusable_pages_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_article(body, URL)
    assert str(info.value) == message


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Putin  visits\nBeijing") == content_hash("putin visits Beijing ")
    assert content_hash("Putin visits Beijing") != content_hash("Putin visits Paris")


# --------------------------------------------------------------------------- real pages


def test_wikinews_fr_pages(wikinews_fr: Path) -> None:
    expected = {}
    for line in (wikinews_fr / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        expected[record["id"]] = record
    dates_right = dates_found = 0
    for path in sorted((wikinews_fr / "html").glob("*.html")):
        gold = expected[path.stem]
        article = parse_article(path.read_bytes(), f"https://fr.wikinews.org/wiki/{path.stem}", "text/html")
        assert article.lang == "fr", path.name
        assert article.title == gold["title"], path.name
        # The body's last paragraph is always article text, never boilerplate.
        last = gold["text"].strip().split("\n")[-1][:60]
        assert last in article.text.replace("\u00ad", ""), path.name
        if article.published is not None:
            dates_found += 1
            dates_right += article.published.isoformat() == gold["date"]
    assert dates_found >= 60 and dates_right / dates_found >= 0.95
