"""Time expressions resolved against the publication date, in the direction the event's status gives."""

from __future__ import annotations

from datetime import date

import pytest

from diplowatch.events.dates import find_time_expressions

PUB = date(2023, 7, 15)  # a Saturday


def resolve(text: str, lang: str, direction: str, published: date = PUB) -> tuple[str | None, str]:
    exprs = find_time_expressions(text, lang)
    assert exprs, f"no time expression found in {text!r}"
    return exprs[0].resolve(published, direction)


@pytest.mark.parametrize(
    ("text", "lang", "direction", "expected"),
    [
        ("se rendra en Chine en octobre prochain", "fr", "future", ("2023-10", "month")),
        ("la venue de Xi Jinping à Moscou en mars dernier", "fr", "past", ("2023-03", "month")),
        ("il a rencontré mardi dernier son homologue", "fr", "past", ("2023-07-11", "day")),
        ("ils se verront mardi prochain", "fr", "future", ("2023-07-18", "day")),
        ("le sommet du 18 octobre 2023", "fr", "future", ("2023-10-18", "day")),
        ("la visite prévue le 3 mars", "fr", "future", ("2024-03-03", "day")),
        ("la visite effectuée le 3 mars", "fr", "past", ("2023-03-03", "day")),
        ("il s'est rendu hier à Kiev", "fr", "past", ("2023-07-14", "day")),
        ("en juillet 2022", "fr", "past", ("2022-07", "month")),
        ("Putin will travel to China next October", "en", "future", ("2023-10", "month")),
        ("Xi visited Moscow last March", "en", "past", ("2023-03", "month")),
        ("the talks held last Tuesday", "en", "past", ("2023-07-11", "day")),
        ("the summit on March 3", "en", "future", ("2024-03-03", "day")),
        ("the visit on March 3", "en", "past", ("2023-03-03", "day")),
        ("on October 18, 2023", "en", "future", ("2023-10-18", "day")),
        ("met on 18 October 2023", "en", "past", ("2023-10-18", "day")),
        ("spoke by phone yesterday", "en", "past", ("2023-07-14", "day")),
        ("will visit next month", "en", "future", ("2023-08", "month")),
        ("will visit next year", "en", "future", ("2024", "year")),
    ],
)
def test_resolution(text: str, lang: str, direction: str, expected: tuple[str, str]) -> None:
    assert resolve(text, lang, direction) == expected


def test_month_of_publication_is_next_year_when_said_prochain() -> None:
    assert resolve("en juillet prochain", "fr", "future") == ("2024-07", "month")


def test_absurd_years_are_not_dates() -> None:
    assert find_time_expressions("en l'an 9999 ou en 0000", "fr") == () or all(
        e.resolve(PUB, "past")[0] is None for e in find_time_expressions("en 9999", "fr")
    )


def test_no_publication_date_leaves_relative_dates_unresolved() -> None:
    exprs = find_time_expressions("en octobre prochain", "fr")
    assert exprs[0].resolve(None, "future") == (None, "unknown")
