"""The bilingual field glossary (bot/data/glossary.yaml), pre-stemmed for phrase matching."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import snowballstemmer
import snowballstemmer.english_stemmer
import snowballstemmer.norwegian_stemmer

from bot.compiled_cache import cached, fingerprint
from bot.packaged import load_yaml

_WORD = re.compile(r"[0-9a-zæøåäöüéèáàóòâêîôûçß]+", re.IGNORECASE)


@dataclass(frozen=True)
class Glossary:
    words: dict[str, tuple[str, ...]]  # concept id -> every nb/en phrase
    phrase_stems: dict[str, tuple[tuple[str, ...], ...]]  # concept id -> phrases as stem tuples
    by_first_stem: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]  # first stem -> phrases


def fold(text: str) -> str:
    """Lower-case and fold to ASCII ('Tøndel' -> 'tondel', 'Åse' -> 'aase' is not attempted)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def _load(name: str = "glossary.yaml") -> Glossary:
    """The glossary, stemmed once per glossary and code version (cached between runs: stemming
    its ~1500 phrases took a fifth of every CLI call)."""
    sources = [resources.files("bot").joinpath(f"data/{name}").read_bytes()]
    sources += [path.read_bytes() for path in _derived_by()]
    stemmer = snowballstemmer.stemmer  # the C (PyStemmer) or the pure-Python stemmers
    sources.append(f"{stemmer.__module__}.{stemmer.__qualname__}".encode())
    words, phrase_stems, by_first = cached(
        f"glossary-{Path(name).stem}", fingerprint(sources), lambda: _compile(name)
    )
    return Glossary(words=words, phrase_stems=phrase_stems, by_first_stem=by_first)


def _derived_by() -> list[Path]:
    """The code a stemmed glossary comes from: this module (with `fold`) and the stemmers."""
    stemmers = (snowballstemmer.norwegian_stemmer, snowballstemmer.english_stemmer)
    return [Path(__file__), *(Path(m.__file__ or "") for m in stemmers)]


def _compile(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    raw = load_yaml(name)
    nb = snowballstemmer.stemmer("norwegian")
    en = snowballstemmer.stemmer("english")
    words: dict[str, tuple[str, ...]] = {}
    phrase_stems: dict[str, tuple[tuple[str, ...], ...]] = {}
    for concept, langs in raw.items():
        phrases = [str(p) for lang in ("nb", "en") for p in (langs.get(lang) or [])]
        words[concept] = tuple(phrases)
        stemmed: list[tuple[str, ...]] = []
        for lang, phrase_list in (("nb", langs.get("nb") or []), ("en", langs.get("en") or [])):
            stemmer = nb if lang == "nb" else en
            for phrase in phrase_list:
                tokens = _WORD.findall(str(phrase).lower())
                if tokens:
                    key = tuple(_stem(stemmer, t, fold) for t in tokens)
                    if key not in stemmed:
                        stemmed.append(key)
        phrase_stems[concept] = tuple(stemmed)
    index: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for concept, phrases_of in phrase_stems.items():
        for phrase in phrases_of:
            index.setdefault(phrase[0], []).append((concept, phrase))
    by_first = {k: tuple(v) for k, v in index.items()}
    return words, phrase_stems, by_first


def _stem(stemmer: Any, word: str, fold: Callable[[str], str]) -> str:
    """A glossary word's stem, unless the stemmer cuts so much that it would match unrelated words
    ('studielege' -> 'studi' would make every 'studie' mean investigator): then the word itself."""
    stem = stemmer.stemWord(word)
    return fold(stem if len(stem) >= len(word) - 3 else word)


class _LazyGlossary:
    """Loads on first use, so importing bot.text stays cheap and cycle-free."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._value: Glossary | None = None
        self._lock = threading.Lock()  # threads asking at once load it once

    def __getattr__(self, name: str) -> object:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = _load(self._name)
        return getattr(self._value, name)


GLOSSARY: Glossary = cast(Glossary, _LazyGlossary("glossary.yaml"))
# Subjects the bot declines (weather, salaries, IT support, ...), matched like glossary concepts.
OUT_OF_SCOPE: Glossary = cast(Glossary, _LazyGlossary("out_of_scope.yaml"))
