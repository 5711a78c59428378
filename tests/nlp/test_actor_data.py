"""Checks on the actor dictionaries under diplowatch/nlp/data: schema, codes, dates, coverage.

The files are data a political scientist edits by hand; these tests catch the
slips such edits make (a typo in a code, a role outside the vocabulary, two
leaders of one country at once, an alias that names two people) and hold the
coverage the extractor relies on.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import pytest
import yaml
from babel import Locale

import diplowatch

DATA_DIR = Path(diplowatch.__file__).resolve().parent / "nlp" / "data"
LANGS = ("en", "fr")
ROLES = frozenset(
    {
        "head_of_state",
        "head_of_government",
        "foreign_minister",
        "defence_minister",
        "spokesperson",
        "envoy",
        "advisor",
        "org_leader",
    }
)
# Codes outside ISO 3166-1 that the dictionaries use for states.
EXTRA_STATES = frozenset({"PSE", "XKX", "TWN", "VAT"})
BABEL_CODES = {"XKX": "XK"}  # Kosovo: user-assigned alpha-3, CLDR territory XK
# The 193 UN member states. Neither pycountry nor Babel records UN membership,
# so the list is written out here (ISO 3166-1 alpha-3).
UN_MEMBERS = frozenset(
    """
    AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN
    BOL BIH BWA BRA BRN BGR BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG COD
    CRI CIV HRV CUB CYP CZE DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FJI FIN
    FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ
    IRL ISR ITA JAM JPN JOR KAZ KEN KIR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX
    MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MDA MCO MNG MNE MAR MOZ MMR NAM NRU
    NPL NLD NZL NIC NER NGA PRK MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT QAT
    KOR ROU RUS RWA KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM
    ZAF SSD ESP LKA SDN SUR SWE CHE SYR TJK TZA THA TLS TGO TON TTO TUN TUR TKM TUV
    UGA UKR ARE GBR USA URY UZB VUT VEN VNM YEM ZMB ZWE
    """.split()
)
G20_STATES = ("ARG", "AUS", "BRA", "CAN", "CHN", "FRA", "DEU", "IND", "IDN", "ITA",
              "JPN", "MEX", "RUS", "SAU", "ZAF", "KOR", "TUR", "GBR", "USA")  # fmt: skip
REFERENCE_DAYS = (date(2023, 7, 15), date(2025, 6, 1))
REQUIRED_ORGS = frozenset(
    """
    EU UN UNSC NATO AU ASEAN G7 G20 BRICS SCO OSCE IAEA WHO WTO IMF WB OPEC ARL GCC
    ECOWAS OAS COE ICC ICJ OIC CSTO EAEU UNHRC UNESCO UNICEF UNHCR OECD CELAC
    MERCOSUR SADC IGAD QUAD
    """.split()
)
# Bare surnames (or given names) that name many people in the news.
AMBIGUOUS_BARE = frozenset(
    """
    Lee Kim Li Wang Zhang Liu Chen Park Khan Singh Johnson Brown Smith Jones Williams
    Miller Wilson Taylor Clinton Bush Castro Gandhi Sharif Bhutto Zardari Rajapaksa
    Shinawatra Marcos Aoun Salam Ali Ahmed Mohammed Muhammad Mohamed Hassan Hussein
    Ibrahim Abdullah Tan Wong Nguyen Fernández Fernandez Rodríguez Rodriguez Maliki
    """.split()
)
LEADING_ARTICLE = re.compile(r"^(the|The|le|la|les|l')[\s']")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PERSON_KEYS = frozenset({"name", "country", "title", "aliases", "roles"})
ROLE_KEYS = frozenset({"role", "from", "to", "country", "title"})
COUNTRY_KEYS = frozenset({"names", "capital", "demonyms", "government"})
ORG_KEYS = frozenset({"code", "names", "seat", "part_of"})
# Titles that mark a stand-in, who may overlap with the office's holder.
STAND_IN = re.compile(r"\b(acting|interim|caretaker)\b", re.IGNORECASE)


@cache
def load(name: str) -> Any:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def actors() -> list[dict[str, Any]]:
    return load("actors.yml")


def countries() -> dict[str, dict[str, Any]]:
    return load("countries.yml")


def organisations() -> list[dict[str, Any]]:
    return load("organisations.yml")


def org_codes() -> set[str]:
    return {org["code"] for org in organisations()}


def is_state_code(code: str) -> bool:
    return code in EXTRA_STATES or pycountry.countries.get(alpha_3=code) is not None


def babel_code(code: str) -> str:
    """The CLDR territory code Babel names a state by."""
    if code in BABEL_CODES:
        return BABEL_CODES[code]
    country = pycountry.countries.get(alpha_3=code)
    assert country is not None, code
    return str(country.alpha_2)


def day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def spans(person: dict[str, Any]) -> list[tuple[str, str, date, date | None, str]]:
    """(country, role, from, to, title) for each role, the role's own country and title first."""
    return [
        (
            r.get("country") or person["country"],
            r["role"],
            date.fromisoformat(r["from"]),
            day(r["to"]),
            r.get("title") or person.get("title") or "",
        )
        for r in person["roles"]
    ]


def holders(country: str, roles: set[str], on: date) -> list[str]:
    return [
        p["name"]
        for p in actors()
        for c, role, start, end, _ in spans(p)
        if c == country and role in roles and start <= on and (end is None or on <= end)
    ]


def fold(text: str) -> str:
    """Case, accents and typographic apostrophes folded away."""
    text = unicodedata.normalize("NFD", text.replace("\u2019", "'"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()


def is_string_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(s, str) and s == s.strip() and s and "  " not in s for s in value)
        and len(set(value)) == len(value)
    )


# --- organisations.yml ---------------------------------------------------------


def test_organisations_have_the_schema() -> None:
    orgs = organisations()
    assert isinstance(orgs, list)
    codes = [org.get("code") for org in orgs]
    assert len(codes) == len(set(codes)), "duplicate organisation codes"
    for org in orgs:
        assert set(org) <= ORG_KEYS, org
        assert isinstance(org["code"], str) and re.fullmatch(r"[A-Z0-9]{2,10}", org["code"]), org
        assert set(org["names"]) == set(LANGS), org["code"]
        for lang in LANGS:
            assert is_string_list(org["names"][lang]), (org["code"], lang)
        if "seat" in org:
            assert set(org["seat"]) == set(LANGS) and all(isinstance(v, str) for v in org["seat"].values())


def test_organisation_codes_do_not_clash_with_states() -> None:
    clashes = [code for code in org_codes() if len(code) == 3 and is_state_code(code)]
    assert not clashes


def test_required_organisations_are_listed() -> None:
    assert REQUIRED_ORGS <= org_codes(), sorted(REQUIRED_ORGS - org_codes())


# --- countries.yml -------------------------------------------------------------


def test_countries_cover_every_un_member_and_the_observers() -> None:
    listed = set(countries())
    assert len(UN_MEMBERS) == 193
    assert UN_MEMBERS | EXTRA_STATES <= listed, sorted(UN_MEMBERS | EXTRA_STATES - listed)
    assert len(listed) >= 190


def test_country_codes_are_real_and_named_by_babel() -> None:
    english, french = Locale("en").territories, Locale("fr").territories
    for code in countries():
        assert is_state_code(code), code
        alpha2 = babel_code(code)
        assert english.get(alpha2) and french.get(alpha2), f"Babel has no name for {code}"


def test_country_entries_have_the_schema() -> None:
    for code, info in countries().items():
        assert isinstance(info, dict) and set(info) <= COUNTRY_KEYS, code
        for key in ("names", "demonyms", "government"):
            if key in info:
                assert info[key] and set(info[key]) <= set(LANGS), (code, key)
                for lang, values in info[key].items():
                    assert is_string_list(values), (code, key, lang)
        assert set(info["capital"]) == set(LANGS), code
        for lang, capital in info["capital"].items():
            assert is_string_list([capital] if isinstance(capital, str) else capital), (code, lang)
        assert set(info["demonyms"]) == set(LANGS), f"{code} needs demonyms in both languages"


def test_a_country_name_capital_or_metonym_names_one_country_per_language() -> None:
    english, french = Locale("en").territories, Locale("fr").territories
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for code, info in countries().items():
        alpha2 = babel_code(code)
        seen[("en", fold(english[alpha2]))].add(code)
        seen[("fr", fold(french[alpha2]))].add(code)
        for lang in LANGS:
            capital = info["capital"][lang]
            surfaces = [capital] if isinstance(capital, str) else list(capital)
            for key in ("names", "government"):
                surfaces += (info.get(key) or {}).get(lang, [])
            for surface in surfaces:
                seen[(lang, fold(surface))].add(code)
    clashes = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
    assert not clashes


# --- actors.yml ----------------------------------------------------------------


def test_there_are_enough_people() -> None:
    assert len(actors()) >= 300


def test_people_have_the_schema() -> None:
    for person in actors():
        name = person.get("name")
        assert set(person) <= PERSON_KEYS and {"name", "country", "aliases", "roles"} <= set(person), name
        assert isinstance(name, str) and name.strip() == name and name, person
        assert isinstance(person.get("title", ""), str), name
        assert set(person["aliases"]) == set(LANGS), name
        for lang in LANGS:
            assert is_string_list(person["aliases"][lang]), (name, lang)
        assert isinstance(person["roles"], list) and person["roles"], name
        for role in person["roles"]:
            assert set(role) <= ROLE_KEYS and {"role", "from", "to"} <= set(role), (name, role)
            assert role["role"] in ROLES, (name, role)
            assert isinstance(role.get("title", ""), str), (name, role)


def test_names_are_unique() -> None:
    names = [p["name"] for p in actors()]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_countries_of_people_are_states_or_organisations() -> None:
    known = org_codes()
    for person in actors():
        for code in [person["country"]] + [r["country"] for r in person["roles"] if "country" in r]:
            assert is_state_code(code) or code in known, (person["name"], code)


def test_role_dates_are_iso_days_in_order() -> None:
    for person in actors():
        for role in person["roles"]:
            start, end = role["from"], role["to"]
            # Quoted strings: unquoted YAML dates load as datetime.date and hide typos like 2019-13-01.
            assert isinstance(start, str) and ISO_DAY.match(start), (person["name"], role)
            assert end is None or (isinstance(end, str) and ISO_DAY.match(end)), (person["name"], role)
            begins, ends = date.fromisoformat(start), day(end)
            assert date(1940, 1, 1) <= begins <= date(2027, 12, 31), (person["name"], role)
            assert ends is None or begins <= ends <= date(2027, 12, 31), (person["name"], role)


def test_aliases_read_like_running_text() -> None:
    for person in actors():
        for lang in LANGS:
            for alias in person["aliases"][lang]:
                assert not LEADING_ARTICLE.match(alias), (person["name"], alias)
                assert alias not in AMBIGUOUS_BARE, (person["name"], alias)
        assert person["name"] not in AMBIGUOUS_BARE, person["name"]


def test_an_alias_shared_by_two_people_stays_within_one_country() -> None:
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for person in actors():
        for lang in LANGS:
            for alias in {person["name"], *person["aliases"][lang]}:
                owners[(lang, alias)].add(person["country"])
    clashes = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not clashes


def test_one_office_has_one_holder_at_a_time() -> None:
    """Two people in one office at once is a date slip, unless one of them is a stand-in."""
    offices: dict[tuple[str, str], list[tuple[date, date, str, str]]] = defaultdict(list)
    for person in actors():
        for country, role, start, end, title in spans(person):
            if role in {"head_of_state", "head_of_government", "foreign_minister", "defence_minister"}:
                offices[(country, role)].append((start, end or date.max, person["name"], title))
    overlaps = []
    for office, terms in offices.items():
        terms.sort()
        for i, (_start_a, end_a, name_a, title_a) in enumerate(terms):
            for start_b, end_b, name_b, title_b in terms[i + 1 :]:
                if name_a == name_b or start_b >= end_a:
                    continue
                if STAND_IN.search(title_a) or STAND_IN.search(title_b):
                    continue
                overlaps.append((office, name_a, name_b, str(start_b), str(min(end_a, end_b))))
    assert not overlaps


@pytest.mark.parametrize("country", G20_STATES)
@pytest.mark.parametrize("on", REFERENCE_DAYS, ids=str)
def test_every_g20_state_has_a_leader_and_a_foreign_minister(country: str, on: date) -> None:
    assert holders(country, {"head_of_state", "head_of_government"}, on), f"no leader of {country} on {on}"
    assert holders(country, {"foreign_minister"}, on), f"no foreign minister of {country} on {on}"


@pytest.mark.parametrize("org", ("EU", "AU", "UN", "NATO"))
@pytest.mark.parametrize("on", REFERENCE_DAYS, ids=str)
def test_the_main_organisations_have_a_leader(org: str, on: date) -> None:
    assert holders(org, {"org_leader"}, on), f"no leader of {org} on {on}"


def test_the_permanent_members_are_covered_since_2012() -> None:
    """Every year from 2012, each P5 state has a leader, a foreign minister and a spokesperson on file."""
    for country in ("CHN", "FRA", "RUS", "GBR", "USA"):
        for year in range(2012, 2026):
            on = date(year, 6, 1)
            assert holders(country, {"head_of_state", "head_of_government"}, on), (country, on)
            assert holders(country, {"foreign_minister"}, on), (country, on)
            if country != "GBR":  # the Foreign Office has no named, public spokesperson
                assert holders(country, {"spokesperson"}, on), (country, on)
