"""Understanding a question: intent cues and entities, before any search is run.

Pure functions over the text and a `Vocabulary` of the directory's names, so they can be tested
exhaustively (property-based tests feed them arbitrary text). Whatever is recognised here as a
role, organisation or group reference is cut out of the text that goes on to full-text search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.roles import ROLES
from bot.text import concepts, detect_language, fold, words

_WHO = frozenset(
    {
        "hvem",
        "who",
        "whom",
        "kven",
        "whos",
        "hvem's",
        "contact",
        "kontakt",
        "kontaktperson",
        "person",
        "personer",
        "people",
        "navn",
        "name",
        "names",
    }
)
_DOC_CONCEPTS = frozenset({"template", "checklist", "log", "procedure", "guidance"})
_DOC_WORDS = frozenset(
    {
        "sop",
        "sops",
        "dokument",
        "document",
        "documents",
        "dokumenter",
        "skjema",
        "form",
        "mal",
        "maler",
        "template",
        "vedlegg",
        "attachment",
        "prosedyre",
        "procedure",
        "sjekkliste",
        "checklist",
        "logg",
        "log",
        "rapport",
        "report",
        "plan",
        "analyseplan",
        "charter",
        "avtale",
        "agreement",
        "contract",
        "kontrakt",
        "instruks",
        "instruction",
        "veileder",
        "guideline",
        "guidance",
        "liste",
        "list",
        "protokoll",
        "protocol",
        "prosedyrer",
        "procedures",
        "templates",
        "forms",
        "skjemaer",
    }
)
_GROUP_WORDS = frozenset(
    {
        "gruppe",
        "gruppen",
        "gruppa",
        "group",
        "arbeidspakke",
        "arbeidspakken",
        "workpackage",
        "wp",
        "ap",
        "arbeidsgruppe",
        "arbeidsgruppen",
        "package",
        "packages",
        "arbeidspakker",
        "pakke",
        "wps",
        "working",
        "team",
        "nettverk",
        "network",
    }
)
_WHAT_WORDS = frozenset(
    {
        "what",
        "hva",
        "kva",
        "about",
        "om",
        "purpose",
        "formål",
        "work",
        "jobber",
        "arbeider",
        "does",
        "gjør",
        "driver",
    }
)

_WP = re.compile(
    r"\b(?:ap|wp|arbeidspakke(?:n)?|work\s*-?\s*package|workpackage)\s*[-#.]?\s*(\d{1,2})\b",
    re.IGNORECASE,
)
_GROUP_PHRASE = re.compile(
    r"\bwork\s*-?\s*packages?\b|\bworking\s+groups?\b|\barbeids(?:pakke|gruppe)\w*"
)
# Named groups (folded text). Ordered: longer names before the short ones they contain.
_NAMED_GROUPS: tuple[tuple[str, str], ...] = (
    (r"gcp[\s-]*(?:gruppen|gruppa|gruppe|group)", "GCP"),
    (
        r"(?:jus|juridisk|lov)[\s-]*(?:gruppen|gruppa|gruppe)|(?:law|legal)[\s-]*(?:working\s*)?group",
        "JUS",
    ),
    (
        r"(?:internasjonal[t]?\s+(?:arbeids)?(?:gruppen|gruppe|samarbeid))"
        r"|(?:international\s+(?:working\s+)?group)|arbeidsgruppe\s+for\s+internasjonal\w*",
        "INT",
    ),
    (r"arbeidsutvalg\w*|working\s+committee|executive\s+committee|\bau\b", "AU"),
    (
        r"fagrad\w*|expert\s+(?:advisory\s+)?(?:council|group|board)|professional\s+council",
        "FAGRAD",
    ),
    (r"brukerrad\w*|user\s+(?:advisory\s+)?(?:council|board|panel)", "BRUKERRAD"),
    (r"sekretariat\w*|secretariat|coordinating\s+unit|koordinerende\s+enhet", "SEKR"),
    (r"\bstyre[t]?\b|\bstyrets\b|\bboard\b", "STYRET"),
)
_ROLE_IMPLIES_GROUP = {
    "chair": "STYRET",
    "deputy_chair": "STYRET",
    "board_member": "STYRET",
    "alternate": "STYRET",
}


@dataclass(frozen=True)
class Vocabulary:
    """Names from the directory the parser must recognise."""

    organisation_aliases: dict[str, str] = field(default_factory=dict)  # folded alias -> org id
    group_ids: frozenset[str] = frozenset()

    def organisation_pattern(self) -> re.Pattern[str] | None:
        aliases = sorted(self.organisation_aliases, key=len, reverse=True)
        if not aliases:
            return None
        return re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, aliases)) + r")(?![a-z0-9])")


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    asks_who: bool
    asks_what: bool
    roles: tuple[str, ...]
    group_ids: tuple[str, ...]
    organisation_ids: tuple[str, ...]
    mentions_group: bool
    doc_cue: bool
    remainder: str

    @property
    def wants_people(self) -> bool:
        return self.asks_who or bool(self.roles)


_INFLECTION = r"(?:s|e|er|ere|en|ene|et|a)?"
_ROLE_PATTERNS: list[tuple[re.Pattern[str], str]] = sorted(
    (
        (
            # Plural and definite forms too: brukerrepresentanter, lederen, members.
            re.compile(r"(?<![a-z0-9])" + re.escape(fold(word)) + _INFLECTION + r"(?![a-z0-9])"),
            role.id,
        )
        for role in ROLES.values()
        for word in role.words
    ),
    key=lambda item: -len(item[0].pattern),
)


def _blank(pattern: re.Pattern[str] | str, text: str) -> str:
    """Remove matches without moving anything else, so token offsets stay valid."""
    return re.sub(pattern, lambda m: " " * len(m.group()), text)


MAX_QUESTION_CHARS = 1000  # a question is a sentence or two; the rest of a long paste is noise


def cut_question(text: str) -> tuple[str, bool]:
    """The part of a message that is searched (at most MAX_QUESTION_CHARS, ending at a word
    boundary when one is near), and whether anything was cut, so the reply can say so."""
    if len(text) <= MAX_QUESTION_CHARS:
        return text, False
    head = text[:MAX_QUESTION_CHARS]
    space = head.rfind(" ")
    return (head[:space] if space > MAX_QUESTION_CHARS // 2 else head), True


def parse_question(text: str, vocabulary: Vocabulary, default_language: str = "nb") -> Question:
    """Find intent cues and entities in a question. Never raises, whatever the text."""
    language = detect_language(text, default_language)
    original = words(text)
    folded_tokens = [fold(w) for w in original]
    offsets: list[int] = []
    position = 1
    for token in folded_tokens:
        offsets.append(position)
        position += len(token) + 1
    folded = " " + " ".join(folded_tokens) + " "

    group_ids: list[str] = []
    for match in _WP.finditer(folded):
        candidate = f"AP{int(match.group(1))}"
        if candidate in vocabulary.group_ids and candidate not in group_ids:
            group_ids.append(candidate)
    folded = _blank(_WP, folded)
    mentions_group = bool(_GROUP_PHRASE.search(folded))
    folded = _blank(_GROUP_PHRASE, folded)
    for pattern, group_id in _NAMED_GROUPS:
        if re.search(pattern, folded):
            if group_id in vocabulary.group_ids and group_id not in group_ids:
                group_ids.append(group_id)
            if group_id != "STYRET":
                folded = _blank(pattern, folded)

    roles: list[str] = []
    for role_pattern, role_id in _ROLE_PATTERNS:
        if role_pattern.search(folded):
            if role_id not in roles:
                roles.append(role_id)
            folded = _blank(role_pattern, folded)
    if "chair" in roles and "leader" in roles:
        roles.remove("leader")
    if "deputy_chair" in roles and "deputy" in roles:
        roles.remove("deputy")
    for role_id in roles:
        implied = _ROLE_IMPLIES_GROUP.get(role_id)
        if implied and implied in vocabulary.group_ids and implied not in group_ids:
            group_ids.append(implied)
    folded = _blank(r"\b(?:styre[t]?|styrets|board)\b", folded)

    organisation_ids: list[str] = []
    org_pattern = vocabulary.organisation_pattern()
    if org_pattern is not None:
        for match in org_pattern.finditer(folded):
            org_id = vocabulary.organisation_aliases[match.group(1)]
            if org_id not in organisation_ids:
                organisation_ids.append(org_id)
        folded = _blank(org_pattern, folded)

    kept = [
        (orig, fold_token)
        for orig, fold_token, start in zip(original, folded_tokens, offsets, strict=True)
        if folded[start : start + len(fold_token)].strip()
    ]
    tokens = [fold_token for _, fold_token in kept]
    asks_who = any(t in _WHO for t in folded_tokens)
    asks_what = any(t in _WHAT_WORDS for t in folded_tokens)
    mentions_group = mentions_group or bool(group_ids) or any(t in _GROUP_WORDS for t in tokens)
    doc_cue = any(t in _DOC_WORDS for t in original) or bool(concepts(original) & _DOC_CONCEPTS)
    remainder = [orig for orig, fold_token in kept if fold_token not in _WHO | _GROUP_WORDS]
    return Question(
        text=text,
        language=language,
        asks_who=asks_who,
        asks_what=asks_what,
        roles=tuple(roles),
        group_ids=tuple(group_ids),
        organisation_ids=tuple(organisation_ids),
        mentions_group=mentions_group,
        doc_cue=doc_cue,
        remainder=" ".join(remainder),
    )
