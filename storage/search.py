"""Full-text search over documents, groups and people, the same on SQLite (FTS5) and PostgreSQL.

The database finds candidates: every entry sharing at least one term with the question, through
FTS5 `MATCH` on SQLite and a `tsvector @@ tsquery` on PostgreSQL. Ranking then happens here, in
Python, from the stored terms and document frequencies, so both databases give the same order.
Queries are assembled from our own alphanumeric terms only: no user text reaches either engine.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import marshal
import math
import re
import threading
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from bot.glossary import GLOSSARY
from bot.text import (
    MAX_WORD,
    STOPWORDS,
    code_term,
    concept_spans,
    concept_term,
    concepts,
    document_codes,
    fold,
    stems,
    terms,
    too_long,
    words,
)
from storage.models import Document, Group, Meta, Person, SearchEntry
from storage.session_cache import read_cache


def _glossary_fingerprint() -> str:
    """Short hash of the glossary: editing it changes the index terms, so it forces a rebuild."""
    data = resources.files("bot").joinpath("data/glossary.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


# Bump when the way terms are computed changes: `Database.prepare` then rebuilds the index
# (a glossary edit does so by itself through its fingerprint).
INDEX_FORMAT = "10-" + _glossary_fingerprint()
SNAPSHOT_KEY = "index_snapshot"  # meta row holding the packed snapshot of the current version
SNAPSHOT_FORMAT = 1  # bump when the packed layout changes
_SAFE_TERM = re.compile(r"^[a-z0-9]{1,60}$")
RELATED_CREDIT = 0.6  # a word matched only through its glossary concept
COMMON_TERM_SHARE = 0.08  # a term in more of the index than this does not choose candidates
MIN_CANDIDATES = 60  # ... unless the rarer terms find fewer entries than this
KIND_WORDS = {
    "sop": "SOP prosedyre procedure",
    "template": "mal template",
    "checklist": "sjekkliste checklist",
    "guidance": "veiledning guidance",
    "attachment": "vedlegg attachment",
    "other": "",
}


@dataclass(frozen=True)
class QueryWord:
    """One word (or concept) of a question and the index terms that count as a match for it."""

    source: str
    alternatives: frozenset[str]
    weight: float = 1.0
    related: frozenset[str] = frozenset()  # concepts the word is part of: a weaker match


@dataclass(frozen=True)
class Hit:
    kind: str
    ref_id: str
    score: float
    title_coverage: float  # share of the question's weight found in the title/name
    coverage: float  # share of the question's weight found anywhere
    matched: tuple[str, ...] = ()  # the query words found (sources; "~concept", "#code")
    partly: tuple[str, ...] = ()  # words found only through their glossary concept


@dataclass
class _Entry:
    kind: str
    ref_id: str
    title: frozenset[str]
    body: frozenset[str]


class _Snapshot:
    """Terms and frequencies of the whole index, reloaded when the index version changes.

    `rebuild_index` also stores it packed (marshal, zlib, base64) in `meta`, written in the same
    transaction as the version it belongs to: a new process loads that one row instead of
    re-deriving everything from every entry, and an import (a rebuild) replaces it."""

    def __init__(
        self,
        version: str,
        entries: list[_Entry],
        df: dict[str, int],
        vocabulary: list[str],
        content_terms: frozenset[str],
    ) -> None:
        self.version = version
        self.entries = {(e.kind, e.ref_id): e for e in entries}
        self.df = df
        self.n = max(len(entries), 1)
        self.vocabulary = vocabulary
        # Terms of documents and groups only: a name-like word outside them is a person's name.
        self.content_terms = content_terms
        self.vocabulary_set = frozenset(vocabulary)
        # Compound parts may also be glossary words ('avviks' + 'skjema').
        self.split_vocabulary = self.vocabulary_set | _glossary_stems()

    @classmethod
    def build(cls, entries: list[_Entry], version: str) -> _Snapshot:
        df: Counter[str] = Counter()
        for entry in entries:
            df.update(entry.title | entry.body)
        vocabulary = sorted(t for t in df if not t.startswith("zz"))
        content = frozenset(t for e in entries if e.kind != "person" for t in e.title | e.body)
        return cls(version, entries, dict(df), vocabulary, content)

    def pack(self) -> str:
        rows = [(e.kind, e.ref_id, e.title, e.body) for e in self.entries.values()]
        data = (SNAPSHOT_FORMAT, self.version, rows, self.df, self.vocabulary, self.content_terms)
        return base64.b64encode(zlib.compress(marshal.dumps(data), 1)).decode("ascii")

    @classmethod
    def unpack(cls, packed: str, version: str) -> _Snapshot | None:
        """The stored snapshot if it is this version's (and readable by this Python)."""
        try:
            data = marshal.loads(zlib.decompress(base64.b64decode(packed)))
            form, stored_version, rows, df, vocabulary, content = data
        except (ValueError, EOFError, TypeError, zlib.error, binascii.Error):
            return None
        if form != SNAPSHOT_FORMAT or stored_version != version:
            return None
        return cls(version, [_Entry(*row) for row in rows], df, vocabulary, content)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))


def _document_texts(doc: Document) -> tuple[str, str]:
    title = " ".join(filter(None, [doc.id, doc.title_no, doc.title_en]))
    body = " ".join(
        filter(
            None,
            [
                doc.summary,
                " ".join(doc.keywords or []),
                KIND_WORDS.get(doc.kind, ""),
                doc.area,
                (doc.body or "")[:20000],
            ],
        )
    )
    return title, body


def _group_texts(group: Group) -> tuple[str, str]:
    number = re.sub(r"\D", "", group.id)
    aliases = f"ap{number} wp{number} arbeidspakke{number}" if group.kind == "work_package" else ""
    title = " ".join(filter(None, [group.id, group.short, group.name_nb, group.name_en, aliases]))
    body = " ".join(
        [
            *(group.topics_nb or []),
            *(group.topics_en or []),
            group.purpose_nb or "",
            group.purpose_en or "",
        ]
    )
    return title, body


def _person_texts(person: Person) -> tuple[str, str]:
    return " ".join([person.name, *(person.aliases or [])]), ""


def _split_compound(
    word: str, vocabulary: frozenset[str], *, known_too: bool = False
) -> list[str] | None:
    """Split a Norwegian compound ('destruksjonslogg') into parts the index knows. A question's
    known word stays whole; an indexed word is split too (`known_too`), so its parts match."""
    if len(word) < 8 or too_long(word) or (not known_too and set(stems(word)) & vocabulary):
        return None  # a very long "word" would cost len² stemmings for nothing
    best: tuple[int, list[str]] | None = None
    for i in range(4, len(word) - 2):
        left, right = word[:i], word[i:]
        for head in {left, left[:-1] if left.endswith(("s", "e")) and len(left) > 4 else left}:
            if set(stems(head)) & vocabulary and set(stems(right)) & vocabulary:
                quality = min(len(head), len(right))
                if best is None or quality > best[0]:
                    best = (quality, [head, right])
    return best[1] if best else None


def _glossary_stems() -> frozenset[str]:
    phrases = GLOSSARY.phrase_stems.values()
    return frozenset(stem for group in phrases for phrase in group for stem in phrase)


def _expanded_words(
    text_value: str, vocabulary: frozenset[str], spelled: Sequence[str] = ()
) -> list[str]:
    """Words with compounds split; a long word the index lacks that is a near-miss of one it
    has ('delegerigslogg') is taken as that word rather than split into wrong parts."""
    out: list[str] = []
    for word in words(text_value):
        if spelled and len(word) >= 9 and not set(stems(word)) & vocabulary:
            from rapidfuzz import fuzz, process  # lazy: heavy dependency, for unknown words only

            close = process.extractOne(fold(word), spelled, scorer=fuzz.ratio, score_cutoff=88)
            if close:
                out.append(close[0])
                continue
        parts = _split_compound(word, vocabulary) if vocabulary else None
        out.extend(parts or [word])
    return out


def _terms_with_compounds(
    text_value: str, vocabulary: frozenset[str]
) -> tuple[list[str], list[str]]:
    """(terms, compound-part terms) of a text: 'destruksjonslogg' also yields 'destruksjon'
    and 'logg', so a question's separate words find the compound."""
    base = terms(text_value)
    expanded: list[str] = []
    for word in words(text_value):
        expanded.extend(_split_compound(word, vocabulary, known_too=True) or [word])
    seen = set(base)
    concept_terms = [concept_term(c) for c in concepts(expanded)]
    base += [t for t in concept_terms if not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]
    parts = [s for w in expanded if w not in STOPWORDS for s in stems(w)]
    return base, [t for t in parts if not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]


def rebuild_index(session: Session) -> int:
    """Recompute every search entry from the directory and catalogue; returns the entry count."""
    raw: list[tuple[str, str, str, str]] = []
    for doc in session.scalars(select(Document)):
        raw.append(("document", doc.id, *_document_texts(doc)))
    for group in session.scalars(select(Group)):
        raw.append(("group", group.id, *_group_texts(group)))
    for person in session.scalars(select(Person)):
        raw.append(("person", person.id, *_person_texts(person)))
    vocabulary = _glossary_stems() | frozenset(
        s for _, _, title, body in raw for w in words(title + " " + body) for s in stems(w)
    )
    session.execute(delete(SearchEntry))
    session.flush()
    entries: list[_Entry] = []
    for kind, ref_id, title, body in raw:
        body_terms, body_parts = _terms_with_compounds(body, vocabulary)
        if kind == "person":
            # Names are only names: no glossary concepts ("Sara" is not a SAR) and no splitting.
            title_terms = list(dict.fromkeys(s for w in words(title) for s in stems(w)))
            title_parts: list[str] = []
        else:
            title_terms, title_parts = _terms_with_compounds(title, vocabulary)
        entry = SearchEntry(
            kind=kind,
            ref_id=ref_id,
            title_terms=" ".join(title_terms + title_parts),
            body_terms=" ".join(body_terms + body_parts),
        )
        session.add(entry)
        entries.append(_entry(entry))
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
    session.merge(Meta(key="index_format", value=INDEX_FORMAT))
    version = session.get(Meta, "index_version")
    new_version = "1" if version is None else str(int(version.value) + 1)
    session.merge(Meta(key="index_version", value=new_version))
    session.merge(Meta(key=SNAPSHOT_KEY, value=_Snapshot.build(entries, new_version).pack()))
    session.flush()
    return len(raw)


def _entry(row: SearchEntry) -> _Entry:
    return _Entry(
        row.kind, row.ref_id, frozenset(row.title_terms.split()), frozenset(row.body_terms.split())
    )


def index_version(session: Session) -> str:
    """The index's version, read once per session (one unit of work): a question asks for it
    several times, and each read would be a round trip on PostgreSQL."""
    cache = read_cache(session)
    if "index_version" not in cache:
        cache["index_version"] = session.scalar(select(index_version_column())) or "0"
    return str(cache["index_version"])


def index_version_column() -> ScalarSelect[str]:
    """The version as a column another query can carry (the open-form check does), so a message's
    first round trip also brings it; hand the value to `remember_index_version`."""
    return select(Meta.value).where(Meta.key == "index_version").scalar_subquery()


def remember_index_version(session: Session, value: str | None) -> None:
    read_cache(session)["index_version"] = value or "0"


class SearchIndex:
    """Query side of the index; one per process, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def _current(self, session: Session) -> _Snapshot:
        version = index_version(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                packed = session.scalar(select(Meta.value).where(Meta.key == SNAPSHOT_KEY))
                found = _Snapshot.unpack(packed, version) if packed else None
                if found is None:  # an index built before snapshots were stored
                    entries = [_entry(row) for row in session.scalars(select(SearchEntry))]
                    found = _Snapshot.build(entries, version)
                self._snapshot = found
            return self._snapshot

    def query_words(self, session: Session, question: str) -> list[QueryWord]:
        """The question as weighted query words, with compound splits and typo corrections;
        each glossary concept it mentions is one more word, so the languages meet."""
        snapshot = self._current(session)
        vocabulary = snapshot.vocabulary_set
        result: list[QueryWord] = []
        expanded = _expanded_words(question, snapshot.split_vocabulary, snapshot.vocabulary)
        # A lone letter ('æ' folds to the abbreviation 'ae') says nothing.
        expanded = [w for w in expanded if len(w) >= 2 or w.isdigit()]
        # A word inside a glossary phrase also matches the phrase's concept ('endre' is covered
        # by a document about amendments), so everyday words are not counted as unmatched.
        in_concept: dict[int, set[str]] = {}
        for start, end, concept in concept_spans(expanded):
            for position in range(start, end):
                in_concept.setdefault(position, set()).add(concept_term(concept))
        for position, word in enumerate(expanded):
            if word in STOPWORDS:
                continue
            alternatives = set(stems(word))
            weight = 1.0
            if (not alternatives & vocabulary and 4 <= len(word) <= MAX_WORD
                    and not word.isdigit()):
                # lazy: heavy dependency, only for a word the index lacks (not on every start)
                from rapidfuzz import fuzz, process

                close = process.extract(
                    fold(word), snapshot.vocabulary, scorer=fuzz.ratio, limit=2, score_cutoff=80
                )
                if close:
                    alternatives |= {match for match, _score, _ in close}
                    weight = 0.8
            related = frozenset(in_concept.get(position, set()))
            result.append(QueryWord(word, frozenset(alternatives), weight, related))
        for concept in sorted(concepts(expanded)):
            result.append(QueryWord("~" + concept, frozenset({concept_term(concept)}), 0.9))
        result += [self.code_word(code) for code in document_codes(question)]
        return result

    def known_outside_people(self, session: Session, word: str) -> bool:
        """Whether a word occurs in some document or group (not only in people's names)."""
        return bool(set(stems(word)) & self._current(session).content_terms)

    @staticmethod
    def code_word(code: str) -> QueryWord:
        """A catalogue code in a question weighs more than any ordinary word."""
        return QueryWord("#" + code, frozenset({code_term(code)}), 2.0)

    def search(
        self,
        session: Session,
        query: Sequence[QueryWord],
        *,
        kinds: Iterable[str] | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        snapshot = self._current(session)
        all_terms = sorted(
            {t for w in query for t in w.alternatives | w.related if _SAFE_TERM.match(t)}
        )
        if not all_terms:
            return []
        wanted = set(kinds) if kinds else None
        # Terms in a large share of the index (a concept like 'procedure' in every SOP) make
        # nearly everything a candidate for little evidence: in a large index the rarer terms
        # choose the candidates; when they find only a few, every term does.
        rare = [t for t in all_terms if snapshot.df.get(t, 0) <= snapshot.n * COMMON_TERM_SHARE]
        keys = self._candidates(session, rare) if rare and rare != all_terms else []
        if len(keys) < MIN_CANDIDATES:
            keys = self._candidates(session, all_terms)
        weighted = [(word, self._weight(snapshot, word)) for word in query]
        total = sum(weight for _, weight in weighted) or 1.0
        asked = {t for w in query for t in w.alternatives}
        hits: list[Hit] = []
        for key in keys:
            entry = snapshot.entries.get(key)
            if entry is None or (wanted and entry.kind not in wanted):
                continue
            score = title_weight = any_weight = 0.0
            matched: list[str] = []
            partly: list[str] = []
            for word, weight in weighted:
                if word.alternatives & entry.title:
                    score += 2.0 * weight
                    title_weight += weight
                    any_weight += weight
                    matched.append(word.source)
                elif word.alternatives & entry.body:
                    score += weight
                    any_weight += weight
                    matched.append(word.source)
                elif word.related and (word.related & entry.title or word.related & entry.body):
                    # Only through a glossary concept ('endre' ~ amendment): covers the word,
                    # but less than the word itself.
                    score += RELATED_CREDIT * weight
                    any_weight += RELATED_CREDIT * weight
                    partly.append(word.source)
            if score <= 0:
                continue
            coverage = any_weight / total
            title_coverage = title_weight / total
            # Favour entries that answer the whole question, and short titles that are mostly it.
            precision = len(asked & entry.title) / max(len(entry.title), 1)
            final = score * (0.35 + 0.65 * coverage) * (1 + 0.3 * precision)
            hits.append(
                Hit(
                    entry.kind,
                    entry.ref_id,
                    final,
                    title_coverage,
                    coverage,
                    tuple(matched),
                    tuple(partly),
                )
            )
        hits.sort(key=lambda h: (-h.score, h.kind, h.ref_id))
        return hits[:limit]

    def weights(self, session: Session, query: Sequence[QueryWord]) -> dict[str, float]:
        """Each query word's weight in coverage (by source), so a caller can ask how much of a
        part of the question (its topic, say) an entry covers."""
        snapshot = self._current(session)
        return {word.source: self._weight(snapshot, word) for word in query}

    @staticmethod
    def _weight(snapshot: _Snapshot, word: QueryWord) -> float:
        """The word's rarity among the stems the index knows; a word the index does not know at
        all weighs most, so a question full of unknown words is covered poorly by any entry."""
        known = [snapshot.idf(t) for t in word.alternatives | word.related if t in snapshot.df]
        idf = max(known) if known else snapshot.idf("")
        return idf * word.weight

    @staticmethod
    def _candidates(session: Session, all_terms: list[str]) -> list[tuple[str, str]]:
        if session.get_bind().dialect.name == "sqlite":
            match = " OR ".join(f'"{t}"' for t in all_terms)
            rows = session.execute(
                text(
                    "SELECT e.kind, e.ref_id FROM search_fts "
                    "JOIN search_entries e ON e.rowid = search_fts.rowid "
                    "WHERE search_fts MATCH :match"
                ),
                {"match": match},
            )
        else:
            # The stored tsvector (migration 0007): nothing is computed per row per question.
            rows = session.execute(
                text(
                    "SELECT kind, ref_id FROM search_entries WHERE "
                    "search_vector @@ to_tsquery('simple', :query)"
                ),
                {"query": " | ".join(all_terms)},
            )
        return [(kind, ref_id) for kind, ref_id in rows]
