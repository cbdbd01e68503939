"""Odd and hostile chat text never crashes the bot and always gets an answer."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.questions import _ROLE_PATTERNS, Vocabulary, parse_question
from bot.replies import Message, Person
from bot.roles import ROLES
from bot.router import clean_text
from bot.text import fold
from integrations.slack.render import render_blocks

HOSTILE = [
    "",
    "   ",
    "x" * 10_000,
    '"unterminated',
    "NEAR(sop protokoll) AND NOT * OR ^title:x",
    "sop* OR \"\" OR '' OR -- OR ()",
    "'; DROP TABLE people; --",
    "1 OR 1=1; SELECT * FROM documents",
    "🤖🧪💊 hvem leder 🔬 AP8 ❓",
    "```python\nimport os; os.system('rm -rf /')\n```",
    "<@U12345> <!channel> <!here> hvem leder AP3",
    "<https://evil.example|klikk her> SOP",
    "\x00\x01\x02 kontroll\x7f",
    "AP99 wp 0 arbeidspakke 100",
    "Ω≈ç√∫˜µ≤≥÷ åäö ÆØÅ",
    "%s %d {0} ${jndi:ldap://x}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_an_answer(bot, text):
    replies = bot.handle(Message(text=text, sender=Person("slack", "U1")))
    assert replies and all(r.text.strip() for r in replies)
    assert all(r.intent != "error" for r in replies)
    for reply in replies:
        render_blocks(reply)  # and renders as valid Block Kit


def test_mentions_are_not_echoed_as_mentions(bot):
    [reply] = bot.handle(
        Message(text="<!channel> <@U999> Ellen Johnsen", sender=Person("slack", "U1"))
    )
    blocks = str(render_blocks(reply))
    assert "<!channel>" not in blocks and "<@U999>" not in blocks


VOCABULARY = Vocabulary(
    {"ous": "OUS", "unn": "UNN", "st olavs": "STOLAV", "oslo": "OUS"},
    frozenset({"AP2", "AP8", "AP9", "JUS", "STYRET", "SEKR"}),
)


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_parser_never_raises(text):
    question = parse_question(text, VOCABULARY)
    assert question.language in ("nb", "en")
    assert set(question.group_ids) <= VOCABULARY.group_ids
    assert set(question.organisation_ids) <= {"OUS", "UNN", "STOLAV"}


ROLE_WORDS = sorted({fold(word) for role in ROLES.values() for word in role.words})


@given(
    st.lists(
        st.one_of(
            st.sampled_from([*ROLE_WORDS, *VOCABULARY.organisation_aliases]),
            st.sampled_from(["s", "en", "ene", "x", "0"]),
            st.text(max_size=4),
        ),
        max_size=6,
    ),
    st.sampled_from([" ", "-", "", "  "]),
)
@settings(max_examples=300, deadline=None)
def test_the_patterns_compiled_on_demand_match_as_the_whole_ones(parts, separator):
    """Role patterns are compiled when their needle occurs, the organisation alternation over
    the aliases that occur: both must find exactly what the full patterns find."""
    text = separator.join(parts)
    for role in _ROLE_PATTERNS:
        whole = re.compile(role.source)
        assert role.search(text) == bool(whole.search(text)), (role.source, text)
        assert role.fullmatch(text) == bool(whole.fullmatch(text)), (role.source, text)
    full = VOCABULARY.organisation_pattern()
    assert full is not None
    part = VOCABULARY.organisation_pattern(text)
    found = [m.group(1) for m in part.finditer(text)] if part is not None else []
    assert found == [m.group(1) for m in full.finditer(text)]


@given(
    st.integers(min_value=1, max_value=14),
    st.sampled_from(["AP", "ap ", "WP", "wp-", "arbeidspakke "]),
    st.text(alphabet=st.characters(categories=["L", "Zs"]), max_size=30),
)
@settings(max_examples=200, deadline=None)
def test_work_package_references_are_found_anywhere(number, prefix, noise):
    vocabulary = Vocabulary({}, frozenset(f"AP{n}" for n in range(1, 15)))
    question = parse_question(f"{noise} hvem leder {prefix}{number}?", vocabulary)
    assert f"AP{number}" in question.group_ids


@given(st.text(max_size=2000))
@settings(max_examples=200, deadline=None)
def test_clean_text_is_bounded_and_printable(text):
    cleaned = clean_text(text)
    assert len(cleaned) <= 4000
    # a multi-line answer keeps its line breaks (at most one blank line in a row), nothing else
    assert all(ch.isprintable() or ch == "\n" for ch in cleaned)
    assert "\n\n\n" not in cleaned and cleaned == cleaned.strip()


@given(st.text(max_size=200))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_gets_a_reply(bot, text):
    replies = bot.handle(Message(text=text, sender=Person("console", "t")))
    assert replies and replies[0].text
    assert replies[0].intent != "error"
