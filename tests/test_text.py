from __future__ import annotations

import pytest

from storyline.text import (
    content_terms,
    guess_language,
    name_terms,
    normalise,
    short_hash,
    text_hash,
    words,
)


def test_text_normalise_folds_compatibility_characters_quotes_and_spaces() -> None:
    assert normalise("  \ufb01ne  \u201cquoted\u201d\n\t\u2018x\u2019  ") == "fine \"quoted\" 'x'"


def test_text_normalise_is_idempotent() -> None:
    once = normalise("A  \u201cmessy\u201d\r\n text\u00a0here ")
    assert normalise(once) == once


@pytest.mark.parametrize(
    "variant",
    [
        "The mayor said: \u201cWe will rebuild.\u201d It\u2019s done.",
        '  The mayor said:   "We will rebuild."\n\nIt\'s done.  ',
        'THE MAYOR SAID: "WE WILL REBUILD." IT\'S DONE.',
        'The\tmayor said:\n"We will rebuild." It\'s\u00a0done.',
    ],
)
def test_text_hash_ignores_case_spacing_and_quote_style(variant: str) -> None:
    assert text_hash(variant) == text_hash('The mayor said: "We will rebuild." It\'s done.')


def test_text_hash_differs_for_different_words() -> None:
    assert text_hash("The mayor said yes.") != text_hash("The mayor said no.")


def test_text_short_hash_is_stable_hex_of_requested_length() -> None:
    value = short_hash("url:https://example.com/a", 15)
    assert len(value) == 15
    assert int(value, 16) >= 0
    assert value == short_hash("url:https://example.com/a", 15)
    assert short_hash("x") != short_hash("y")


def test_text_words_keeps_apostrophes_and_accents_and_splits_underscores() -> None:
    assert words("Don\u2019t stop: Z\u00fcrich\u2019s caf\u00e9_bar 3rd") == [
        "Don\u2019t",
        "stop",
        "Z\u00fcrich\u2019s",
        "caf\u00e9",
        "bar",
        "3rd",
    ]


def test_text_content_terms_drop_stopwords_numbers_and_short_words() -> None:
    terms = content_terms("The mayor and the council met in 2024 at city hall to vote on it")
    assert terms == ["mayor", "council", "met", "city", "hall", "vote"]


def test_text_content_terms_fold_possessives_and_plurals() -> None:
    terms = content_terms("The bridges' cities were Teigen\u2019s business analysis")
    assert terms == ["bridge", "city", "teigen", "business", "analysis"]


def test_text_content_terms_use_the_language_stopwords() -> None:
    german = content_terms("Die Stadt und der Hafen", language="de")
    assert german == ["stadt", "hafen"]
    # an unknown language falls back to English stopwords
    assert content_terms("the harbour", language="xx") == ["harbour"]


def test_text_name_terms_are_capitalised_words_inside_sentences() -> None:
    text = "Chrissy Teigen said. The mayor Helen Okafor visited Port Alden on Monday."
    assert name_terms(text) == ["teigen", "helen", "okafor", "port", "alden", "monday"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "The mayor opened the new bridge on Monday and said that the city would be "
            "proud of it for many years to come.",
            "en",
        ),
        (
            "Der B\u00fcrgermeister hat am Montag die neue Br\u00fccke er\u00f6ffnet, und "
            "die Stadt ist nicht mehr mit dem Auto zu erreichen, sagte er.",
            "de",
        ),
        (
            "Le maire a inaugur\u00e9 le nouveau pont dans la ville et les habitants sont "
            "venus pour la f\u00eate avec un grand sourire sur le visage.",
            "fr",
        ),
        (
            "El alcalde inaugur\u00f3 el nuevo puente de la ciudad y los vecinos acudieron "
            "a la fiesta con una gran sonrisa en la cara.",
            "es",
        ),
    ],
)
def test_text_guess_language_recognises_function_words(text: str, language: str) -> None:
    assert guess_language(text) == language


@pytest.mark.parametrize("text", ["", "Too short", "Xylophone zebra quokka jaguar walrus lynx"])
def test_text_guess_language_is_none_without_evidence(text: str) -> None:
    assert guess_language(text) is None
