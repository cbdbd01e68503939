"""Whether a document hit is evidence enough to answer with it.

A word that only names a kind of document ("SOP", "mal", "template", "sjekkliste") matches most
of the catalogue, so it proves nothing about the topic: "prosedyre for hundepass" shares
"prosedyre" with every SOP. When a question names a kind of document and something more, the
document must also cover that something more (the topic), not just the kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.text import concept_term, fold
from storage.search import RELATED_CREDIT, Hit, QueryWord

# Glossary concepts that name a kind of document, not what it is about.
DOCUMENT_KIND_CONCEPTS = frozenset({"procedure", "template", "checklist", "guidance", "log"})
_KIND_TERMS = frozenset(concept_term(c) for c in DOCUMENT_KIND_CONCEPTS)
# Document nouns the glossary has no concept for.
_DOCUMENT_NOUNS = frozenset(
    {"dokument", "dokumentet", "dokumenter", "dokumentene", "document", "documents"}
)
# Evidence a document answer needs: the share of the question's weight (idf) the document covers.
# Below it the bot declines instead of guessing (calibrated on the dev and held-out sets).
MIN_DOCUMENT_COVERAGE = 0.2
MIN_COVERAGE_WITHOUT_CONCEPT = 0.65
# The share of the topic's weight (the question without its kind words) a document must cover
# when the question names a kind of document: some of it, since long questions carry many words
# no document has (calibrated on the five question sets).
MIN_TOPIC_SHARE = 0.1


def names_document_kind(word: QueryWord) -> bool:
    """'SOP', 'maler', '~template': the word says what kind of document, nothing more. A word
    that is also part of a topic phrase ('log' in 'delegation log') is topic."""
    if word.source.startswith("#"):
        return False
    if word.source.startswith("~"):
        return word.source[1:] in DOCUMENT_KIND_CONCEPTS
    if fold(word.source) in _DOCUMENT_NOUNS:
        return True
    return bool(word.related) and word.related <= _KIND_TERMS


def topic_share(hit: Hit, query: Sequence[QueryWord], weights: Mapping[str, float]) -> float | None:
    """The share of the topic's weight the hit covers; None when the question names no kind of
    document or has no other words (then the kind is all it asks about)."""
    kinds = [w for w in query if names_document_kind(w)]
    topic = [w for w in query if not names_document_kind(w)]
    if not kinds or not topic:
        return None
    total = sum(weights.get(w.source, 0.0) for w in topic)
    if total <= 0:
        return None
    matched, partly = set(hit.matched), set(hit.partly)
    covered = sum(
        weights.get(w.source, 0.0) * (1.0 if w.source in matched else RELATED_CREDIT)
        for w in topic
        if w.source in matched or w.source in partly
    )
    return covered / total


def enough_evidence(hit: Hit, query: Sequence[QueryWord], weights: Mapping[str, float]) -> bool:
    """A document answers when it shares a field concept (glossary) or a catalogue code with
    the question and covers a fair part of it, or when it covers nearly all of it; and, when the
    question names a kind of document, it covers the topic too. Questions outside the field
    share words with documents but no concept (calibrated on the dev and held-out sets: every
    out-of-scope question there lacks one)."""
    share = topic_share(hit, query, weights)
    if share is not None and share < MIN_TOPIC_SHARE:
        return False
    shared = any(
        word.startswith("#") or (word.startswith("~") and not word.startswith("~common_"))
        for word in hit.matched
    )
    if shared and hit.coverage >= MIN_DOCUMENT_COVERAGE:
        return True
    return hit.coverage >= MIN_COVERAGE_WITHOUT_CONCEPT
