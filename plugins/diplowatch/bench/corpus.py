"""The benchmark corpus: N news articles, half English, half French, generated deterministically.

Each article recombines paragraphs of the bundled sample pages (data/sample/articles/,
text taken out of the HTML by the same parse_article the ingest uses) with sentences
built from data/templates.yml: diplomatic ones with real leaders, capitals and time
expressions, and ordinary news sentences with no event in them. Lengths follow a
clipped log-normal between 300 and 1,200 words (median ~520), close to what news
sites publish. Article i depends only on the seed and i, so corpus-20 is the first
20 articles of corpus-1000.

The corpus is cached under .bench/corpus-<N>.jsonl with a header line naming the
generator version: a digest of this generator, the templates and the sample pages,
so editing any of them regenerates the corpus instead of reusing a stale one.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from diplowatch.settings import project_root

GENERATOR = "diplowatch-bench-corpus/1"  # bump when the generation logic changes
SEED = 20231017
MIN_WORDS, MAX_WORDS = 300, 1200
MEDIAN_WORDS, SIGMA = 520, 0.35
FIRST_DAY, LAST_DAY = date(2023, 1, 2), date(2025, 8, 29)
PLACEHOLDER_BASE = "http://diplowatch-sample.invalid"  # SampleServer rewrites it to its own address
TEMPLATES = Path(__file__).resolve().parent / "data" / "templates.yml"

# Sentence ends followed by a capital or an opening quote; good enough to cut news prose.
_SENTENCE_END = re.compile(r"(?<=[.!?»\"”])\s+(?=[«\"“A-ZÀ-ÖØ-Ý0-9])")


@dataclass(frozen=True)
class BenchArticle:
    """One corpus article, as stored in the cache and in the articles table."""

    article_id: str
    canonical_url: str
    lang: str
    published: str  # ISO date
    title: str
    text: str  # paragraphs separated by newlines
    words: int

    @property
    def path(self) -> str:
        """Path of the page on the sample server."""
        return self.canonical_url.removeprefix(PLACEHOLDER_BASE)


@dataclass(frozen=True)
class _Sample:
    lang: str
    title: str
    paragraphs: tuple[str, ...]


def sample_pages() -> list[Path]:
    root = project_root() / "data" / "sample" / "articles"
    return sorted(root.glob("*/*.html"))


def generator_version() -> str:
    """GENERATOR plus a digest of this module, the templates and the sample pages."""
    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(TEMPLATES.read_bytes())
    for page in sample_pages():
        h.update(page.name.encode())
        h.update(page.read_bytes())
    return f"{GENERATOR}+{h.hexdigest()[:16]}"


@lru_cache(maxsize=1)
def _templates() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))


def _read_samples() -> dict[str, list[_Sample]]:
    """The sample pages' text, by language, as paragraphs (parse_article: what ingest would store)."""
    from diplowatch.parse.articles import parse_article
    from diplowatch.parse.errors import ParseError

    out: dict[str, list[_Sample]] = {"en": [], "fr": []}
    for page in sample_pages():
        lang = page.parent.name
        if lang not in out:
            continue
        try:
            art = parse_article(page.read_bytes(), f"{PLACEHOLDER_BASE}/articles/{lang}/{page.name}",
                                "text/html; charset=utf-8")
        except ParseError:
            continue  # a page being edited may be briefly unreadable; the others suffice
        paras = tuple(p.strip() for p in art.text.split("\n") if len(p.split()) >= 8)
        if paras:
            out[lang].append(_Sample(lang, art.title or page.stem, paras))
    for lang, samples in out.items():
        if not samples:
            raise RuntimeError(f"no readable sample article in data/sample/articles/{lang}/")
    return out


def _words(text: str) -> int:
    return len(text.split())


def _fill(template: str, rng: random.Random, lang: str, pair: tuple[dict, dict]) -> str:
    t = _templates()
    lt = t[lang]
    a, b = pair
    day = str(rng.randint(1, 28))
    values = {
        "A": a[lang], "B": b[lang], "A_city": a[f"city_{lang}"], "B_city": b[f"city_{lang}"],
        "month": rng.choice(lt["months"]), "weekday": rng.choice(lt["weekdays"]), "day": day,
        "topic": rng.choice(lt["topics"]), "accusation": rng.choice(lt["accusations"]),
        "demand": rng.choice(lt["demands"]), "grievance": rng.choice(lt["grievances"]),
        "threat": rng.choice(lt["threats"]),
        "pct": f"{rng.randint(1, 9)}{'.' if lang == 'en' else ','}{rng.randint(0, 9)}",
        "num": f"{rng.randint(2, 95) * 1000:,}".replace(",", "," if lang == "en" else "\u202f"),
    }
    # Time expressions hold placeholders of their own ({month}, {weekday}, {day}).
    values["past"] = rng.choice(lt["past"]).format_map(values)
    values["future"] = rng.choice(lt["future"]).format_map(values)
    text = template.format_map(values)
    return text[0].upper() + text[1:]


def _leader_pair(rng: random.Random) -> tuple[dict, dict]:
    leaders = _templates()["leaders"]
    a = rng.choice(leaders)
    b = rng.choice([x for x in leaders if x["country"] != a["country"]])
    return a, b


def _template_paragraph(rng: random.Random, lang: str, diplomatic: bool) -> str:
    lt = _templates()[lang]
    # Most sentences of a news paragraph are not events: one diplomatic sentence among ordinary ones.
    picked = rng.sample(lt["other"], rng.randint(1, 3) if diplomatic else rng.randint(2, 4))
    if diplomatic:
        picked.insert(rng.randint(0, len(picked)), rng.choice(lt["diplomatic"]))
    sentences = [_fill(t, rng, lang, _leader_pair(rng)) for t in picked]
    return " ".join(sentences)


def _trim(paragraphs: list[str], limit: int) -> list[str]:
    """Cut whole sentences off the end until the text holds at most `limit` words."""
    total = sum(_words(p) for p in paragraphs)
    while total > limit and paragraphs:
        sentences = _SENTENCE_END.split(paragraphs[-1])
        if len(sentences) > 1:
            total -= _words(sentences[-1])
            paragraphs[-1] = " ".join(sentences[:-1])
        else:
            total -= _words(paragraphs.pop())
    return paragraphs


def generate_article(i: int, samples: dict[str, list[_Sample]], seed: int = SEED) -> BenchArticle:
    """Article number i (0-based): even numbers English, odd numbers French."""
    rng = random.Random(f"{seed}:{i}")
    lang = "en" if i % 2 == 0 else "fr"
    target = int(min(MAX_WORDS, max(MIN_WORDS, rng.lognormvariate(math.log(MEDIAN_WORDS), SIGMA))))
    published = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    pool = samples[lang]
    spine = list(rng.choice(pool).paragraphs)  # one sample article read in order: a coherent thread
    paragraphs: list[str] = []
    words = 0
    while words < target:
        roll = rng.random()
        if roll < 0.45 and spine:
            para = spine.pop(0)
        elif roll < 0.60:
            para = rng.choice(rng.choice(pool).paragraphs)
        else:
            para = _template_paragraph(rng, lang, diplomatic=roll < 0.72)
        paragraphs.append(para)
        words += _words(para)
    paragraphs = _trim(paragraphs, max(target, MIN_WORDS))
    while sum(_words(p) for p in paragraphs) < MIN_WORDS:  # a trim that went below the floor
        paragraphs.append(_template_paragraph(rng, lang, diplomatic=False))
    paragraphs = _trim(paragraphs, MAX_WORDS)
    text = "\n".join(paragraphs)
    title = _fill(rng.choice(_templates()[lang]["headlines"]), rng, lang, _leader_pair(rng))
    slug = f"bench-{i:06d}"
    canonical = f"{PLACEHOLDER_BASE}/bench/{lang}/{slug}.html"
    from diplowatch.warehouse.load import article_id_for

    return BenchArticle(article_id=article_id_for(canonical), canonical_url=canonical, lang=lang,
                        published=published.isoformat(), title=title, text=text, words=_words(text))


def generate_corpus(n: int, seed: int = SEED) -> list[BenchArticle]:
    samples = _read_samples()
    return [generate_article(i, samples, seed) for i in range(n)]


def load_or_generate(n: int, cache_dir: Path, seed: int = SEED) -> tuple[list[BenchArticle], bool]:
    """(corpus of n articles, reused from the cache?). Regenerates when the version differs."""
    path = cache_dir / f"corpus-{n}.jsonl"
    version = generator_version()
    header = {"generator": version, "articles": n, "seed": seed}
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            first = fh.readline()
            try:
                cached = json.loads(first) if first else None
            except json.JSONDecodeError:
                cached = None
            if cached == header:
                arts = [BenchArticle(**json.loads(line)) for line in fh if line.strip()]
                if len(arts) == n:
                    return arts, True
    corpus = generate_corpus(n, seed)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for art in corpus:
            fh.write(json.dumps(asdict(art), ensure_ascii=False) + "\n")
    tmp.replace(path)  # never leave a half-written cache that a later run would trust
    return corpus, False


# ----------------------------------------------------------------- rows and pages


def article_rows(corpus: Sequence[BenchArticle], source_id: str | None) -> list[dict[str, Any]]:
    """Rows for load.upsert_articles, as the ingest would have stored them (unprocessed)."""
    from datetime import UTC, datetime

    from diplowatch.parse.articles import content_hash
    from diplowatch.parse.dedup import simhash64

    rows = []
    for a in corpus:
        d = date.fromisoformat(a.published)
        rows.append({
            "article_id": a.article_id, "canonical_url": a.canonical_url, "url": a.canonical_url,
            "source_id": source_id, "title": a.title, "text": a.text,
            "published": datetime(d.year, d.month, d.day, 8, 0, tzinfo=UTC), "lang": a.lang,
            "content_hash": content_hash(a.text), "simhash": simhash64(a.text), "duplicate_of": None,
            "raw_path": None, "processed_at": None, "extract_status": None,
        })
    return rows


def render_page(a: BenchArticle) -> bytes:
    """The article as a news page (boilerplate around it, as the sample outlets have)."""
    e = html.escape
    body = "\n".join(f"<p>{e(p)}</p>" for p in a.text.split("\n"))
    nav = "Accueil | Monde | Économie | Culture" if a.lang == "fr" else "Home | World | Business | Culture"
    foot = "Tous droits réservés." if a.lang == "fr" else "All rights reserved."
    return f"""<!doctype html>
<html lang="{a.lang}"><head><meta charset="utf-8">
<title>{e(a.title)} | Bench Daily</title>
<meta name="description" content="{e(a.text[:150])}">
<link rel="canonical" href="{e(a.canonical_url)}">
<meta property="og:title" content="{e(a.title)}">
<meta property="article:published_time" content="{a.published}T08:00:00+00:00">
</head><body>
<header><nav class="main-nav">{nav}</nav></header>
<main><article class="story"><h1>{e(a.title)}</h1>
<time datetime="{a.published}T08:00:00+00:00">{a.published}</time>
<div class="story-body">
{body}
</div></article></main>
<footer><p>Bench Daily. {foot}</p></footer>
</body></html>""".encode()


def render_feed(corpus: Sequence[BenchArticle]) -> bytes:
    """An RSS 2.0 feed linking every page (what the ingest polls)."""
    e = html.escape
    items = "\n".join(
        f"<item><title>{e(a.title)}</title><link>{e(a.canonical_url)}</link>"
        f"<guid isPermaLink=\"false\">{a.article_id}</guid>"
        f"<pubDate>{date.fromisoformat(a.published).strftime('%a, %d %b %Y')} 08:00:00 GMT</pubDate></item>"
        for a in corpus
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench Daily</title><link>{PLACEHOLDER_BASE}/</link>
<description>diplowatch benchmark corpus</description>
{items}
</channel></rss>""".encode()


def server_pages(corpus: Sequence[BenchArticle]) -> dict[str, tuple[bytes, str]]:
    """SampleServer `extra` mapping: every page plus the feed at /bench/feed.rss."""
    pages = {a.path: (render_page(a), "text/html; charset=utf-8") for a in corpus}
    pages["/bench/feed.rss"] = (render_feed(corpus), "application/rss+xml")
    return pages
