"""Hostile text for the extractor (diplowatch.events.extract.Extractor) and hostile input for
`diplowatch extract`: events or no events, never an exception, in bounded time; bad input to the
command exits 2 with one line on stderr.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplowatch.events.extract import ArticleInput, Extractor
from tests.reliability.conftest import REPO
from tests.reliability.localnet import article_html

GROUP = "text"
SENTENCE = "Russian President Vladimir Putin met Chinese President Xi Jinping in Beijing on Tuesday. "


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    x = Extractor()
    x.extract("Warm up: Emmanuel Macron met Olaf Scholz.", lang="en")
    return x


def _garbage(n: int, seed: int) -> str:
    return bytes(random.Random(seed).randrange(256) for _ in range(n)).decode("latin-1")


WRITTEN: dict[str, tuple[str, str | None, date | None]] = {
    "empty": ("", None, None),
    "spaces": (" " * 10_000, None, None),
    "newlines": ("\n" * 10_000, None, None),
    "nul bytes": ("\x00" * 1000, None, None),
    "control characters": ("".join(chr(c) for c in range(32)) * 100 + SENTENCE, None, None),
    "binary as latin-1": (_garbage(200_000, 1), None, None),
    "binary as latin-1, forced en": (_garbage(50_000, 2), "en", None),
    "binary as latin-1, forced fr": (_garbage(50_000, 3), "fr", None),
    "binary around a sentence": (_garbage(5000, 4) + SENTENCE + _garbage(5000, 5), None, None),
    "html soup": (article_html(3).decode() * 20, None, None),
    "script soup": ("<script>" + "var Putin = 'met Xi';" * 300 + "</script>", None, None),
    "mixed languages": (SENTENCE + "Emmanuel Macron a rencontré Olaf Scholz à Berlin. Путин встретился с Си "
                        "Цзиньпином в Пекине. 普京在北京会见了习近平。 التقى بوتين مع شي جين بينغ في بكين. "
                        "पुतिन ने बीजिंग में शी जिनपिंग से मुलाकात की।", None, None),
    "zero-width inside names": ("Vla\u200bdimir Pu\u200dtin met Xi\u2060 Jin\ufeffping in Beijing.", None, None),
    "bidi overrides": ("\u202eVladimir Putin met Xi Jinping in Beijing.\u202c \u2067نص\u2069", None, None),
    "emoji flood": ("🇷🇺🤝🇨🇳 " * 3000 + SENTENCE, None, None),
    "one huge word": ("a" * 1_000_000, None, None),
    "actor repeated": ("Putin " * 5000, None, None),
    "one sentence, 500 times": (SENTENCE * 500, "en", None),
    # 1000 triggers in one unpunctuated run: per-trigger work still grows with the sentence
    # (docs/RELIABILITY.md, "left"); 20 000 of them took 9 minutes.
    "no punctuation at all": (" ".join(["Putin met Xi"] * 1000), None, None),
    "unsupported language forced": (SENTENCE, "de", None),
    "lang code that is no code": (SENTENCE, "123", None),
    "published year 1": ("Putin will visit China next week, on Monday. " + SENTENCE, "en", date(1, 1, 1)),
    "published year 9999": ("Putin will visit China next year. He met Xi yesterday. " + SENTENCE, "en",
                            date(9999, 12, 31)),
    "french, absurd date": ("Vladimir Poutine se rendra en Chine l'année prochaine.", "fr", date(9999, 12, 31)),
    "only digits and dates": ("2024-01-01 " * 2000, None, None),
    "ligatures and nfkc": ("ﬁnance ministers met: Ｐｕｔｉｎ met Ｘｉ in Ｂｅｉｊｉｎｇ.", None, None),
}


def _check(extractor: Extractor, text: str, lang: str | None, published: date | None, limit: float) -> int:
    started = time.monotonic()
    events = extractor.extract(text, lang=lang, published=published, key="hostile")
    took = time.monotonic() - started
    assert isinstance(events, list) and took < limit, took
    for e in events:
        assert e.event_id and e.event_type and e.sentence
    return len(events)


def test_written_hostile_texts(extractor: Extractor, tally: Counter[str]) -> None:
    failures = []
    for name, (text, lang, published) in WRITTEN.items():
        try:
            n = _check(extractor, text, lang, published, limit=60)
            tally[f"{GROUP}:{'events' if n else 'no events'}"] += 1
        except Exception as exc:  # noqa: BLE001 - every case is reported
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_five_megabytes_of_text(extractor: Extractor, tally: Counter[str]) -> None:
    """5 MB of news-like text: cut at events.extract.MAX_CHARS (1 M characters), parsed once."""
    text = (SENTENCE * (5_000_000 // len(SENTENCE) + 1))[:5_000_000]
    n = _check(extractor, text, None, None, limit=150)
    assert n >= 1
    tally[f"{GROUP}:events"] += 1


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow,
                                                                                  HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=3000),
       lang=st.sampled_from([None, "en", "fr"]))
def test_generated_texts(extractor: Extractor, tally: Counter[str], text: str, lang: str | None) -> None:
    n = _check(extractor, SENTENCE + text if len(text) % 2 else text, lang, None, limit=30)
    tally[f"{GROUP}:{'events' if n else 'no events'}"] += 1


def test_a_batch_of_hostile_texts_keeps_its_order(extractor: Extractor) -> None:
    """extract_many over hostile and normal texts together: one result per input, in order."""
    inputs = [ArticleInput(t, p, lang, key=name) for name, (t, lang, p) in WRITTEN.items()
              if len(t) < 20_000] + [ArticleInput(SENTENCE, None, "en", key="normal")]
    results = list(extractor.extract_many(inputs))
    assert len(results) == len(inputs) and results[-1]


# ------------------------------------------------------------------ the command


CLI_CASES = {
    "missing file": (["extract", "{tmp}/does-not-exist.txt"], None),
    "a directory": (["extract", "{tmp}"], None),
    "undecodable bytes": (["extract", "{tmp}/latin1.txt"], b"Caf\xe9 et cr\xe8me: Macron a rencontr\xe9 Scholz."),
    "binary with nul": (["extract", "{tmp}/binary.txt"], b"\x00\x01\x02" * 100),
    "png file": (["extract", "{tmp}/image.png"], b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)),
    "html without text": (["extract", "{tmp}/empty.html"], b"<html><body><nav>menu</nav></body></html>"),
    "unknown language": (["extract", "--lang", "klingon", "{tmp}/ok.txt"], SENTENCE.encode()),
    "bad date": (["extract", "--published", "2024-13-45", "{tmp}/ok.txt"], SENTENCE.encode()),
    "last of several missing": (["extract", "{tmp}/ok.txt", "{tmp}/ok.txt", "{tmp}/missing.txt"], SENTENCE.encode()),
    "utf-16 without bom": (["extract", "{tmp}/utf16.txt"], SENTENCE.encode("utf-16-le")),
    "no file at all": (["extract"], None),
}


def test_extract_command_rejects_bad_input_with_one_line(tmp_path: Path, tally: Counter[str]) -> None:
    procs = {}
    for name, (args, content) in CLI_CASES.items():
        argv = [a.format(tmp=tmp_path) for a in args]
        if content is not None:
            Path(argv[-1] if "missing" not in name else argv[1]).write_bytes(content)
        procs[name] = subprocess.Popen([sys.executable, "-m", "diplowatch.cli", *argv], cwd=REPO, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    failures = []
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        lines = err.strip().splitlines()
        if proc.returncode != 2 or out or len(lines) != 1 or not lines[0].startswith("diplowatch"):
            failures.append(f"{name}: exit {proc.returncode}, stdout {out[:200]!r}, stderr {err[-500:]!r}")
        tally["cli:exit 2"] += 1
    assert not failures, "\n".join(failures)
