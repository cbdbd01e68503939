"""Recognising the kind of a question from its words, for features that answer one kind of
question themselves ("når er neste møte?" is the agenda's, not a document search).

A feature names its words (`WordSet`); this module only matches them the way the rest of the
parser reads text: folded to ASCII, with one typo allowed in a longer word ("dagsordnen",
"statusrapprot") and, for words marked as compound heads, at the end of a Norwegian compound
("styremøtet" ends in "møtet"). No feature's words live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.text import FOLDED_STOPWORDS, fold, words

MIN_TYPO_LENGTH = 6  # shorter words are too easily another ("neste" is not "nesten")
MIN_COMPOUND_HEAD = 3  # "styre" + "møtet", never "re" + "mote"


def tokens(text: str) -> list[str]:
    """The message's words, folded ("Møtet" -> "motet"), with "what's" split as "what s"."""
    return [fold(w) for w in words(text)]


def one_edit_apart(a: str, b: str) -> bool:
    """Whether two words differ by one inserted, dropped, changed or swapped letter."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        swapped = len(diffs) == 2 and diffs[1] == diffs[0] + 1
        return swapped and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@dataclass(frozen=True)
class WordSet:
    """Folded words that say one thing ("a meeting"), and the compound heads among them."""

    words: frozenset[str]
    compound_ends: frozenset[str] = frozenset()  # may end a longer word ("styre|motet")

    @classmethod
    def of(cls, spaced: str, compound_ends: str = "") -> WordSet:
        return cls(frozenset(fold(w) for w in spaced.split()),
                   frozenset(fold(w) for w in compound_ends.split()))

    def matches(self, token: str) -> bool:
        return _matches(self, token)

    def head_of(self, token: str) -> str | None:
        """What precedes the compound end in `token` ("styre" for "styremotet"), if any."""
        for end in self.compound_ends:
            if token.endswith(end) and len(token) - len(end) >= MIN_COMPOUND_HEAD:
                return token[: -len(end)]
        return None

    def positions(self, found: Sequence[str]) -> list[int]:
        return [i for i, token in enumerate(found) if self.matches(token)]

    def any_in(self, found: Iterable[str]) -> bool:
        return any(self.matches(token) for token in found)


@lru_cache(maxsize=8192)
def _matches(word_set: WordSet, token: str) -> bool:
    if token in word_set.words or word_set.head_of(token) is not None:
        return True
    if len(token) < MIN_TYPO_LENGTH or token in FOLDED_STOPWORDS:
        return False
    return any(len(w) >= MIN_TYPO_LENGTH and one_edit_apart(token, w) for w in word_set.words)


def phrase_at(found: Sequence[str], phrase: tuple[str, ...]) -> int | None:
    """Where the folded words of `phrase` stand together in `found`, if they do."""
    size = len(phrase)
    for start in range(len(found) - size + 1):
        if tuple(found[start : start + size]) == phrase:
            return start
    return None


def any_phrase(found: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    return any(phrase_at(found, p) is not None for p in phrases)
