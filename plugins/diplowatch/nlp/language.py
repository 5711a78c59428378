"""Language of an article: a quick function-word vote for English and French, py3langid otherwise."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-zà-ÿœ']+")
_FR = frozenset(
    "le la les des du de un une et est sont dans pour par sur avec qui que au aux ce cette ses son leur "
    "mais ou il elle ont été a pas plus selon lors après avant entre".split()
)
_EN = frozenset(
    "the of and to in is are was were for on with that by from at as has have had be this its their "
    "will said after before between but or not an".split()
)


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import _load_identifier

    return _load_identifier(norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when there is too little text to tell."""
    sample = text[:5000].lower()
    words = _WORD.findall(sample)
    if len(words) < 3:
        return None
    fr = sum(w in _FR for w in words)
    en = sum(w in _EN for w in words)
    if fr + en >= 3 and max(fr, en) >= 2 * min(fr, en) + 1:
        return "fr" if fr > en else "en"
    lang, prob = _identifier().classify(sample)
    return str(lang) if prob >= 0.5 else None
