"""Actors in a parsed document: gazetteer matches bound into people, roles and countries.

"Le président russe, Vladimir Poutine," is one actor (RUS, head_of_state,
Vladimir Putin); "son homologue chinois" is CHN; "les deux dirigeants" points
back at the last two countries; "il" at the previous sentence's subject. A bare
demonym ("l'économie russe") is a weak actor: it may be the target of a
directed event ("condamne les frappes russes") but never its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from diplowatch.nlp.gazetteer import Gazetteer, Term

if TYPE_CHECKING:
    from spacy.matcher import PhraseMatcher
    from spacy.tokens import Doc

STRONG_KINDS = frozenset({"person", "country", "capital", "government", "organisation", "role"})
PLACE_KINDS = frozenset({"country", "capital"})
_OF = {"fr": ("de", "du", "d'", "des", "de la", "de l'"), "en": ("of", "of the")}
_FOREIGN_AFFAIRS = ("des affaires étrangères", "des affaires etrangeres")
# Roles one person holds at a time: "the Russian president" names him; "Russian diplomats" name no one.
_SINGLE_HOLDER_ROLES = frozenset({"head_of_state", "head_of_government", "foreign_minister", "defence_minister"})
_VENUE_NOUNS = frozenset({"summit", "sommet", "forum", "conference", "conférence", "meeting", "réunion", "gathering",
                          "assemblée", "session", "ministerial", "ministérielle"})


@dataclass
class Actor:
    start: int  # token span in the doc
    end: int
    kind: str  # person, country, capital, government, organisation, role, demonym, pair, pronoun
    country: str | None
    name: str | None = None  # person or body, English form
    role: str | None = None
    text: str = ""
    pair: tuple[Actor, Actor] | None = None
    strong: bool = True
    resolved_from: Actor | None = field(default=None, repr=False)
    siblings: list[Actor] = field(default_factory=list, repr=False)
    place_country: str | None = None  # where a seat is ("Brussels": the EU as actor, Belgium as place)  # coordinated demonyms on one role noun

    @property
    def is_place(self) -> bool:
        return self.kind in PLACE_KINDS

    def covers(self, i: int) -> bool:
        return self.start <= i < self.end


def _pick_term(terms: list[Term]) -> Term:
    order = {"person": 0, "organisation": 1, "government": 2, "capital": 3, "country": 4, "role": 5,
             "pair": 6, "demonym": 7, "pronoun": 8}
    return sorted(terms, key=lambda t: order.get(t.kind, 9))[0]


def find_actors(doc: Doc, gz: Gazetteer, matchers: tuple[PhraseMatcher, PhraseMatcher], published: date | None) -> list[Actor]:
    """Every actor in `doc`, bound and resolved, in text order."""
    exact, loose = matchers
    spans = [(s, e) for _, s, e in exact(doc)] + [(s, e) for _, s, e in loose(doc)]
    spans.sort(key=lambda se: (-(se[1] - se[0]), se[0]))
    taken = [False] * len(doc)
    raw: list[tuple[int, int, Term]] = []
    seats: dict[int, str] = {}
    for s, e in spans:
        if any(taken[s:e]):
            continue
        terms = gz.lookup(doc[s:e].text)
        if not terms:
            continue
        term = _pick_term(terms)
        seat_of = next((t.code for t in terms if t.kind == "capital" and t.code in gz.organisations), None)
        place_of = next((t.code for t in terms if t.kind == "capital" and t.code not in gz.organisations), None)
        if term.kind == "pronoun" and not doc[s].dep_.startswith("nsubj"):
            continue
        for i in range(s, e):
            taken[i] = True
        if seat_of and place_of and term.kind == "capital":
            # "Brussels" acts as the EU but is a place in Belgium.
            term = Term("capital", seat_of, gz.country_names.get(seat_of, seat_of))
            seats[s] = place_of
        raw.append((s, e, term))
    raw.sort(key=lambda r: r[0])

    actors: list[Actor] = []
    for s, e, term in raw:
        text = doc[s:e].text
        if term.kind == "person":
            person = gz.people.get(term.name)
            actors.append(Actor(s, e, "person", person.country_on(published) if person else term.code, term.name,
                                person.role_on(published) if person else None, text))
        elif term.kind == "demonym":
            # "les Russes", "the Russians": the nation as a whole acts.
            strong = term.plural and doc[s].text[:1].isupper() and doc[s].pos_ in ("NOUN", "PROPN")
            actors.append(Actor(s, e, "demonym", term.code, gz.country_names.get(term.code or ""),
                                "government" if strong else None, text, strong=strong))
        elif term.kind in ("role", "pair", "pronoun"):
            actors.append(Actor(s, e, term.kind, None, None, term.name if term.kind == "role" else None, text))
        else:
            # "the G20 summit", « le sommet de l'OTAN »: the organisation names a venue, not an actor.
            venue = term.kind == "organisation" and (
                (e < len(doc) and doc[e].lemma_.lower() in _VENUE_NOUNS)
                or (s >= 2 and doc[s - 2].lemma_.lower() in _VENUE_NOUNS and doc[s - 1].lower_ in ("du", "de", "of", "des"))
                or (s >= 3 and doc[s - 3].lemma_.lower() in _VENUE_NOUNS and doc[s - 1].lower_ in ("l'", "la", "the"))
            )
            actors.append(Actor(s, e, term.kind, term.code, term.name, "government", text, strong=not venue,
                                place_country=seats.get(s)))
    # "Bruxelles" in a Belgian-Rwandan row is Belgium; alone in EU news it is the EU.
    named = {a.country for a in actors if a.kind in ("country", "person")}
    for a in actors:
        if a.place_country and a.place_country in named:
            a.country, a.name, a.place_country = a.place_country, gz.country_names.get(a.place_country), None
    actors = _bind_roles(doc, actors, gz, published)
    _resolve_references(doc, actors)
    return [a for a in actors if a.kind not in ("pronoun", "pair") or a.country or a.pair]


def _between(doc: Doc, a: int, b: int) -> str:
    return doc[a:b].text.lower() if b > a else ""


def _bind_roles(doc: Doc, actors: list[Actor], gz: Gazetteer, published: date | None) -> list[Actor]:
    """Join role phrases with their demonym/country and appositive person into one actor."""
    lang = "en" if gz.lang == "en" else "fr"
    consumed: set[int] = set()
    out: list[Actor] = []
    for idx, a in enumerate(actors):
        if idx in consumed or a.kind != "role":
            continue
        sent_end = doc[a.start].sent.end
        # 1. a demonym right after (fr: "président russe", "chef de la diplomatie chinoise")
        #    or right before (en: "the Russian president", "Chinese Foreign Minister").
        for j in (idx + 1, idx - 1):
            if not 0 <= j < len(actors) or j in consumed:
                continue
            b = actors[j]
            gap = _between(doc, a.end, b.start) if j > idx else _between(doc, b.end, a.start)
            if b.kind == "demonym" and len(gap.split()) <= 1 and "," not in gap:
                a.country, a.start, a.end = b.country, min(a.start, b.start), max(a.end, b.end)
                consumed.add(j)
                # "Russian and Ukrainian delegations", « les délégations ukrainienne et américaine »
                k = j - 1 if j < idx else j + 1
                while 0 <= k < len(actors) and k not in consumed and actors[k].kind in ("demonym", "country"):
                    c = actors[k]
                    link = _between(doc, c.end, b.start) if k < j else _between(doc, b.end, c.start)
                    if link.strip() not in ("and", "et", ",", "or", "ou"):
                        break
                    a.siblings.append(Actor(c.start, c.end, "role", c.country, gz.country_names.get(c.country or ""),
                                            a.role, c.text))
                    consumed.add(k)
                    b = c
                    k = k - 1 if k < idx else k + 1
                break
        # "ministre russe des Affaires étrangères"
        if a.role in ("government", "head_of_government") and a.country and lang == "fr":
            following = doc[a.end : min(a.end + 4, sent_end)].text.lower()
            if following.startswith(_FOREIGN_AFFAIRS):
                a.role, a.end = "foreign_minister", min(a.end + 3, sent_end)
        # 2. "Estonia's ambassador", "Moscow's envoy"; then "président de la Chine", "Prime Minister of India".
        if a.country is None and idx > 0 and (idx - 1) not in consumed:
            b = actors[idx - 1]
            if b.kind in ("country", "organisation", "capital", "government") and _between(doc, b.end, a.start).strip() in ("'s", "’s"):
                a.country, a.start = b.country, b.start
                consumed.add(idx - 1)
        if a.country is None:
            for j in range(idx + 1, min(idx + 3, len(actors))):
                b = actors[j]
                gap = _between(doc, a.end, b.start).strip()
                if j in consumed or b.start >= sent_end:
                    break
                in_power = a.role == "government" and lang == "fr" and gap.split()[-1:] in (["au"], ["à"], ["en"])
                if b.kind in ("country", "organisation", "capital", "government") and (gap in _OF[lang] or (
                        in_power and len(gap.split()) <= 4)):
                    a.country, a.end = b.country, b.end
                    consumed.add(j)
                    break
        # 2b. A role phrase with its own complement before the name: « le président du Conseil italien
        #     Mario Draghi », "the head of the Russian delegation, Vladimir Medinsky".
        nxt = idx + 1
        while nxt < len(actors) and nxt not in consumed and actors[nxt].kind == "demonym" and a.country is None:
            gap = _between(doc, a.end, actors[nxt].start)
            if len(gap.split()) > 4 or any(p in gap for p in ",;:()"):
                break
            a.country, a.end = actors[nxt].country, actors[nxt].end
            consumed.add(nxt)
            nxt += 1
        # 3. Apposition with a person: "Le président russe, Vladimir Poutine," / "President Vladimir Putin".
        after = next((k for k in range(idx + 1, len(actors)) if k not in consumed), len(actors))
        for j in (after, idx - 1):
            if not 0 <= j < len(actors) or j in consumed:
                continue
            b = actors[j]
            gap = _between(doc, a.end, b.start) if j > idx else _between(doc, b.end, a.start)
            if b.kind == "person" and gap.strip(" ,").strip() in ("", "the", "le", "la", "l'") and len(gap) <= 6:
                if a.country in (None, b.country) or a.role == "counterpart":
                    a.country = b.country
                    a.name = b.name
                    a.start, a.end = min(a.start, b.start), max(a.end, b.end)
                    a.kind = "person"
                    if a.role in ("counterpart", "government"):
                        a.role = b.role
                    consumed.add(j)
                    break
        if a.kind == "role" and a.country and a.role in _SINGLE_HOLDER_ROLES and not a.text.lower().endswith("s"):
            title = "President" if a.text.lower().startswith(("présid", "presid")) else None
            holder = gz.holder(a.country, a.role, published, title)
            if holder:
                a.name = holder.name
        if a.kind == "role" and a.name is None and a.country:
            a.name = gz.country_names.get(a.country)
    for idx, a in enumerate(actors):
        if idx in consumed:
            continue
        if a.kind == "role" and a.country is None and a.role not in ("counterpart",):
            a.kind = "pronoun" if a.role != "government" else "role"  # "le président" alone: resolve like "il"
        out.append(a)
    return out


def _resolve_references(doc: Doc, actors: list[Actor]) -> None:
    """Pronoun subjects, unbound roles and pair phrases point back at earlier actors."""
    history: list[Actor] = []
    for a in actors:
        if a.kind == "pronoun" or (a.kind == "role" and a.country is None and a.role != "counterpart"):
            prev = [h for h in history if h.strong and h.country and h.kind in ("person", "role")]
            if a.role and a.role != "government":
                same = [h for h in prev if h.role == a.role]
                prev = same or prev
            if prev:
                ref = prev[-1]
                a.country, a.name, a.role, a.resolved_from = ref.country, ref.name, ref.role, ref
        elif a.kind == "pair":
            seen: list[Actor] = []
            for h in reversed(history):
                if h.strong and h.country and all(h.country != s.country for s in seen):
                    seen.append(h)
                if len(seen) == 2:
                    break
            if len(seen) == 2:
                a.pair = (seen[1], seen[0])
        if a.country and a.strong and a.kind != "pair":
            history.append(a)
