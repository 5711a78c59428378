"""URL canonicalisation and redirect unwrapping, so one article has one URL whatever link led to it.

The canonical form is what `articles.canonical_url` holds and what deduplication keys on:
tracking parameters, fragments, default ports and AMP variants must not make two URLs differ.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

# Query parameters that only say where a click came from.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "cmpid",
        "xtor",
        "at_medium",
        "at_campaign",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "smid",
        "smtyp",
        "cmp",
        "__twitter_impression",
    }
)
_TRACKING_PREFIXES = ("utm_",)
# `ref` names a branch or a page on some sites; drop it only when its value is a known referrer tag.
_REF_TRACKING_VALUES = frozenset(
    {
        "rss",
        "feed",
        "atom",
        "twitter",
        "tw",
        "twtr",
        "facebook",
        "fb",
        "linkedin",
        "reddit",
        "hp",
        "homepage",
        "home",
        "newsletter",
        "email",
        "mail",
        "share",
        "social",
        "google",
        "googlenews",
        "gnews",
        "flipboard",
        "yahoo",
        "msn",
        "push",
        "app",
        "nav",
        "menu",
        "search",
        "related",
        "headline",
        "topnews",
    }
)
# Parameters that only select the AMP rendering of the same article.
_AMP_PARAMS = {"amp": {"", "1", "true", "yes"}, "outputtype": {"amp"}, "output": {"amp"}}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?$")
_AMP_CACHE_HOST = re.compile(r"\.cdn\.ampproject\.org$")

# Characters left as they are when re-quoting a path or query: reserved, unreserved and "%".
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"
_QUERY_SAFE = _PATH_SAFE + "?"


def _is_tracking(key: str, value: str) -> bool:
    key = key.lower()
    if key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES):
        return True
    if key == "ref":
        return value.lower() in _REF_TRACKING_VALUES
    if key in _AMP_PARAMS:
        return value.lower() in _AMP_PARAMS[key]
    return False


def _upper_escapes(text: str) -> str:
    return _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), text)


def _unwrap_amp_cache(scheme: str, host: str, path: str) -> tuple[str, str, str]:
    """https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a → https://www.example.com/a."""
    match = re.match(r"^/(?:c|v|i|wp)/(s/)?([^/]+)(/.*)?$", path)
    if not _AMP_CACHE_HOST.search(host) or not match:
        return scheme, host, path
    return ("https" if match.group(1) else "http"), match.group(2).lower(), match.group(3) or "/"


def canonicalize_url(url: str) -> str:
    """The canonical form of an http(s) URL; other strings come back stripped but unchanged.

    Lower-cases scheme and host, drops default ports, fragments, tracking and AMP-selecting
    query parameters, sorts the rest, maps AMP paths and hosts to the regular article, keeps
    the path's case. Idempotent: canonicalize_url(canonicalize_url(u)) == canonicalize_url(u).
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".").lower()
    path = parts.path or "/"
    scheme, host, path = _unwrap_amp_cache(scheme, host, path)
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[len("amp.") :]
    # AMP variants of the same article: /story/amp, /story/amp/, /story.amp.html
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    elif path.endswith("/amp") or path.endswith("/amp/"):
        path = path[: path.rstrip("/").rfind("/")] or "/"
    path = _upper_escapes(quote(path, safe=_PATH_SAFE))

    kept: list[tuple[str, str]] = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote(raw_key.replace("+", " "))
        value = unquote(raw_value.replace("+", " "))
        if _is_tracking(key, value):
            continue
        # Keep the original encoding of what stays, only normalising the escapes' case.
        item = _upper_escapes(quote(raw_key, safe=_QUERY_SAFE))
        if "=" in pair:
            item += "=" + _upper_escapes(quote(raw_value, safe=_QUERY_SAFE))
        kept.append((key, item))
    query = "&".join(item for _key, item in sorted(kept))

    netloc = f"[{host}]" if ":" in host else host
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, path, query, ""))


def _query_param(query: str, names: tuple[str, ...]) -> str | None:
    params = dict(parse_qsl(query, keep_blank_values=True))
    for name in names:
        value = params.get(name, "").strip()
        if value.lower().startswith(("http://", "https://")):
            return value
    return None


def unwrap_redirect(url: str) -> str:
    """The destination of a known click-tracking redirect, else `url` itself (stripped).

    Handles google.<tld>/url?...&url=... (Google Alerts) and ...&q=..., and Facebook's
    l.facebook.com/l.php?u=.... Google News article links (news.google.com/rss/articles/...)
    are opaque: they stay as they are; see `is_opaque_redirect`.
    """
    current = url.strip()
    for _ in range(3):  # wrappers of wrappers exist, but not deep ones
        try:
            parts = urlsplit(current)
        except ValueError:
            return current
        host = (parts.hostname or "").lower()
        target: str | None = None
        if _GOOGLE_HOST.match(host) and parts.path == "/url":
            target = _query_param(parts.query, ("url", "q"))
        elif host in ("l.facebook.com", "lm.facebook.com") and parts.path == "/l.php":
            target = _query_param(parts.query, ("u",))
        if target is None:
            return current
        current = target
    return current


def is_opaque_redirect(url: str) -> bool:
    """True for redirect links whose target is not in the URL (Google News articles).

    Such URLs must be fetched to learn the article's address; the fetch's final_url is it.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return (parts.hostname or "").lower() == "news.google.com" and parts.path.startswith(
        ("/rss/articles/", "/articles/", "/__i/rss/rd/articles/")
    )
