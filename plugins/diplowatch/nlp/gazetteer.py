"""The actor gazetteer: people, countries, capitals, metonyms, demonyms, organisations, role phrases.

Knowledge lives in YAML under nlp/data/ (reviewable without reading Python);
country names in English and French come from Babel (CLDR) and ISO 3166
alpha-3 codes from pycountry. This module turns them into spaCy
PhraseMatchers (one pass over a document finds every actor term) and answers
"who held role R for country C on date D".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import PhraseMatcher

DATA_DIR = Path(__file__).parent / "data"
LANGS = ("en", "fr")
# Babel territory codes that are not countries, and ISO codes we spell ourselves.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
_EXTRA_CODES = {"XK": "XKX"}  # Kosovo has no ISO code; XKX is the common user-assigned one


def normalize(text: str) -> str:
    """Typographic apostrophes and spaces to ASCII, one character for one (offsets are kept)."""
    return text.translate(_NORMALIZE)


_NORMALIZE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " "})


@dataclass(frozen=True)
class RoleSpan:
    role: str
    start: date
    end: date | None
    country: str | None = None  # the office's country when not the person's (Tusk: EU)
    title: str | None = None  # "President", "Supreme Leader", "acting President"…

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Person:
    name: str
    country: str
    roles: tuple[RoleSpan, ...]
    title: str | None = None

    def country_on(self, day: date | None) -> str:
        """The country (or organisation) the person acted for on `day`."""
        if day is not None:
            for span in self.roles:
                if span.covers(day):
                    return span.country or self.country
        return self.country

    def role_on(self, day: date | None) -> str | None:
        if not self.roles:
            return None
        if day is None:
            return self.roles[-1].role
        for span in self.roles:
            if span.covers(day):
                return span.role
        return None


@dataclass(frozen=True)
class Term:
    """What a surface form in the text stands for."""

    kind: str  # person, country, capital, government, organisation, demonym, role, pair, pronoun
    code: str | None  # ISO3 or organisation code; None for roles, pairs and pronouns
    name: str  # canonical English name, or the role name for role phrases
    plural: bool = False


@dataclass
class Gazetteer:
    lang: str
    people: dict[str, Person] = field(default_factory=dict)
    country_names: dict[str, str] = field(default_factory=dict)  # code -> English name
    terms: dict[str, list[Term]] = field(default_factory=dict)  # surface form -> meanings
    exact_terms: set[str] = field(default_factory=set)  # matched case-sensitively
    organisations: set[str] = field(default_factory=set)  # organisation codes (EU, UN, NATO…)
    _holders: dict[tuple[str, str], list[tuple[RoleSpan, Person]]] = field(default_factory=dict)

    def add(self, surface: str, term: Term, exact: bool) -> None:
        surface = normalize(surface.strip())
        if not surface:
            return
        meanings = self.terms.setdefault(surface if exact else surface.lower(), [])
        if term not in meanings:
            meanings.append(term)
        if exact:
            self.exact_terms.add(surface)

    def holder(self, country: str, role: str, day: date | None, title: str | None = None) -> Person | None:
        """Who held `role` for `country` on `day` (the latest holder when day is None).

        `title` ("President") picks, among the country's office holders that day, the one
        news calls so: « le président iranien » is the elected President, not the Supreme Leader.
        """
        if title:
            for (c, _), spans in self._holders.items():
                if c != country:
                    continue
                for span, person in spans:
                    t = (span.title or person.title or "").lower()
                    if t == title.lower() and (span.covers(day) if day else span.end is None):
                        return person
        spans = self._holders.get((country, role), [])
        if day is None:
            current = [p for s, p in spans if s.end is None]
            return current[0] if current else None
        for span, person in spans:
            if span.covers(day):
                return person
        return None

    def lookup(self, surface: str) -> list[Term]:
        surface = normalize(surface)
        return self.terms.get(surface) or self.terms.get(surface.lower()) or []

    def matchers(self, nlp: Language) -> tuple[PhraseMatcher, PhraseMatcher]:
        """(case-sensitive matcher for single-token names, case-insensitive one for the rest)."""
        return _matchers(self, nlp)


def _load_yaml(name: str) -> Any:
    path = DATA_DIR / name
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _day(value: Any) -> date | None:
    if value in (None, "", "null"):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    parts = [int(p) for p in text.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _variants(name: str) -> Iterable[str]:
    """A name, its accent-free form and, for Babel's "X (Y)" names, X."""
    yield name
    plain = _strip_accents(name)
    if plain != name:
        yield plain
    m = re.match(r"^(.*?)\s*\((.*)\)$", name)
    if m:
        yield m.group(1)


def _is_exact(surface: str) -> bool:
    """Single capitalised tokens (Chine, Turkey, NATO) are matched case-sensitively."""
    return " " not in surface and "-" not in surface and surface[:1].isupper()


@lru_cache(maxsize=4)
def load_gazetteer(lang: str) -> Gazetteer:
    """Build the gazetteer for `lang` (en, fr or another code: English and French names are used)."""
    import pycountry
    from babel import Locale

    gz = Gazetteer(lang=lang)
    roles_data = _load_yaml("roles.yml") or {}
    ambiguous = {normalize(s) for s in (roles_data.get("ambiguous_terms") or {}).get(lang, [])}
    text_langs = (lang,) if lang in LANGS else LANGS

    def add(surface: str, term: Term) -> None:
        for variant in _variants(surface):
            if variant in ambiguous:
                continue
            gz.add(variant, term, exact=_is_exact(variant))

    # Countries: names from Babel (CLDR) in both languages.
    english = Locale("en").territories
    for alpha2 in english:
        if not isinstance(alpha2, str) or not (len(alpha2) == 2 and alpha2.isalpha()) or alpha2 in _NOT_COUNTRIES:
            continue
        country = pycountry.countries.get(alpha_2=alpha2)
        code = _EXTRA_CODES.get(alpha2) or (country.alpha_3 if country else None)
        if not code:
            continue
        gz.country_names[code] = english[alpha2]
        for loc in LANGS:
            name = Locale(loc).territories.get(alpha2)
            if name:
                add(name, Term("country", code, english[alpha2]))

    countries = _load_yaml("countries.yml") or {}
    for code, info in countries.items():
        info = info or {}
        cname = gz.country_names.get(code, code)
        gz.country_names.setdefault(code, cname)
        for loc in text_langs:  # extra names are per language: bare "Congo" is not the same country in both
            for name in (info.get("names") or {}).get(loc, []) or []:
                add(name, Term("country", code, cname))
        for loc in LANGS:
            capital = (info.get("capital") or {}).get(loc)
            for cap in [capital] if isinstance(capital, str) else (capital or []):
                add(cap, Term("capital", code, cname))
            for gov in (info.get("government") or {}).get(loc, []) or []:
                add(gov, Term("government", code, cname))
        for loc in text_langs:
            for dem in (info.get("demonyms") or {}).get(loc, []) or []:
                plural = dem.endswith("s") and not dem.endswith("ss")
                for variant in _variants(dem):
                    gz.add(variant, Term("demonym", code, cname, plural=plural), exact=False)

    for org in _load_yaml("organisations.yml") or []:
        code = org.get("part_of") or org["code"]  # the Security Council acts as the UN
        gz.organisations.add(code)
        names = org.get("names") or {}
        english_name = (names.get("en") or [code])[0]
        gz.country_names.setdefault(code, english_name)
        for loc in LANGS:
            for name in names.get(loc, []) or []:
                add(name, Term("organisation", code, english_name))
            seat = (org.get("seat") or {}).get(loc)
            if seat:
                add(seat, Term("capital", code, english_name))

    for entry in _load_yaml("actors.yml") or []:
        roles = tuple(
            RoleSpan(r["role"], _day(r.get("from")) or date(1900, 1, 1), _day(r.get("to")), r.get("country"),
                     r.get("title"))
            for r in entry.get("roles") or []
        )
        person = Person(entry["name"], entry["country"], roles, entry.get("title"))
        gz.people[person.name] = person
        for span in roles:
            gz._holders.setdefault((span.country or person.country, span.role), []).append((span, person))
        surfaces = {person.name}
        for loc in LANGS:
            surfaces.update((entry.get("aliases") or {}).get(loc, []) or [])
        for surface in surfaces:
            add(surface, Term("person", person.country, person.name))

    lex = roles_data.get(lang) or roles_data.get("en") or {}
    for role, phrases in (lex.get("roles") or {}).items():
        for phrase in phrases:
            gz.add(phrase, Term("role", None, role), exact=False)
    for phrase in lex.get("pairs") or []:
        gz.add(phrase, Term("pair", None, "pair"), exact=False)
    for phrase in lex.get("pronouns") or []:
        gz.add(phrase, Term("pronoun", None, "pronoun"), exact=False)
    return gz


def _matchers(gz: Gazetteer, nlp: Language) -> tuple[PhraseMatcher, PhraseMatcher]:
    key = id(nlp.vocab)
    cached = _MATCHER_CACHE.get((gz.lang, key))
    if cached:
        return cached
    from spacy.matcher import PhraseMatcher

    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    loose = PhraseMatcher(nlp.vocab, attr="LOWER")
    exact_patterns = [nlp.make_doc(s) for s in sorted(gz.exact_terms)]
    loose_patterns = [nlp.make_doc(s) for s in sorted(set(gz.terms) - gz.exact_terms)]
    for i in range(0, len(exact_patterns), 5000):
        exact.add("ACTOR", exact_patterns[i : i + 5000])
    for i in range(0, len(loose_patterns), 5000):
        loose.add("ACTOR", loose_patterns[i : i + 5000])
    _MATCHER_CACHE[(gz.lang, key)] = (exact, loose)
    return exact, loose


_MATCHER_CACHE: dict[tuple[str, int], tuple[PhraseMatcher, PhraseMatcher]] = {}
