"""The username and password rules, from a table of what people type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor import names, passwords


@pytest.mark.parametrize(
    "name",
    ["alice", "Alice_1", "ａｌｉｃｅ", "日本語ユーザー", "東京tokyo", "Ελληνικά", "Привет",
     "한국어kr", "e\u0301mile", "a.b-c_d", "42"],
)  # fmt: skip
def test_names_people_choose_are_taken(name: str) -> None:
    assert names.username_problem(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a", "2 to 32"),
        ("x" * 33, "2 to 32"),
        ("a b", "only letters"),
        ("a:b", "only letters"),
        ("ab\u200b", "show as nothing"),
        ("ab\x00", "only letters"),
        ("\u3164\u3164", "show as nothing"),
        ("\u115f\u1160", "show as nothing"),
        ("alice\u034f", "show as nothing"),
        ("alice\ufe0f", "show as nothing"),
        ("alice\u180b", "show as nothing"),
        ("alice\U000e0100", "show as nothing"),
        ("a\u17b4lice", "show as nothing"),
        ("p\u0430ypal", "mix letters"),  # a Cyrillic "а" among Latin letters
        ("αlpha", "mix letters"),
        ("a..b", "between"),
        ("-ab", "between"),
        ("ab-", "end with"),
        ("\u0301ab", "accent"),
        ("\ud800ab", "surrogate"),
        (17, "text"),
    ],
)
def test_names_that_are_refused_say_why(name: object, reason: str) -> None:
    problem = names.username_problem(name)
    assert problem is not None
    assert reason in problem


def test_names_compare_without_case_or_width() -> None:
    assert names.key("Alice") == names.key("ALICE") == names.key("ａｌｉｃｅ")
    assert names.key("Straße") == names.key("STRASSE")
    assert names.canonical("ａｌｉｃｅ") == "alice"


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_not_an_exception(text: str) -> None:
    problem = names.username_problem(text)
    assert problem is None or isinstance(problem, str)
    if problem is None:
        assert names.username_problem(names.canonical(text)) is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 10"),
        ("x" * 257, "at most 256"),
        ("aaaaaaaaaaaa", "repeated"),
        ("Password123", "attackers try"),
        ("qwertyuiop1", "attackers try"),
        ("alice_smith", "your username"),
        ("Alice_Smith42", "your username"),
        ("tab\there-and-long", "control"),
        (None, "text"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: object, reason: str) -> None:
    problem = passwords.password_problem(password, "alice_smith")
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "Tr0ub4dor&3x", "пароль-длинный", "🎲🃏🎰 lucky sevens"],
)
def test_good_passwords_pass(password: str) -> None:
    assert passwords.password_problem(password, "alice") is None


def test_hashes_are_argon2id_and_verify_after_normalisation() -> None:
    hasher = passwords.new_hasher(fast=True)
    stored = hasher.hash(passwords.normalized("pass\u00a0word-long"))
    assert stored.startswith("$argon2id$")
    assert passwords.verify(hasher, stored, "pass word-long")
    assert not passwords.verify(hasher, stored, "pass word-lonG")
    assert not passwords.verify(hasher, "not a hash", "pass word-long")
