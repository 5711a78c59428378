"""Text in, diplomatic events out: triggers on the dependency parse, actors from the gazetteer.

For each sentence that holds an actor and a trigger lemma (triggers.yml), the
trigger's frame says where its source and target are (subject, object,
prepositional complement, place); the parse finds them, with a word-order
fallback when the parse is wrong. Status comes from cues on the governing
verbs and from morphology, the date from the nearest time expression resolved
in the direction the status gives, the context from occasion phrases.
Reports of the same event within one article are merged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from diplowatch.events.actors import Actor, find_actors
from diplowatch.events.dates import TimeExpr, find_time_expressions
from diplowatch.events.lexicon import Cues, Trigger, cues, triggers
from diplowatch.events.model import Event
from diplowatch.events.taxonomy import is_symmetric
from diplowatch.nlp.gazetteer import Gazetteer, load_gazetteer, normalize
from diplowatch.nlp.language import detect_language
from diplowatch.nlp.pipelines import SUPPORTED, get_pipeline

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

log = logging.getLogger(__name__)

MAX_CHARS = 200_000  # longer texts are cut: news articles are far shorter (~5-50k), and parse time grows with length
# Longer "sentences" are text without punctuation (lists, scraped soup): they are cut in pieces of this
# many tokens, as the work for each trigger grows with the length of its sentence (a 260 kB text
# with no full stop took over 5 minutes).
MAX_SENTENCE_TOKENS = 250
_REFLEXIVE = frozenset({"se", "s'", "me", "m'", "nous", "vous", "te", "t'"})
_PLACE_PREPS = frozenset({"en", "à", "au", "aux", "in", "to", "at", "into", "vers", "dans", "pour", "for", "chez",
                          "outside", "near", "près", "hors"})
_WITH = frozenset({"avec", "with", "et", "and"})
_BETWEEN = frozenset({"entre", "between"})
_PLURAL_PRONOUNS = frozenset({"ils", "elles", "they"})
# "accusing the kingdom", « accusant le royaume »: a description that points back at a country named before.
_DESCRIPTORS = frozenset({"royaume", "kingdom", "émirat", "emirate", "île", "island", "archipel", "archipelago",
                          "république", "republic", "principauté", "principality"})
_OBJECT_PRONOUNS = frozenset({"it", "them", "him", "her", "lui", "le", "la", "les", "leur", "l'"})
_SENTENCE_END = frozenset(".!?…»\"”'):;")
_ARTICLES = frozenset({"the", "la", "le", "les", "l'"})
_LIST_LINKS = frozenset({",", "et", "and", ", et", ", and", "ainsi que", "as well as", "or", "ou"})
_AGENT = frozenset({"par", "by"})
_LIGHT_VERBS = frozenset({
    "effectuer", "entamer", "achever", "avoir", "tenir", "faire", "mener", "conclure", "terminer", "poursuivre",
    "commencer", "organiser", "accorder", "annoncer", "imposer", "adopter", "prendre", "infliger", "décider",
    "hold", "make", "pay", "conduct", "begin", "end", "have", "wrap", "start", "undertake", "complete", "impose",
    "announce", "adopt", "slap", "levy", "approve", "unveil", "take", "issue", "give", "express", "voice",
    "exprimer", "apporter", "renouveler", "réaffirmer", "reaffirm", "renew", "extend", "lancer",
})
_SPORT = frozenset({
    "match", "matchs", "championnat", "coupe", "mondial", "but", "buts", "score", "stade", "football",
    "rugby", "tennis", "basket", "finale", "demi-finale", "ligue", "sélection", "olympique", "tournoi",
    "league", "cup", "goal", "goals", "stadium", "tournament", "championship", "semi-final", "quarter-final",
    "striker", "midfielder", "coach", "squad", "attaquant", "entraîneur", "footballeur", "footballer",
    "victoire", "défaite", "victory", "defeat", "beat", "battu", "équipe", "team", "club",
})


_SCORE = re.compile(r"\b\d{1,2}\s*(?:-|–|à)\s*\d{1,2}\b(?!\s*(?:%|h|ans|mois|jours|years|months|days|percent|per))")


@dataclass(frozen=True)
class ArticleInput:
    """One text to extract from."""

    text: str
    published: date | None = None
    lang: str | None = None  # None: detect
    key: str = ""  # article id or URL: part of the event ids
    url: str | None = None


class Extractor:
    """Holds the pipelines and dictionaries for the process; `extract` is pure apart from them."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    # ------------------------------------------------------------ public API
    def extract(self, text: str, *, published: date | None = None, lang: str | None = None,
                key: str = "", url: str | None = None) -> list[Event]:
        """Events in one text (see extract_many)."""
        return next(iter(self.extract_many([ArticleInput(text, published, lang, key, url)])))

    def extract_many(self, articles: Iterable[ArticleInput]) -> Iterator[list[Event]]:
        """Events per article, in input order; texts of one language go through nlp.pipe together."""
        batch: list[ArticleInput] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= self.batch_size * 4:
                yield from self._run(batch)
                batch = []
        if batch:
            yield from self._run(batch)

    # ------------------------------------------------------------- internals
    def _run(self, batch: list[ArticleInput]) -> Iterator[list[Event]]:
        prepared: list[tuple[str, str]] = []  # (lang, normalized text)
        for a in batch:
            # Lone surrogates (broken UTF-16 upstream) become "?", one character for one.
            text = normalize((a.text or "")[:MAX_CHARS]).encode("utf-8", "replace").decode("utf-8")
            lang = a.lang or detect_language(text) or "en"
            prepared.append((lang, text))
        results: list[list[Event]] = [[] for _ in batch]
        by_lang: dict[str, list[int]] = {}
        for i, (lang, text) in enumerate(prepared):
            if text.strip():
                by_lang.setdefault(lang, []).append(i)
        for lang, idxs in by_lang.items():
            if lang not in SUPPORTED:
                continue  # a blank pipeline finds actors but we have no trigger lexicon for it
            nlp = get_pipeline(lang)
            gz = load_gazetteer(lang)
            matchers = gz.matchers(nlp)
            docs = nlp.pipe((prepared[i][1] for i in idxs), batch_size=self.batch_size)
            for i, doc in zip(idxs, docs, strict=True):
                a = batch[i]
                try:
                    results[i] = _DocExtraction(doc, lang, gz, matchers, a).run()
                except Exception:  # one odd document must not stop the batch
                    log.exception("extraction failed for %s", a.key or a.url or "text")
                    results[i] = []
        yield from results


def article_key(text: str) -> str:
    return "text:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:24]


class _DocExtraction:
    def __init__(self, doc: Doc, lang: str, gz: Gazetteer, matchers, article: ArticleInput) -> None:  # type: ignore[no-untyped-def]
        self.doc = doc
        self.lang = lang
        self.gz = gz
        self.cues: Cues = cues(lang)
        self.triggers = triggers(lang)
        self.article = article
        self.published = article.published
        self.actors = find_actors(doc, gz, matchers, article.published)
        # Token offsets of the actors (find_actors gives them in text order): slicing by bisect keeps
        # per-sentence lookups linear; scanning every actor for every sentence made a 1 MB text
        # take minutes.
        self._starts = [a.start for a in self.actors]
        self._so_far: list[Event] = []
        self.actor_at: dict[int, Actor] = {}
        for actor in self.actors:
            for i in range(actor.start, actor.end):
                self.actor_at[i] = actor

    # ---------------------------------------------------------------- driver
    def run(self) -> list[Event]:
        events: list[Event] = []
        if not self.actors:
            return events
        self._so_far = events  # what earlier sentences gave (anaphors, accepted invitations)
        for sent in self._sentences():
            sent_actors = self.actors[bisect_left(self._starts, sent.start) : bisect_left(self._starts, sent.end)]
            low = sent.text.lower()
            # Sports pages read like diplomacy ("France host England"): two sports words, or a score.
            cues = sum(1 for t in sent if t.lower_ in _SPORT)
            sporty = cues >= 2 or (cues == 1 and bool(_SCORE.search(sent.text)))
            if sent_actors and not sporty:
                for tok in sent:
                    for trig in self._triggers_for(tok, sent, low):
                        found = self._event(tok, trig, sent, events)
                        if found is not None:
                            events.extend(found)
                            break
        return self._merge(events)

    def _sentences(self) -> list[Span]:
        """The parser's sentences, with fragments that do not end a sentence joined to the next
        (« Pékin » split from « a exhorté Washington… » by the parser)."""
        out: list[Span] = []
        start = None
        for sent in self.doc.sents:
            if start is None:
                start = sent.start
            # A line break ends a sentence too: a headline is not part of the lead's first sentence.
            for tok in sent:
                if tok.is_space and "\n" in tok.text and tok.i > start:
                    out.append(self.doc[start : tok.i])
                    start = tok.i + 1
            if start >= sent.end:
                start = None
                continue
            last = sent[-1].text if len(sent) else ""
            if last[-1:] in _SENTENCE_END or sent.end == len(self.doc) or len(self.doc[start : sent.end]) > 200:
                out.append(self.doc[start : sent.end])
                start = None
        if start is not None and start < len(self.doc):
            out.append(self.doc[start:])
        return [s[i : i + MAX_SENTENCE_TOKENS] for s in out for i in range(0, len(s), MAX_SENTENCE_TOKENS)]

    def _triggers_for(self, tok: Token, sent: Span, low: str) -> list[Trigger]:
        cands = self.triggers.get(tok.lemma_.lower()) or self.triggers.get(tok.lower_) or []
        out = []
        for t in cands:
            if t.pos == "NOUN":
                if tok.pos_ not in ("NOUN", "PROPN"):
                    continue
            elif tok.pos_ not in ("VERB", "AUX") and not (tok.pos_ == "NOUN" and tok.tag_.startswith("VB")):
                continue
            if t.reflexive and not any(c.lower_ in _REFLEXIVE for c in tok.children):
                if not (tok.i > 0 and self.doc[tok.i - 1].lower_ in _REFLEXIVE):
                    continue
            if t.needs and not self._has_near(tok, t.needs):
                continue
            if t.needs_cue == "phone" and not self._phone_cue(tok, sent):
                continue
            if t.not_before and self._followed_by(tok, t.not_before):
                continue
            if t.not_after and tok.head.lemma_.lower() in t.not_after:
                continue
            if t.needs_object_actor and not any(
                c.dep_ in ("obj", "dobj") and self._actor_in(c) is not None for c in tok.children
            ):
                continue
            out.append(t)
        return out

    def _has_near(self, tok: Token, lemmas: frozenset[str]) -> bool:
        window = self.doc[max(tok.sent.start, tok.i - 2) : min(tok.sent.end, tok.i + 7)]
        if any(t.lemma_.lower() in lemmas or t.lower_ in lemmas for t in window if t.i != tok.i):
            return True
        return any(t.lemma_.lower() in lemmas for t in tok.subtree if t.i != tok.i and abs(t.i - tok.i) < 25)

    def _followed_by(self, tok: Token, words: frozenset[str]) -> bool:
        nxt = self.doc[tok.i + 1 : min(tok.sent.end, tok.i + 10)]
        for t in nxt:
            if t.lower_ in words and (t.i == tok.i + 1 or any(h.pos_ == "VERB" for h in [t.head]) or t.head.i == tok.i):
                return True
        return False

    def _phone_cue(self, tok: Token, sent: Span) -> bool:
        low = sent.text.lower()
        return any(c in low for c in self.cues.phone)

    # ------------------------------------------------------------ one trigger
    def _event(self, tok: Token, trig: Trigger, sent: Span, so_far: list[Event]) -> list[Event] | None:
        etype = trig.event_type
        if etype == "MEET" and self._phone_cue(tok, sent):
            etype = "PHONE_CALL"
        elif etype == "MEET" and trig.pos == "NOUN" and self._negotiation_talks(tok):
            etype = "NEGOTIATE"
        if self._negated(tok) or self._hypothetical(tok) or self._possessive_echo(tok, trig) \
                or self._complement_of_request(tok):
            return None
        pairs = self._arguments(tok, trig, sent)
        if not pairs:
            if trig.pos == "NOUN" and self._is_anaphor(tok):
                self._enrich_previous(tok, etype, sent, so_far)
            return None
        status, tense_past = self._status(tok, trig, sent)
        events = []
        for source, target, location, exact in pairs:
            if not source.country or not target.country or source.country == target.country:
                continue
            if not source.strong:
                continue
            date_str, precision = self._date(tok, sent, status, tense_past)
            if trig.pos == "NOUN" and date_str and self.published and status == "occurred":
                if date_str > self.published.isoformat()[: len(date_str)]:
                    status = "planned"
            ev = Event(
                event_type=etype,
                source_country=source.country,
                target_country=target.country,
                status=status,
                sentence=sent.text.strip(),
                source_actor=source.name,
                target_actor=target.name,
                source_role=source.role,
                target_role=target.role,
                location=location.text if location else None,
                location_country=location.country if location else None,
                event_date=date_str,
                date_precision=precision,
                context=self._context(sent),
                attributed_to=self._attribution(tok, sent),
                lang=self.lang,
                confidence=self._confidence(trig, exact, source, target),
                article_url=self.article.url,
                published=self.published.isoformat() if self.published else None,
                offset=tok.idx,
            )
            events.append(ev)
        return events or None

    def _negotiation_talks(self, tok: Token) -> bool:
        """"peace talks", "a round of nuclear talks", « pourparlers de paix »: negotiations, not a meeting."""
        topics = self.cues.negotiation_topics
        near = [c for c in tok.children if c.dep_ in ("amod", "compound", "nmod", "npadvmod")]
        if any(c.lemma_.lower() in topics or c.lower_ in topics for c in near):
            return True
        if tok.head.lemma_.lower() in ("round", "cycle", "série") and tok.dep_ in ("pobj", "nmod"):
            return True
        return any(c.lower_ in ("on", "sur") and any(g.lemma_.lower() in topics for g in c.subtree)
                   for c in tok.children)

    def _hypothetical(self, tok: Token) -> bool:
        """"if Beijing provided support to Russia", « si Moscou envoyait … »: a condition, not an event."""
        for t in self._governors(tok)[:3]:
            if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "si", "s'") for c in t.children):
                return True
        return False

    def _negated(self, tok: Token) -> bool:
        neg = self.cues.negation
        for t in [tok, *[c for c in tok.children if c.dep_.startswith("aux")]]:
            for c in t.children:
                if c.dep_ in ("neg", "advmod") and c.lower_ in neg and c.lower_ not in ("ne", "n'"):
                    return True
        return False

    def _is_anaphor(self, tok: Token) -> bool:
        return any(c.dep_ == "det" and c.lower_ in self.cues.demonstratives for c in tok.children)

    def _complement_of_request(self, tok: Token) -> bool:
        """« appelant la Russie et l'Ukraine à reprendre les pourparlers », "invited Xi to pay a state
        visit": what is asked, offered or refused is part of that event, not one of its own."""
        cur = tok
        for _ in range(3):  # « appelant X à reprendre les pourparlers »: pourparlers ← reprendre ← appelant
            if cur.dep_ not in ("xcomp", "ccomp", "obj", "dobj", "advcl") or cur.head.i == cur.i:
                return False
            cur = cur.head
            if any(t.event_type in ("DEMAND", "INVITE", "REJECT") for t in self.triggers.get(cur.lemma_.lower(), [])):
                return True
        return False

    def _possessive_echo(self, tok: Token, trig: Trigger) -> bool:
        """« leur premier échange », "their talks": a meeting noun with a possessive echoes the
        meeting already told in the sentence, it is not another one."""
        here = tok.sent.text.strip()
        possessive = {c.lower_ for c in tok.children if c.dep_ in ("det", "poss", "nmod:poss")}
        if trig.event_type == "VISIT" and trig.pos == "NOUN" and possessive & {"sa", "son", "his", "her"}:
            # « a reçu Meloni pour sa quatrième visite en Tunisie »: the visit the host receives.
            return any(e.event_type == "HOST_VISIT" and e.sentence == here for e in self._so_far)
        if not (trig.frame == "symmetric" and trig.pos == "NOUN" and possessive & {"leur", "leurs", "their"}):
            return False
        return any(e.sentence == here and is_symmetric(e.event_type) for e in self._so_far)

    def _enrich_previous(self, tok: Token, etype: str, sent: Span, so_far: list[Event]) -> None:
        """« Cette visite aura lieu à l'occasion du Forum … »: the details belong to the last such event."""
        for i in range(len(so_far) - 1, -1, -1):
            ev = so_far[i]
            if ev.event_type != etype:
                continue
            ctx = self._context(sent)
            if ctx and not ev.context:
                ev.context = ctx
            if not ev.event_date:
                date_str, precision = self._date(tok, sent, ev.status, False)
                if date_str:
                    ev.event_date, ev.date_precision = date_str, precision
            return

    # ---------------------------------------------------------- arguments
    def _actor_in(self, tok: Token | None, *, allow_weak: bool = False, exclude: set[int] | None = None,
                  places_only: bool = False) -> Actor | None:
        """The actor a phrase headed by `tok` refers to: its own span, else the first one in its subtree."""
        if tok is None:
            return None
        exclude = exclude or set()
        def fits(a: Actor | None) -> bool:
            return (a is not None and id(a) not in exclude and (allow_weak or a.strong)
                    and (a.country is not None or a.pair is not None) and (not places_only or a.is_place))

        a = self.actor_at.get(tok.i)
        if fits(a):
            return a
        for t in tok.subtree:
            if t.dep_ in ("acl", "acl:relcl", "relcl", "advcl", "ccomp", "parataxis") and t.i != tok.i:
                continue
            a = self.actor_at.get(t.i)
            if fits(a):
                return a
        return None

    def _resolve(self, a: Actor | None) -> list[Actor]:
        if a is None:
            return []
        if a.kind == "pair" and a.pair:
            return list(a.pair)
        return [a] if a.country else []

    def _subject(self, tok: Token) -> tuple[Token | None, bool]:
        """(subject token, passive?) for a verb, climbing xcomp/conj/aux chains."""
        cur = tok
        gerund = ("Pres" in tok.morph.get("Tense", []) and "Part" in tok.morph.get("VerbForm", [])) or tok.tag_ == "VBG"
        if gerund and tok.dep_ in ("acl", "advcl", "conj") and not any(
            c.dep_.startswith("nsubj") for c in tok.children
        ):
            # « …, accusant Kiev de … », "…, accusing Moscow of …": the main clause's subject acts.
            up = tok.head
            while not self._finite(up) and up.head.i != up.i:
                up = up.head  # past the participles of noun phrases to the main clause's verb
            if up.pos_ in ("VERB", "AUX") and up.i != tok.i:
                cur = up
        for _ in range(4):
            passive = any(c.dep_ in ("aux:pass", "auxpass", "nsubj:pass", "nsubjpass") for c in cur.children)
            for c in cur.children:
                if c.dep_ in ("nsubj", "nsubj:pass", "nsubjpass", "csubj"):
                    if c.lower_ in ("qui", "who", "which", "that", "lequel", "laquelle") and cur.dep_ in ("acl:relcl", "relcl"):
                        return cur.head, passive
                    return c, passive
            if cur.dep_ in ("xcomp", "conj", "advcl", "ccomp", "acl", "acl:relcl", "relcl") and cur.head.i != cur.i:
                if cur.dep_ in ("acl:relcl", "relcl", "acl") and cur.head.pos_ in ("NOUN", "PROPN"):
                    return cur.head, passive
                if cur.dep_ == "conj" and cur.head.pos_ not in ("VERB", "AUX"):
                    # A verb wrongly attached to a noun ("…, Xi Jinping, et prévoit de …"): the clause's root governs.
                    root = cur.sent.root
                    if root.i == cur.i or root.i > tok.i:
                        break
                    cur = root
                    continue
                cur = cur.head
                continue
            break
        if cur.dep_ == "ROOT":
            # « Donald Trump et Vladimir Poutine | se sont mis d'accord »: the parser made the subject a
            # root of its own; a nominal root just before the verb, in the same sentence, is its subject.
            for t in reversed(self.doc[max(0, cur.i - 40) : cur.i]):
                if t.text in (".", "!", "?", "\n"):
                    break
                if t.dep_ == "ROOT" and t.pos_ in ("PROPN", "NOUN") and t.i != cur.i:
                    return t, False
        return None, False

    def _children_with_case(self, tok: Token) -> list[tuple[Token, str]]:
        """Nominal dependents of `tok` with their preposition ('' for a direct object)."""
        out = []
        for c in tok.children:
            if c.dep_ in ("obj", "dobj", "iobj", "obl", "obl:arg", "obl:mod", "obl:agent", "nmod", "prep", "pobj",
                          "dative", "agent", "attr", "appos", "conj", "nsubj:pass", "nsubjpass", "xcomp", "advmod",
                          "npadvmod", "compound", "poss", "amod", "acl", "nmod:poss", "dep", "flat:name", "ccomp"):
                if c.dep_ in ("prep", "agent", "dative"):  # English: the preposition heads the phrase
                    for g in c.children:
                        if g.dep_ in ("pobj", "pcomp"):
                            out.append((g, c.lower_))
                    continue
                case = next((g.lower_ for g in c.children if g.dep_ in ("case", "mark")), "")
                if case == "" and c.i > 0 and self.doc[c.i - 1].lower_ in ("de", "d'", "du", "des", "à", "au", "aux", "en"):
                    case = self.doc[c.i - 1].lower_
                if c.dep_ in ("poss", "nmod:poss"):
                    case = "'s"
                out.append((c, case))
        return out

    def _arguments(self, tok: Token, trig: Trigger, sent: Span) -> list[tuple[Actor, Actor, Actor | None, bool]]:
        """(source, target, location, found-by-parse) for each event this trigger yields.

        Coordinated actors multiply events ("France, Germany and Italy condemned …"
        gives three); a passive or participle with an agent ("was received by Xi",
        « reçu par le roi », "a deal mediated by Qatar") swaps the roles.
        """
        frame = trig.frame
        is_verb = trig.pos != "NOUN"
        deps = self._children_with_case(tok)
        agent_tok = next((c for c, case in deps if case in _AGENT or c.dep_ == "obl:agent"), None)
        if agent_tok is None and is_verb and ("Part" in tok.morph.get("VerbForm", []) or tok.tag_ == "VBN"):
            agent_tok = self._nested_agent(tok)
        if agent_tok is not None and self.actor_at.get(agent_tok.i) is None:
            # "par surprise", "by train", « par un mandat d'arrêt de la Cour »: the by-phrase's own head
            # must be an actor, not just something named inside it.
            agent_tok = None
        source_tok: Token | None = None
        passive = False
        participle = False
        patient: Actor | None = None
        if is_verb:
            # « est arrivé », « s'est rendu » (être + participle) are tenses, not passives: spaCy's
            # French models say aux:tense there and aux:pass for a real passive.
            has_tense_aux = any(c.dep_ == "aux:tense" or (c.dep_ == "aux" and c.lemma_.lower() == "have")
                                for c in tok.children)
            participle = ("Part" in tok.morph.get("VerbForm", []) or tok.tag_ == "VBN") and not has_tense_aux and (
                tok.dep_ in ("acl", "advcl", "amod", "acl:relcl", "relcl", "xcomp", "ccomp", "conj", "ROOT", "dep"))
            source_tok, passive = self._subject(tok)
            if agent_tok is None and participle and tok.dep_ in ("acl", "amod") and self._actor_in(tok.head) is not None \
                    and frame in ("directed", "owner"):
                # « trois diplomates français, accusés d'activités subversives »: the noun undergoes it,
                # the main clause's subject does it.
                patient = self._actor_in(tok.head)
                up = tok.head
                while not self._finite(up) and up.head.i != up.i:
                    up = up.head
                source_tok, _ = self._subject(up) if self._finite(up) else (None, False)
                passive = True
            elif agent_tok is not None and (passive or participle):
                if source_tok is None and tok.dep_ in ("acl", "amod") and tok.head.i != tok.i:
                    source_tok = tok.head  # "a deal mediated by Qatar": the noun it describes
                elif source_tok is None and tok.dep_ == "advcl":
                    source_tok, _ = self._subject(tok.head)  # « Reçu par le roi, Macron a signé »
                patient = self._actor_in(source_tok)
                if patient is None and source_tok is not None and source_tok.pos_ == "PRON":
                    patient = self._pronoun_referent(source_tok)
                if patient is None and source_tok is not None:
                    agent_actor = self._actor_in(agent_tok)
                    patient = self._left_actor(tok, sent, exclude={id(agent_actor)} if agent_actor else set())
                source_tok, passive = agent_tok, True
        else:
            for c, case in deps:
                if trig.of_is_target and case in ("de", "d'", "du", "des", "of", "'s"):
                    continue  # « l'expulsion de l'ambassadeur de France »: whose envoy, not who expels
                if case in ("de", "d'", "du", "des", "of", "'s", "by", "par") or c.dep_ in ("poss", "nmod:poss", "amod", "compound"):
                    if self._actor_in(c, allow_weak=False):
                        source_tok = c
                        break
            if source_tok is None and tok.head.i != tok.i and tok.dep_ in ("obj", "dobj", "nsubj:pass", "nsubjpass", "obl", "obl:arg", "pobj"):
                head = tok.head if tok.dep_ != "pobj" else tok.head.head
                if head.lemma_.lower() in _LIGHT_VERBS or tok.dep_ in ("obj", "dobj"):
                    source_tok, _ = self._subject(head)
            if source_tok is None:
                for c in tok.children:
                    if c.dep_ in ("poss", "nmod:poss", "det") and c.lower_ in ("his", "her", "son", "sa", "ses", "leur", "their"):
                        source_tok = c
            if source_tok is None:
                # « L'UE a adopté son 18e paquet de sanctions contre la Russie »: up through the nouns
                # to the governing verb, whose subject acts — unless the noun is that subject.
                cur = tok
                for _ in range(4):
                    if cur.head.i == cur.i or cur.dep_ in ("nsubj", "nsubj:pass", "nsubjpass", "csubj", "appos"):
                        break
                    cur = cur.head
                    if cur.pos_ in ("VERB", "AUX"):
                        source_tok, _ = self._subject(cur)
                        break
        if frame == "host" and is_verb and not passive and agent_tok is None and participle:
            return []  # « le voici reçu avec les honneurs »: received, but by whom is not said
        source = self._actor_in(source_tok)
        if source is None and source_tok is not None and source_tok.lower_ in _PLURAL_PRONOUNS:
            source = self._plural_antecedent(source_tok)
        elif source is None and source_tok is not None and source_tok.pos_ == "PRON":
            source = self._pronoun_referent(source_tok)
        exact = source is not None
        if source is None and is_verb and not passive:
            source = self._root_subject(tok, sent) or self._left_actor(tok, sent)
        elif source is None and not is_verb and tok.dep_ in ("obj", "dobj", "pobj", "obl", "obl:arg", "nmod"):
            source = self._root_subject(tok, sent)
        sources = self._with_conjuncts(source)
        exclude: set[int] = {id(a) for a in sources}

        if passive and patient is not None and frame in ("directed", "host", "owner", "visit"):
            targets = self._with_conjuncts(patient)
            if frame == "visit":  # "was visited by": the patient is the place
                return [(s, t, t, True) for s in sources for t in targets]
            return [(s, t, None, True) for s in sources for t in targets]

        if frame == "visit":
            place = None
            for c, case in deps:
                if case in _PLACE_PREPS or (c.dep_ in ("obj", "dobj") and tok.lemma_.lower() in ("visiter", "visit", "tour")):
                    place = self._actor_in(c, exclude=exclude, places_only=True) or (
                        self._actor_in(c, exclude=exclude) if c.dep_ in ("obj", "dobj") else None)
                    if place:
                        break
            if place is None:
                place = self._right_place(tok, sent, exclude)
                exact = False
            if not sources and not is_verb:
                sources = self._with_conjuncts(self._left_actor(tok, sent, exclude={id(place)} if place else set()))
            if not sources or place is None:
                return []
            if place.place_country:
                place = replace(place, country=place.place_country)
            return [(s, place, place, exact) for s in sources]

        if frame == "symmetric":
            return self._symmetric(tok, trig, sent, source, deps, exclude, exact)

        if frame == "mediate":
            target = None
            for t in sent:
                if t.lower_ in _BETWEEN and t.i > tok.i - 2:
                    target = self._first_actor_after(t.i + 1, sent.end, exclude)
                    break
            if target is None and passive:  # "Israel and Hamas agreed … in a deal mediated by Qatar"
                target = next((a for a in self.actors if sent.start <= a.start < sent.end and a.strong
                               and a.country and id(a) not in exclude and a.start < tok.i), None)
            if not sources or target is None:
                return []
            return [(s, t, None, exact) for s in sources for t in self._resolve(target)]

        # host / directed / owner: the first candidate that is not the source's own country.
        own = {s.country for s in sources}
        preps = trig.preps or frozenset()
        target = None
        for c, case in deps:
            if c.dep_ in ("nsubj", "nsubj:pass", "nsubjpass", "csubj", "punct"):
                continue
            if c.dep_ in ("obj", "dobj", "iobj", "dative", "obl:arg") or case in preps or case in ("'s",) or (
                (frame == "owner" or trig.of_is_target) and case in ("de", "d'", "du", "des", "of")
            ):
                cand = self._actor_in(c, allow_weak=frame != "host", exclude=exclude)
                if cand is None and ((c.pos_ == "PRON" and c.lower_ in _OBJECT_PRONOUNS)
                                     or c.lemma_.lower() in _DESCRIPTORS):
                    # "…cut ties with Qatar, accusing it of…": the last other actor named before.
                    cand = next((a for a in reversed(self.actors) if a.start < c.i and a.strong and a.country
                                 and a.country not in own and sent.start <= a.start), None)
                if frame == "host" and cand is not None and cand.role == "government" and cand.kind == "role":
                    cand = None  # "welcomed the Turkish parliament's vote": not a guest
                if cand is not None and cand.country in own:
                    cand = self._actor_in(c, allow_weak=frame != "host", exclude=exclude | {id(cand)})
                if cand is not None and cand.country not in own:
                    target = cand
                    break
        if target is None and frame == "host":
            # "Merz a reçu mercredi Volodymyr Zelensky" (the guest parsed as an apposition)
            target = next((a for a in self.actors if tok.i < a.start <= tok.i + 6 and a.start < sent.end
                           and a.kind in ("person", "role") and a.role != "government" and a.strong
                           and a.country not in own), None)
            exact = False
        if target is None and frame != "host":
            end = min(sent.end, tok.i + 20)
            skip = set(exclude)
            while True:
                cand = self._first_actor_after(tok.i + 1, end, skip, allow_weak=True)
                if cand is not None and cand.kind == "pair":
                    skip.add(id(cand))  # "hailing a historic day for both countries"
                    continue
                if cand is None or cand.country not in own:
                    target = cand
                    break
                skip.add(id(cand))
            exact = False
        if target is None and trig.event_type == "ACCEPT_INVITATION":
            # "…invited him to London. Trump accepted the invitation": whose invitation was said before.
            for ev in reversed(self._so_far):
                if ev.event_type == "INVITE" and ev.target_country in own and ev.source_country:
                    target = Actor(tok.i, tok.i + 1, "country", ev.source_country, ev.source_actor, ev.source_role)
                    break
        if not sources or target is None:
            return []
        targets = self._with_conjuncts(target)
        return [(s, t, None, exact) for s in sources for tg in targets for t in self._resolve(tg)]

    def _nested_agent(self, tok: Token) -> Token | None:
        """"par X"/"by X" attached lower in the participle's phrase (a frequent parser error)."""
        for t in tok.subtree:
            if t.i == tok.i or abs(t.i - tok.i) > 12:
                continue
            up, inside_clause = t.head, False
            while up.i != tok.i and up.head.i != up.i:
                if up.pos_ in ("VERB", "AUX"):
                    inside_clause = True  # "…, où il a été reçu par Xi": another clause's agent
                    break
                up = up.head
            if inside_clause:
                continue
            if any(c.dep_ == "case" and c.lower_ in _AGENT for c in t.children) and self.actor_at.get(t.i):
                return t
            if t.lower_ in _AGENT and t.dep_ in ("prep", "agent"):
                obj = next((g for g in t.children if g.dep_ == "pobj"), None)
                if obj is not None and self._actor_in(obj):
                    return obj
        return None

    def _with_conjuncts(self, actor: Actor | None) -> list[Actor]:
        """The actor (pairs resolved) and the actors coordinated with it ("X, Y and Z")."""
        if actor is None:
            return []
        out = self._resolve(actor)
        out.extend(sib for sib in actor.siblings if all(sib.country != o.country for o in out))
        if actor.kind != "pair":
            others = self._conjuncts(actor, set()) + self._listed_after(actor)
            for other in others:
                out.extend(r for r in self._resolve(other) if all(r.country != o.country for o in out))
        return out

    def _listed_after(self, actor: Actor) -> list[Actor]:
        """« Macron, Merz, Starmer et Tusk » when the parser did not link the list as conjuncts."""
        out: list[Actor] = []
        prev = actor
        for i in range(bisect_left(self._starts, actor.end), len(self.actors)):
            a = self.actors[i]
            if a.start < prev.end:
                continue
            gap = " ".join(w for w in self.doc[prev.end : a.start].text.lower().split() if w not in _ARTICLES)
            gap = gap.replace(" ,", ",").strip()
            if gap not in _LIST_LINKS or not a.strong or a.kind not in ("person", "role", "country", "government"):
                break
            out.append(a)
            prev = a
            if gap in ("et", "and", ", et", ", and", "ainsi que", "as well as"):
                break
        # A list ends with "et"/"and": without it, "X, Y" is more likely an apposition.
        return out if out and self.doc[out[-1].start - 1].lower_ in ("et", "and", "que", "as", "ou", "or") else []

    def _symmetric(self, tok: Token, trig: Trigger, sent: Span, source: Actor | None, deps, exclude: set[int], exact: bool):  # type: ignore[no-untyped-def]
        parties: list[Actor] = []
        held = tok.dep_ in ("obj", "dobj") and tok.head.lemma_.lower() in _LIGHT_VERBS  # "held a summit with X"
        if source is not None and (held or not (trig.own_parties and source.start not in range(tok.left_edge.i, tok.right_edge.i + 1))):
            parties.extend(self._with_conjuncts(source))
        explicit: list[Actor] = []  # partners named by the trigger's own phrase ("with X", object)
        for c, case in deps:
            if c.dep_ in ("nsubj", "punct") or c.pos_ in ("VERB", "AUX"):
                continue  # a coordinated verb is another clause, not a partner
            if case in _WITH or c.dep_ in ("obj", "dobj", "obl:arg", "conj", "obl", "nmod", "pobj", "iobj"):
                other = self._actor_in(c, exclude={id(p) for p in parties} | exclude)
                if other is not None and other.is_place and case in _PLACE_PREPS and other.covers(c.i):
                    continue  # "met in Abu Dhabi": where, not with whom
                if other:
                    explicit.extend(self._resolve(other))
                    parties.extend(self._resolve(other))
                    if len({p.country for p in parties}) >= 2:
                        break
        for t in sent:
            if len({p.country for p in parties}) >= 2:
                break
            if t.lower_ in _BETWEEN and abs(t.i - tok.i) <= 4:
                first = self._first_actor_after(t.i + 1, sent.end, set())
                if first:
                    parties.extend(self._resolve(first))
                    second = self._first_actor_after(first.end, sent.end, {id(first)}, same_country_ok=False,
                                                     not_country=first.country)
                    if second:
                        parties.extend(self._resolve(second))
            if t.lower_ in _WITH and t.i > tok.i and t.i - tok.i <= 6 and t.lower_ in ("avec", "with"):
                other = self._first_actor_after(t.i + 1, min(sent.end, t.i + 8), {id(p) for p in parties})
                if other:
                    parties.extend(self._resolve(other))
        distinct: list[Actor] = []
        for p in parties:
            if p.country and all(p.country != d.country for d in distinct):
                distinct.append(p)
        group = self._with_conjuncts(source) if source is not None else []
        partners = [d for d in explicit if all(d.country != g.country for g in group)]
        if len(group) > 1 and partners:
            # "Saudi Arabia, Egypt, the UAE and Bahrain cut ties with Qatar": each with the partner.
            return [(g, partners[0], None, exact) for g in group]
        held = tok.dep_ in ("obj", "dobj") and tok.head.lemma_.lower() in _LIGHT_VERBS
        if trig.own_parties and not held:
            inside = [d for d in distinct if tok.left_edge.i <= d.start <= tok.right_edge.i]
            return [(inside[0], inside[1], None, exact)] if len(inside) >= 2 else []
        if len(distinct) < 2 and trig.pos == "NOUN":
            # « lors d'un entretien téléphonique », "during a phone call": the parties are the
            # governing verb's subject and object.
            verb = tok.head
            while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
                verb = verb.head
            if verb.pos_ in ("VERB", "AUX") and verb.i != tok.i:
                subj, _ = self._subject(verb)
                around = self._with_conjuncts(self._actor_in(subj)) + [
                    self._actor_in(c) for c, case in self._children_with_case(verb)
                    if c.dep_ in ("obj", "dobj", "iobj") or case in _WITH]
                for a in around:
                    for r in self._resolve(a):
                        if all(r.country != d.country for d in distinct):
                            distinct.append(r)
            if len(distinct) < 2 or trig.needs_party:
                return [] if len(distinct) < 2 else [(distinct[0], distinct[1], None, False)]
        if len(distinct) < 2:
            if trig.needs_pair:
                return []
            fallback = [a for a in self.actors if sent.start <= a.start < sent.end and a.strong and a.country]
            for a in fallback:
                for r in self._resolve(a):
                    if all(r.country != d.country for d in distinct):
                        distinct.append(r)
            exact = False
            if len(distinct) != 2:
                return []
        return [(distinct[0], distinct[1], None, exact)]

    def _conjuncts(self, actor: Actor, exclude: set[int]) -> list[Actor]:
        out = []
        for c in (c for t in self.doc[actor.start : actor.end] for c in t.children):
            if c.dep_ == "conj" and not actor.start <= c.i < actor.end:
                a = self._actor_in(c, exclude=exclude | {id(actor)})
                if a and a is not actor:
                    out.append(a)
        return out

    def _root_subject(self, tok: Token, sent: Span) -> Actor | None:
        root = sent.root
        if root.i >= tok.i:
            return None
        subj, _ = self._subject(root)
        return self._actor_in(subj)

    def _left_actor(self, tok: Token, sent: Span, exclude: set[int] | None = None) -> Actor | None:
        exclude = exclude or set()
        best = None
        for a in self.actors:
            if sent.start <= a.start < tok.i and a.strong and id(a) not in exclude:
                prev = self.doc[a.start - 1].lower_ if a.start > sent.start else ""
                if prev in _PLACE_PREPS or prev in ("de", "d'", "of", "selon", "contre", "against"):
                    continue
                if any(c.dep_ == "case" for t in self.doc[a.start : a.end] for c in t.children):
                    continue  # « …d'arrêt de la Cour pénale internationale »: inside a prepositional phrase
                best = a
        return best

    def _right_place(self, tok: Token, sent: Span, exclude: set[int]) -> Actor | None:
        for a in self.actors:
            if tok.i < a.start < min(sent.end, tok.i + 10) and a.is_place and id(a) not in exclude:
                prev = self.doc[a.start - 1].lower_
                prev2 = self.doc[a.start - 2].lower_ if a.start - 2 >= sent.start else ""
                if prev in _PLACE_PREPS or prev2 in _PLACE_PREPS:
                    return a
        return None

    def _first_actor_after(self, start: int, end: int, exclude: set[int], allow_weak: bool = False,
                           same_country_ok: bool = True, not_country: str | None = None) -> Actor | None:
        for a in self.actors:
            if start <= a.start < end and id(a) not in exclude and (allow_weak or a.strong):
                if not_country and a.country == not_country:
                    continue
                return a
        return None

    @staticmethod
    def _finite(t: Token) -> bool:
        """A verb that heads a clause: finite, or a participle with its auxiliary ("a dénoncé")."""
        if t.pos_ not in ("VERB", "AUX"):
            return False
        return "Fin" in t.morph.get("VerbForm", []) or t.tag_ in ("VBD", "VBZ", "VBP") or any(
            c.dep_ in ("aux", "aux:tense", "aux:pass", "auxpass") for c in t.children)

    def _plural_antecedent(self, tok: Token) -> Actor | None:
        """« …sont arrivés à Damas, où ils ont rencontré… »: "ils" is the main clause's (coordinated) subject."""
        root = tok.sent.root
        if root.i < tok.i and tok.head.i != root.i:
            subj, _ = self._subject(root)
            found = self._actor_in(subj)
            if found is not None:
                return found
        prev_sents = [s for s in self.doc.sents if s.end <= tok.sent.start]
        if prev_sents:
            subj, _ = self._subject(prev_sents[-1].root)
            return self._actor_in(subj)
        return None

    def _pronoun_referent(self, tok: Token) -> Actor | None:
        sent_start = tok.sent.start
        prev = [a for a in self.actors if a.start < sent_start and a.strong and a.country]
        subj = [a for a in prev if self.doc[a.start].dep_.startswith("nsubj")]
        found = subj or prev
        return found[-1] if found else None

    # -------------------------------------------------------------- status
    def _governors(self, tok: Token) -> list[Token]:
        chain = [tok]
        cur = tok
        for _ in range(5):
            if cur.head.i == cur.i:
                break
            if cur.dep_ in ("conj",) and cur.head.pos_ in ("VERB", "AUX"):
                cur = cur.head
                continue
            cur = cur.head
            chain.append(cur)
            if cur.pos_ in ("VERB", "AUX") and cur.dep_ not in ("xcomp", "ccomp", "acl", "advcl", "obj", "csubj"):
                break
        return chain

    def _status(self, tok: Token, trig: Trigger, sent: Span) -> tuple[str, bool]:
        """(status, described in a past tense?)"""
        st = self.cues.status
        chain = self._governors(tok)
        aux = [c for t in chain for c in t.children if c.dep_ in ("aux", "aux:tense", "aux:pass", "auxpass")]
        lemmas = [t.lemma_.lower() for t in chain[1:]] + [t.lemma_.lower() for t in aux]
        for t in chain[1:]:
            for c in t.children:
                if c.dep_ in ("xcomp", "ccomp") and c.i != tok.i and c.i < tok.i and c.lemma_.lower() in st.get("cancelled", ()):
                    lemmas.append(c.lemma_.lower())
        for status in ("denied", "cancelled"):
            if any(lem in st.get(status, ()) for lem in lemmas):
                return status, False
        low = sent.text.lower()
        for status in ("cancelled",):
            if any(p in low for p in self.cues.phrases.get(status, ())):
                return status, False
        if any(lem in st.get("done", ()) for lem in lemmas[:2]):
            return "occurred", self._past(chain, aux)  # « a décidé de rappeler », "ordered the expulsion"
        if trig.pos != "NOUN" or any(t.pos_ in ("VERB", "AUX") for t in chain[1:]):
            for status in ("planned", "proposed", "ongoing"):
                if any(lem in st.get(status, ()) for lem in lemmas):
                    return status, False
        if trig.pos == "NOUN" and any(t.lemma_.lower() in ("effectuer", "be", "être") and "Pres" in t.morph.get("Tense", [])
                                      for t in chain[1:2]):
            return "ongoing", False  # « qui effectue une visite d'État », "is on a visit"
        morph_status = self._morph_status(tok, chain, aux)
        if morph_status:
            return morph_status, morph_status == "occurred" and self._past(chain, aux)
        if any(p in low for p in self.cues.phrases.get("ongoing", ())):
            return "ongoing", False
        if any(p in low for p in self.cues.phrases.get("planned", ())):
            return "planned", False
        return "occurred", self._past(chain, aux)

    def _past(self, chain: list[Token], aux: list[Token]) -> bool:
        for t in chain + aux:
            if t.pos_ not in ("VERB", "AUX"):
                continue
            tense = t.morph.get("Tense", [])
            if "Past" in tense or "Imp" in tense or t.tag_ in ("VBD", "VBN"):
                return True
            if "Fut" in tense or "Pres" in tense or t.tag_ in ("VBZ", "VBP", "MD"):
                if not (t.tag_ in ("VBZ", "VBP") and any(a.tag_ == "VBN" for a in chain)):
                    if t.lemma_.lower() not in ("avoir", "être", "have", "be"):
                        return False
        return any(t.tag_ in ("VBD", "VBN") or "Part" in t.morph.get("VerbForm", []) for t in chain)

    def _morph_status(self, tok: Token, chain: list[Token], aux: list[Token]) -> str | None:
        verbs = [t for t in chain if t.pos_ in ("VERB", "AUX")] + aux
        for t in verbs:
            low = t.lower_
            if self.lang == "en":
                if low in ("will", "'ll", "shall") or (low == "going" and any(c.lower_ == "to" for c in t.children)):
                    return "planned"
                if low in ("would", "could", "might", "may"):
                    return "proposed"
                if t.tag_ == "VBG" and any(a.lemma_ == "be" for a in t.children if a.dep_ == "aux"):
                    return "ongoing"
            else:
                if "Fut" in t.morph.get("Tense", []):
                    return "planned"
                if "Cnd" in t.morph.get("Mood", []):
                    return "planned" if t.lemma_.lower() in ("devoir",) else "proposed"
        if tok.pos_ == "VERB" and ("Inf" in tok.morph.get("VerbForm", []) or tok.tag_ == "VB" and any(c.lower_ == "to" for c in tok.children)):
            if len(chain) > 1 and chain[1].pos_ in ("VERB", "AUX"):
                return "planned"
        return None

    # ---------------------------------------------------------------- dates
    def _date(self, tok: Token, sent: Span, status: str, tense_past: bool) -> tuple[str | None, str]:
        """The event's date: a time expression of its own clause, resolved in the status's direction.

        Each expression belongs to the first verb (or the trigger noun) above it in the parse.
        It dates this event when that is the trigger itself (score 0), a verb inside the
        trigger's phrase (« sa visite, prévue jeudi », score 1), or — for an event that
        happened — a verb governing the trigger (« a annoncé mardi l'expulsion », score 2):
        a report dated "on Tuesday" dates what it reports), then the main clause's date for
        coordinated clauses (score 3). Planned, cancelled or denied events take only their own dates. With none: the publication day for a past-tense event.
        """
        direction = {"planned": "future", "proposed": "future", "cancelled": "future", "denied": "future",
                     "occurred": "past"}.get(status, "either")
        governors = {t.i for t in self._governors(tok)[1:]}
        subtree = {t.i for t in tok.subtree}
        best: tuple[int, int, TimeExpr] | None = None
        for e in find_time_expressions(sent.text, self.lang):
            first = sent.char_span(e.start, e.end, alignment_mode="expand")
            if first is None or len(first) == 0:
                continue
            owner = first[0]
            while owner.i != tok.i and owner.pos_ not in ("VERB", "AUX") and owner.head.i != owner.i:
                owner = owner.head
            if owner.i == tok.i:
                score = 0
            elif owner.i in subtree and (tok.pos_ in ("NOUN", "PROPN") or not (
                    self._finite(owner) or owner.lemma_.lower() in self.triggers)):
                score = 1  # a verb inside the trigger's phrase — not another event's clause
            elif owner.i in governors and status in ("occurred", "ongoing"):
                score = 2
            elif status in ("occurred", "ongoing") and (owner.i == sent.root.i or (
                    owner.dep_ == "conj" and owner.head.i == sent.root.i)):
                score = 3  # "Obama on Thursday ordered … and imposed sanctions …": the shared date
            else:
                continue
            dist = abs(first[0].i - tok.i)
            if best is None or (score, dist) < best[:2]:
                best = (score, dist, e)
        if best is not None:
            value, precision = best[2].resolve(self.published, direction)
            if value:
                return value, precision
        if status == "occurred" and tense_past and self.published:
            return self.published.isoformat(), "day"
        return None, "unknown"

    # ---------------------------------------------------- context, attribution
    def _context(self, sent: Span) -> str | None:
        low = sent.text.lower()
        for name, aliases in self.cues.occasions.items():
            if any(alias in low for alias in aliases):
                if any(cue in low for cue in self.cues.occasion) or "forum" in low or "sommet" in low or "summit" in low:
                    return name
        for cue in self.cues.occasion:
            pos = low.find(cue + " ")
            if pos < 0 or cue in ("at the", "at a", "during the", "during a", "for the"):
                continue
            tail = sent.text[pos + len(cue) + 1 :]
            words = []
            for w in tail.split():
                clean = w.strip(",.;:()«»\"")
                if not clean:
                    continue
                if not (clean[:1].isupper() or clean[:1].isdigit() or clean.lower() in ("de", "du", "des", "la", "le", "l'", "of", "the", "on", "et", "and")):
                    break
                words.append(clean)
                if w.endswith((",", ".", ";", ":")):
                    break
            while words and words[-1].lower() in ("de", "du", "des", "la", "le", "of", "the", "on", "et", "and"):
                words.pop()
            if words and any(w[:1].isupper() for w in words):
                return " ".join(words)[:120]
        return None

    def _attribution(self, tok: Token, sent: Span) -> str | None:
        low = sent.text.lower()
        for cue in self.cues.attribution:
            pos = low.find(cue)
            if pos < 0:
                continue
            start_char = sent.start_char + pos + len(cue)
            window = [a for a in self.actors if a.start >= sent.start and self.doc[a.start].idx >= start_char
                      and a.start < min(sent.end, tok.i if tok.idx > start_char else sent.end)]
            people = [a for a in window if a.kind == "person"]
            picks = people or window
            if picks:
                pick = picks[0]
                return pick.name or pick.text
        # "X a déclaré que ..." / "X said ...": the event sits under a reporting verb.
        cur = tok
        for _ in range(6):
            if cur.head.i == cur.i:
                break
            if cur.dep_ in ("ccomp", "parataxis") and cur.head.lemma_.lower() in self.cues.reporting_verbs:
                subj, _ = self._subject(cur.head)
                a = self._actor_in(subj)
                if a:
                    return a.name or a.text
                break
            cur = cur.head
        return None

    def _confidence(self, trig: Trigger, exact: bool, source: Actor, target: Actor) -> float:
        score = 0.45 + (0.25 if exact else 0.0) + (0.1 if trig.pos != "NOUN" else 0.0)
        score += 0.05 * sum(1 for a in (source, target) if a.kind in ("person", "role"))
        return round(min(0.95, max(0.1, score)), 2)

    # ---------------------------------------------------------------- merge
    def _merge(self, events: list[Event]) -> list[Event]:
        """One event per (type, dyad, compatible date) within the article; details pooled."""
        merged: list[Event] = []
        for ev in events:
            for m in merged:
                if m.event_type != ev.event_type or _dyad(m) != _dyad(ev):
                    continue
                if m.event_date and ev.event_date and not (
                    m.event_date.startswith(ev.event_date) or ev.event_date.startswith(m.event_date)
                ):
                    continue
                _absorb(m, ev)
                break
            else:
                merged.append(replace(ev))
        key = self.article.key or article_key(self.doc.text)
        return [e.finalize(key) for e in merged]


def _dyad(e: Event) -> tuple[str, str]:
    a, b = e.source_country or "", e.target_country or ""
    if is_symmetric(e.event_type) and b < a:
        a, b = b, a
    return a, b


def _absorb(into: Event, other: Event) -> None:
    if other.event_date and (not into.event_date or len(other.event_date) > len(into.event_date)):
        if not into.event_date or other.event_date.startswith(into.event_date):
            into.event_date, into.date_precision = other.event_date, other.date_precision
    for attr in ("context", "attributed_to", "location", "location_country", "source_actor", "target_actor",
                 "source_role", "target_role"):
        if getattr(into, attr) is None and getattr(other, attr) is not None:
            setattr(into, attr, getattr(other, attr))
    into.confidence = max(into.confidence, other.confidence)
