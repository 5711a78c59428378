"""SimHash near-duplicate detection."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplowatch.parse.dedup import hamming, is_near_duplicate, simhash64, to_signed64

# A long wire story (~450 words): near-duplicate detection is meant for article-length text.
WIRE = " ".join(
    [
        "Russian President Vladimir Putin arrived in Beijing on Tuesday for a two-day state visit, his first",
        "trip outside the former Soviet Union since the International Criminal Court issued a warrant for his",
        "arrest in March. He was greeted at the airport by Vice President Han Zheng and a military honour guard.",
        "Putin will attend the third Belt and Road Forum for International Cooperation and hold talks with Chinese",
        "leader Xi Jinping on Wednesday, Kremlin foreign policy adviser Yuri Ushakov told reporters in Moscow.",
        "The two leaders are expected to discuss bilateral trade, which reached a record last year, as well as",
        "energy cooperation, the Power of Siberia 2 gas pipeline and the situation in the Middle East after the",
        "attack on Israel and the bombardment of Gaza. Ushakov said a separate meeting on Ukraine was not planned",
        "but that the conflict would inevitably be raised. Foreign Minister Sergei Lavrov, Defence Minister Sergei",
        "Shoigu and several deputy prime ministers accompany the president, along with the heads of the largest",
        "state energy companies. Beijing has refused to condemn the invasion of Ukraine and presents itself as a",
        "neutral party, while Western governments accuse it of giving Moscow diplomatic and economic cover.",
        "Chinese Foreign Ministry spokeswoman Mao Ning said relations between the two countries were not directed",
        "against any third party and that China was ready to work with Russia to deepen practical cooperation.",
        "Analysts in Beijing said the visit would show that Russia is not isolated, and that Xi would use the",
        "forum, attended by delegations from more than 130 countries, to promote his flagship infrastructure",
        "initiative ten years after its launch. Hungarian Prime Minister Viktor Orban, the only European Union",
        "leader at the forum, met Putin on the sidelines, a move criticised by several member states and by",
        "officials in Brussels who said it sent the wrong signal while the war continued. The Kremlin said Putin",
        "would also meet the leaders of Vietnam, Thailand, Laos and Mongolia before returning to Moscow on",
        "Thursday. It was the forty-second meeting between Putin and Xi, who have declared a partnership with no",
        "limits and have met regularly since Xi came to power. Western diplomats in Beijing said they would be",
        "watching closely for any sign of new military cooperation, including arms deliveries, which both sides",
        "deny. Trade between the two neighbours rose by almost thirty percent in the first nine months of the",
        "year, according to Chinese customs data, driven by Russian oil and gas exports and Chinese car sales.",
        "The visit comes as Moscow seeks new markets for its energy after European sanctions, and as Beijing",
        "looks for secure supplies of oil, gas and grain. Officials said a number of agreements on agriculture,",
        "transport and customs procedures were ready for signature, but no major new deal had been announced.",
    ]
)


def test_simhash_is_a_signed_int64_and_deterministic() -> None:
    value = simhash64(WIRE)
    assert isinstance(value, int) and -(2**63) <= value < 2**63
    assert simhash64(WIRE) == value
    assert simhash64("") == 0 and simhash64("   ...   ") == 0


def test_hamming_and_sign() -> None:
    assert hamming(0, 0) == 0 and hamming(0, -1) == 64 and hamming(1, 3) == 1
    assert to_signed64(2**64 - 1) == -1 and to_signed64(2**63) == -(2**63) and to_signed64(5) == 5
    assert hamming(to_signed64(2**63 + 1), 2**63 + 1) == 0  # signed and unsigned forms agree


def test_near_duplicates_are_detected() -> None:
    base = simhash64(WIRE)
    republished = [
        WIRE.replace("Tuesday", "Tuesday (AFP)"),
        "Putin lands in China. " + WIRE,
        WIRE + " Reporting by the Beijing bureau; editing by the world desk.",
        WIRE.upper(),
        WIRE.replace("  ", " ").replace(",", " ,"),
    ]
    for text in republished:
        assert is_near_duplicate(base, simhash64(text)), hamming(base, simhash64(text))


OTHER_STORIES = [
    "The European Union agreed on Thursday to extend economic sanctions against Iran for another year, citing "
    "the country's nuclear programme and its supply of drones to Russia, diplomats in Brussels said. The "
    "measures freeze the assets of dozens of officials and ban the export of components used in missiles. "
    "Tehran condemned the decision as illegal and summoned the ambassadors of France, Germany and Britain.",
    "Le ministre des Affaires étrangères a reçu mercredi son homologue brésilien au Quai d'Orsay pour "
    "préparer la visite d'État du président Lula prévue au printemps. Les deux hommes ont évoqué la "
    "coopération spatiale, la protection de l'Amazonie et la réforme du Conseil de sécurité des Nations unies.",
    "Argentina and Chile signed an agreement on Monday to build a new border crossing in the Andes and to "
    "share data on glaciers, the two foreign ministries said in a joint statement after talks in Santiago. "
    "The presidents of both countries are expected to inaugurate the project next year during a summit.",
    "Japan lodged a protest with China after a coast guard vessel entered waters near disputed islands in the "
    "East China Sea for the third time this month, the chief cabinet secretary told a news conference in Tokyo, "
    "urging Beijing to respect international law and to refrain from actions that raise tensions.",
]


def test_unrelated_texts_are_not_near_duplicates() -> None:
    hashes = [simhash64(WIRE)] + [simhash64(text) for text in OTHER_STORIES]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert hamming(a, b) > 10


def test_reordered_paragraphs_stay_close_but_new_text_does_not() -> None:
    rng = random.Random(42)
    sentences = WIRE.split(". ")
    rng.shuffle(sentences)
    assert hamming(simhash64(WIRE), simhash64(". ".join(sentences))) <= 10
    assert hamming(simhash64(WIRE), simhash64(WIRE[: len(WIRE) // 3] + OTHER_STORIES[0] * 3)) > 3


@pytest.mark.parametrize("max_distance", [0, 3, 10])
def test_threshold(max_distance: int) -> None:
    assert is_near_duplicate(0b1011, 0b0000, max_distance) is (max_distance >= 3)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_simhash_total_on_any_text(text: str) -> None:
    value = simhash64(text)
    assert -(2**63) <= value < 2**63
