"""Text handling shared by the question parser and the search index: the two must agree exactly.

Both sides turn text into *terms*: lower-cased word stems in Norwegian and English (Snowball),
folded to ASCII so "Tøndel" and "Tondel" meet, plus glossary concept ids (`zzcconsent`) so a
Norwegian question finds an English title. Nothing here touches a database: the index stores terms
and the query is built from terms, so user text can never reach a search engine as syntax.

Cost stays linear in the input: words longer than `MAX_WORD` are never split as compounds or
typo-corrected (both are quadratic or worse in the word's length), and the Snowball stemmers, which
keep state while they work, exist once per thread.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from bot.glossary import GLOSSARY, OUT_OF_SCOPE, Glossary, fold

_WORD = re.compile(r"[0-9a-zæøåäöüéèáàóòâêîôûçß]+", re.IGNORECASE)
_CODE = re.compile(
    r"\b(lm|mu|ai|ct|sop|wi|dm)[\s\-]*((?:\d+)(?:\.\d+)*(?:\.[a-z]\b)?)", re.IGNORECASE
)

STOPWORDS_NB = frozenset(
    [
        "og",
        "i",
        "jeg",
        "det",
        "at",
        "en",
        "et",
        "ene",  # "SOP-ene": the definite plural ending, split off at the hyphen
        "den",
        "til",
        "er",
        "som",
        "på",
        "de",
        "med",
        "han",
        "av",
        "ikke",
        "der",
        "så",
        "var",
        "meg",
        "seg",
        "men",
        "ett",
        "har",
        "om",
        "vi",
        "min",
        "mitt",
        "ha",
        "hadde",
        "hun",
        "nå",
        "over",
        "da",
        "ved",
        "fra",
        "du",
        "ut",
        "sin",
        "dem",
        "oss",
        "opp",
        "man",
        "kan",
        "hans",
        "hvor",
        "eller",
        "hva",
        "skal",
        "selv",
        "sjøl",
        "her",
        "alle",
        "vil",
        "bli",
        "ble",
        "blitt",
        "kunne",
        "inn",
        "når",
        "være",
        "kom",
        "noen",
        "noe",
        "ville",
        "dere",
        "deres",
        "kun",
        "ja",
        "etter",
        "ned",
        "skulle",
        "denne",
        "for",
        "deg",
        "si",
        "sine",
        "sitt",
        "mot",
        "å",
        "meget",
        "hvorfor",
        "dette",
        "disse",
        "uten",
        "hvordan",
        "ingen",
        "din",
        "ditt",
        "blir",
        "samme",
        "hvilken",
        "hvilke",
        "sånn",
        "inni",
        "mellom",
        "vår",
        "hver",
        "hvem",
        "vors",
        "hvis",
        "både",
        "bare",
        "enn",
        "fordi",
        "før",
        "mange",
        "også",
        "slik",
        "vært",
        "båe",
        "begge",
        "siden",
        "dykk",
        "dykkar",
        "dei",
        "deira",
        "deires",
        "deim",
        "di",
        "då",
        "eg",
        "ein",
        "eit",
        "eitt",
        "elles",
        "honom",
        "hjå",
        "ho",
        "hoe",
        "henne",
        "hennar",
        "hennes",
        "hoss",
        "hossen",
        "ingi",
        "inkje",
        "korleis",
        "korso",
        "kva",
        "kvar",
        "kvarhelst",
        "kven",
        "kvi",
        "kvifor",
        "me",
        "medan",
        "mi",
        "mine",
        "mykje",
        "no",
        "nokon",
        "noka",
        "nokor",
        "noko",
        "nokre",
        "sia",
        "sidan",
        "so",
        "somt",
        "somme",
        "um",
        "upp",
        "vere",
        "vore",
        "verte",
        "vort",
        "varte",
        "vart",
        "finnes",
        "finner",
        "finne",
        "trenger",
        "trenge",
        "hei",
        "takk",
        "gjerne",
        "please",
        "norcrin",
        "hvilket",
        "hvert",
        "spørsmål",
        "svare",
        "spørre",
        "spør",
        "jobber",
        "jobbe",
        "tror",
        "gjør",
        "gjøre",
        "får",
        "fikk",
        "må",
        "bør",
        "vårt",
        "våre",
        "mine",
    ]
)
STOPWORDS_EN = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "where",
        "when",
        "why",
        "how",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "any",
        "some",
        "all",
        "each",
        "every",
        "both",
        "few",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "just",
        "into",
        "out",
        "up",
        "down",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "also",
        "please",
        "hi",
        "hello",
        "thanks",
        "find",
        "get",
        "need",
        "looking",
        "tell",
        "show",
        "give",
        "want",
        "know",
        "anyone",
        "someone",
        "if",
        "while",
        "through",
        "much",
        "many",
        "like",
        "going",
        "e",
        "g",
        "t",
        "s",
        "us",
        "ask",
        "whether",
        "take",
        "get",
        "got",
        "came",
        "come",
        "everyone",
        "everybody",
        "anything",
        "something",
        "think",
        "one",
        "im",
        "ive",
    ]
)
STOPWORDS = STOPWORDS_NB | STOPWORDS_EN
# The same, folded as tokens are matched ("når" -> "nar", "på" -> "pa").
FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)

# Words that tell the language of a question even when it is short.
_NB_HINTS = frozenset(
    [
        "hvem",
        "hva",
        "hvor",
        "hvordan",
        "hvilken",
        "hvilke",
        "er",
        "og",
        "i",
        "på",
        "til",
        "med",
        "som",
        "leder",
        "leier",
        "nestleder",
        "medlem",
        "medlemmer",
        "mal",
        "maler",
        "skjema",
        "sjekkliste",
        "logg",
        "for",
        "av",
        "om",
        "jeg",
        "vi",
        "kontakt",
        "kontaktperson",
        "arbeidspakke",
        "arbeidspakken",
        "prosedyre",
        "prosedyrer",
        "gruppen",
        "gruppa",
        "sekretariatet",
        "styret",
        "styreleder",
        "hjelp",
        "finn",
        "finnes",
        "trenger",
        "ansvarlig",
        "sitter",
        "jobber",
        "kven",
        "kva",
        "kor",
        "korleis",
        "eg",
    ]
)
_EN_HINTS = frozenset(
    [
        "who",
        "what",
        "where",
        "which",
        "how",
        "is",
        "are",
        "the",
        "of",
        "for",
        "in",
        "on",
        "to",
        "leads",
        "lead",
        "leader",
        "head",
        "deputy",
        "member",
        "members",
        "template",
        "templates",
        "form",
        "checklist",
        "log",
        "procedure",
        "procedures",
        "group",
        "work",
        "package",
        "contact",
        "find",
        "need",
        "does",
        "do",
        "responsible",
        "sits",
        "works",
        "board",
        "secretariat",
        "help",
        "report",
        "about",
    ]
)

MAX_WORD = 40  # the longest real compounds ("spesialisthelsetjenesteloven") are under 30
_local = threading.local()


def stemmers() -> tuple[object, ...]:
    """This thread's Norwegian and English stemmers: a Snowball stemmer is not thread-safe (it
    keeps the word being stemmed in its own fields), so threads never share one."""
    pair: tuple[object, ...] | None = getattr(_local, "stemmers", None)
    if pair is None:
        pair = (snowballstemmer.stemmer("norwegian"), snowballstemmer.stemmer("english"))
        _local.stemmers = pair
    return pair


def too_long(word: str) -> bool:
    """A word too long to be worth compound splitting or typo correction (nobody's name or term)."""
    return len(word) > MAX_WORD


def words(text: str) -> list[str]:
    """Lower-case word tokens, Norwegian letters kept (the stemmers need them)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return _WORD.findall(text)


def document_codes(text: str) -> list[str]:
    """Catalogue codes mentioned in the text, normalised ('lm 2.11', 'sop 1.12.a')."""
    return [f"{m.group(1).lower()} {m.group(2).lower()}" for m in _CODE.finditer(text)]


@lru_cache(maxsize=65536)
def stems(word: str) -> tuple[str, ...]:
    """The Norwegian and English stems of one word, ASCII-folded and de-duplicated."""
    out: list[str] = []
    for stemmer in stemmers():
        stem = fold(stemmer.stemWord(word))  # type: ignore[attr-defined]
        if stem and stem not in out:
            out.append(stem)
    folded = fold(word)
    if folded not in out and len(folded) <= 3:
        out.append(folded)
    return tuple(out)


@lru_cache(maxsize=65536)
def _stems_and_fold(word: str) -> frozenset[str]:
    """A word's stems and the folded word itself (a glossary word the stemmer over-cuts is kept
    whole): what a glossary phrase's stem matches against."""
    return frozenset(stems(word)) | {fold(word)}


def primary_stem(word: str) -> str:
    return stems(word)[0]


def detect_language(text: str, default: str = "nb") -> str:
    """Guess bokmål or English from the words used; fall back to `default` when unsure."""
    tokens = words(text)
    if not tokens:
        return default
    nb = sum(1 for t in tokens if t in _NB_HINTS or (t in STOPWORDS_NB and t not in STOPWORDS_EN))
    en = sum(1 for t in tokens if t in _EN_HINTS or (t in STOPWORDS_EN and t not in STOPWORDS_NB))
    if any(ch in text.lower() for ch in "æøå"):
        nb += 1
    if nb == en:
        return default
    return "nb" if nb > en else "en"


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


_NEGATIONS = frozenset({"non", "not", "ikke", "uten", "without", "ikkje"})


def concept_spans(
    tokens: Iterable[str], glossary: Glossary | None = None
) -> list[tuple[int, int, str]]:
    """Where glossary phrases occur: (first token, one past the last, concept id)."""
    tokens = list(tokens)
    all_stems = [_stems_and_fold(t) for t in tokens]
    by_first = (glossary or GLOSSARY).by_first_stem
    spans: list[tuple[int, int, str]] = []
    for i, here in enumerate(all_stems):
        if i > 0 and tokens[i - 1].lower() in _NEGATIONS:
            continue  # "CV for non-investigators" is not about investigators
        for stem in here:
            for concept_id, phrase in by_first.get(stem, ()):
                end = i + len(phrase)
                if end > len(all_stems) or (i, end, concept_id) in spans:
                    continue
                if all(phrase[j] in all_stems[i + j] for j in range(1, len(phrase))):
                    spans.append((i, end, concept_id))
    return spans


@lru_cache(maxsize=1)
def _off_topic_phrases() -> dict[str, tuple[tuple[str, ...], ...]]:
    return {
        concept: tuple(tuple(fold(w) for w in words(p)) for p in phrases)
        for concept, phrases in OUT_OF_SCOPE.words.items()
    }


def off_topic(text: str) -> set[str]:
    """Subjects of out_of_scope.yaml the text is about ('salary', 'weather', 'it_support').
    Matched on whole words, not stems: a stem would join 'vits' (a joke) and 'vite' (to know)."""
    tokens = [fold(w) for w in words(text)]
    found: set[str] = set()
    for concept, phrases in _off_topic_phrases().items():
        for phrase in phrases:
            n = len(phrase)
            if n and any(tuple(tokens[i : i + n]) == phrase for i in range(len(tokens) - n + 1)):
                found.add(concept)
                break
    return found


def concepts(tokens: Iterable[str]) -> set[str]:
    """Glossary concept ids whose phrases occur in the token sequence (matched on stems)."""
    return {concept_id for _, _, concept_id in concept_spans(tokens)}


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Index/query terms for a text: stems of content words, codes and glossary concepts."""
    tokens = words(text) if keep_stopwords else content_words(text)
    out: list[str] = []
    seen: set[str] = set()

    def add(term: str) -> None:
        if term and term not in seen:
            seen.add(term)
            out.append(term)

    for token in tokens:
        for stem in stems(token):
            add(stem)
    for concept in sorted(concepts(words(text))):
        add(concept_term(concept))
    for code in document_codes(text):
        add(code_term(code))
    return out


def concept_term(concept_id: str) -> str:
    """A glossary concept as an index term: only letters and digits, so every tokenizer keeps it."""
    return "zzc" + re.sub(r"[^a-z0-9]", "", concept_id.lower())


def code_term(code: str) -> str:
    """A catalogue code ('lm 2.11') as one alphanumeric index term ('zzdlm2x11')."""
    return "zzd" + re.sub(r"[^a-z0-9]", "x", fold(code).replace(" ", ""))
