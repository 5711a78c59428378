"""URL canonicalisation and redirect unwrapping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplowatch.parse.urls import canonicalize_url, is_opaque_redirect, unwrap_redirect


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # scheme, host, default ports, fragments
        ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        # tracking parameters
        ("https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://example.com/a"),
        ("https://example.com/a?id=5&fbclid=IwAR0abc", "https://example.com/a?id=5"),
        ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&ocid=4&cmpid=5", "https://example.com/a"),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208", "https://www.lemonde.fr/a.html"),
        ("https://www.bbc.com/news/x?at_medium=RSS&at_campaign=KARANGA", "https://www.bbc.com/news/x"),
        ("https://example.com/a?UTM_Source=x&b=1", "https://example.com/a?b=1"),
        ("https://example.com/a?ref_src=twsrc%5Etfw", "https://example.com/a"),
        ("https://example.com/a?ref=rss", "https://example.com/a"),
        ("https://example.com/a?ref=twitter&page=2", "https://example.com/a?page=2"),
        ("https://github.com/o/r/blob/x?ref=main", "https://github.com/o/r/blob/x?ref=main"),  # not tracking
        # remaining parameters sorted, encodings kept
        ("https://example.com/search?q=b&a=1", "https://example.com/search?a=1&q=b"),
        ("https://example.com/s?q=a%2fb&z=%e9", "https://example.com/s?q=a%2Fb&z=%E9"),
        ("https://example.com/s?q=x+y", "https://example.com/s?q=x+y"),
        ("https://example.com/s?flag", "https://example.com/s?flag"),
        # AMP
        ("https://example.com/world/story/amp", "https://example.com/world/story"),
        ("https://example.com/world/story/amp/", "https://example.com/world/story"),
        ("https://example.com/world/story?amp", "https://example.com/world/story"),
        ("https://example.com/world/story?amp=1&id=2", "https://example.com/world/story?id=2"),
        ("https://www.example.com/world/story.amp.html", "https://www.example.com/world/story.html"),
        ("https://amp.theguardian.com/world/2018/jan/31/x", "https://theguardian.com/world/2018/jan/31/x"),
        ("https://www.washingtonpost.com/a/?outputType=amp", "https://www.washingtonpost.com/a/"),
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/a.html",
            "https://www.example.com/news/a.html",
        ),
        # paths keep their case; unsafe characters are escaped once
        ("https://example.com/Path/To/Article", "https://example.com/Path/To/Article"),
        ("https://example.com/caf\u00e9 noir", "https://example.com/caf%C3%A9%20noir"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        # not http(s): left alone
        ("mailto:desk@example.com", "mailto:desk@example.com"),
        ("/relative/path", "/relative/path"),
        ("http://example.com:bad/", "http://example.com:bad/"),
    ],
)
def test_canonicalize_table(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical


def test_canonical_forms_are_equal_for_variants() -> None:
    variants = [
        "https://www.example.com/world/story-123",
        "HTTPS://www.example.com:443/world/story-123#top",
        "https://www.example.com/world/story-123?utm_source=twitter&utm_medium=social",
        "https://www.example.com/world/story-123/amp",
    ]
    assert len({canonicalize_url(v) for v in variants}) == 1


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http", "https", "HTTP"]),
    st.from_regex(r"[A-Za-z0-9-]{1,12}(\.[A-Za-z]{2,6}){1,2}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "utm_x", "ref", "amp", "q", "fbclid"]), st.text(max_size=8)),
        max_size=5,
    ),
)
def test_canonicalize_is_idempotent(scheme: str, host: str, path: str, params: list[tuple[str, str]]) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{scheme}://{host}/{path}" + (f"?{query}" if query else "")
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_canonicalize_never_raises(url: str) -> None:
    assert isinstance(canonicalize_url(url), str)


ALERT = (
    "https://www.google.com/url?rct=j&sa=t&url=https://www.example.com/2019/07/10/slack-story/"
    "&ct=ga&cd=CAIyHGU4ZTJkZjQ3OTVkYmIzMTc6Y28uanA6ZW46SlA&usg=AFQjCNHUcRGtHY1ygcMDkVS68IgpYs7Wpg"
)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (ALERT, "https://www.example.com/2019/07/10/slack-story/"),
        ("https://www.google.fr/url?q=https://www.lemonde.fr/a.html&sa=U", "https://www.lemonde.fr/a.html"),
        ("https://google.co.uk/url?url=https%3A%2F%2Fexample.org%2Fa%3Fb%3D1", "https://example.org/a?b=1"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2Fx&h=AT0", "https://example.org/x"),
        # a wrapper of a wrapper
        (
            "https://www.google.com/url?url="
            + "https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%3A%2F%2Fexample.net%2F",
            "https://example.net/",
        ),
        # not wrappers, or wrappers without a usable target
        (
            "https://www.google.com/url?q=javascript:alert(1)",
            "https://www.google.com/url?q=javascript:alert(1)",
        ),
        (
            "https://www.google.com/search?q=https://example.com",
            "https://www.google.com/search?q=https://example.com",
        ),
        (
            "https://evil.example/url?url=https://example.com",
            "https://evil.example/url?url=https://example.com",
        ),
        ("https://example.com/a", "https://example.com/a"),
    ],
)
def test_unwrap_redirect(url: str, target: str) -> None:
    assert unwrap_redirect(url) == target


def test_google_news_links_are_kept_but_marked_opaque() -> None:
    link = "https://news.google.com/rss/articles/CBMiK2h0dHBzOi8vd3d3LmV4YW1wbGUuY29tL2EuaHRtbNIBAA?oc=5"
    assert unwrap_redirect(link) == link
    assert is_opaque_redirect(link)
    assert is_opaque_redirect("https://news.google.com/__i/rss/rd/articles/CBMiiwFodHRw?oc=5")
    assert not is_opaque_redirect("https://news.google.com/topstories")
    assert not is_opaque_redirect(ALERT)
