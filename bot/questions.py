"""Understanding a question: intent cues and entities, before any search is run.

Pure functions over the text and a `Vocabulary` of the directory's names, so they can be tested
exhaustively (property-based tests feed them arbitrary text). Whatever is recognised here as a
role, organisation or group reference is cut out of the text that goes on to full-text search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.roles import ROLES, WEAK_ROLE_WORDS
from bot.text import FOLDED_STOPWORDS, STOPWORDS, concepts, detect_language, fold, words

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
        "kontakte",
        "kontakter",
        "contacts",
        "kontaktperson",
        "kontaktpersonen",
        "kontaktpersoner",
        "kontaktpersonene",
        "personer",
        "people",
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

_LIST_PREPOSITIONS = frozenset({"of", "over", "av"})
# "study team", "trial team": the trial's own team, not a NorCRIN group.
_TRIAL_WORDS = frozenset({"study", "trial", "research", "studie", "our", "vart"})
# "contact list", "kontakt informasjon": the who-word names a document, it asks for no one.
_DOC_AFTER_WHO = frozenset(
    {"list", "lists", "liste", "lista", "information", "informasjon", "info", "details", "sheet",
     "log", "logg", "form", "skjema"}
)
# "lokal kontakt", "NorCRIN contact": the hospitals' local contacts. A plain "kontaktperson" or
# "contact person for statistics" asks whom to contact about a topic, like "who do I contact about".
_LOCAL_CONTACT = re.compile(r"\b(?:lokale?|local|norcrin)[\s-]*(?:kontakt|contact)")
# "point of contact": "of" here makes no list of people ("log of who …") but the person asked for.
_POINT_OF_CONTACT = re.compile(r"\bpoints?\s+of\s+contacts?\b")
_HOW_WORDS = frozenset(
    {"how", "hvordan", "korleis", "where", "hvor", "which", "hvilket", "hvilken"}
)

# "AP8s leder": the possessive -s belongs to the code.
_WP = re.compile(
    r"\b(?:ap|wp|arbeidspakke(?:n)?|work\s*-?\s*package|workpackage)\s*[-#.]?\s*(\d{1,2})s?\b",
    re.IGNORECASE,
)
_GROUP_PHRASE = re.compile(
    r"\bwork\s*-?\s*packages?\b|\bworking\s+groups?\b|\barbeids(?:pakke|gruppe)\w*"
)
# Named groups (folded text). Ordered: longer names before the short ones they contain. Each also
# matches with a possessive -s ("GCP-gruppens", "fagrådets"), so the -s is not left to search.
_NAMED_GROUP_NAMES: tuple[tuple[str, str], ...] = (
    (r"gcp[\s-]*(?:gruppen|gruppa|gruppe|group)", "GCP"),
    (
        r"(?:jus|juridiske?|lov)[\s-]*(?:arbeids)?(?:gruppen|gruppa|gruppe)|(?:law|legal)[\s-]*(?:working\s*)?group",
        "JUS",
    ),
    (
        r"(?:internasjonal[et]?\s+(?:arbeids)?(?:gruppen|gruppe|samarbeid))"
        r"|(?:international\s+(?:working\s+)?group)|arbeidsgruppe\s+for\s+internasjonal\w*",
        "INT",
    ),
    (r"arbeidsutvalg\w*|working\s+committee|executive\s+committee|\bau\b", "AU"),
    (
        r"fagrad\w*|expert\s+(?:advisory\s+)?(?:council|group|board)|professional\s+council",
        "FAGRAD",
    ),
    (r"brukerrad\w*|user\s+(?:advisory\s+)?(?:council|board|panel)", "BRUKERRAD"),
    (r"sekretariat\w*|secretariat|coordinating\s+unit|koordinerende\s+enhet(?:en)?", "SEKR"),
    (r"\bstyre[t]?\b|\bstyrets\b|\bboard\b", "STYRET"),
)
_NAMED_GROUPS = tuple((rf"(?:{pattern})s?", group_id) for pattern, group_id in _NAMED_GROUP_NAMES)
# "NorCRINs europeiske korrespondent": the network named as the owner is the network itself.
_POSSESSIVE_NETWORK = frozenset({"norcrins"})
# Small talk: a message made only of these words (and stop words) is a greeting, thanks or a
# question about the bot itself, not a search.
_GREETINGS = frozenset(
    [
        "hei",
        "hallo",
        "heisann",
        "hello",
        "hi",
        "hey",
        "hiya",
        "morn",
        "morna",
        "god",
        "goddag",
        "morgen",
        "ettermiddag",
        "kveld",
        "good",
        "morning",
        "afternoon",
        "evening",
        "day",
        "dag",
    ]
)
_THANKS = frozenset(["takk", "takker", "tusen", "thanks", "thank", "thx", "cheers", "ty"])
_ABOUT_BOT = frozenset(["du", "you", "deg", "yourself", "bot", "help", "hjelp", "hjelpe"])
_SMALLTALK_FILLER = frozenset(
    [
        "i",
        "idag",
        "today",
        "how",
        "hvordan",
        "har",
        "du",
        "det",
        "going",
        "doing",
        "are",
        "er",
        "nice",
        "fint",
        "flott",
        "bra",
        "great",
        "helped",
        "hjelpen",
        "hjelpa",
        "much",
        "lot",
        "so",
        "very",
        "ok",
        "okay",
        "super",
        "supert",
        "fine",
        "again",
        "igjen",
        "alle",
        "everyone",
        "there",
        "all",
        "dere",
        "y'all",
        "what",
        "hva",
        "kan",
        "can",
        "do",
        "gjøre",
        "gjore",
        "who",
        "hvem",
        "meg",
        "me",
        "med",
        "with",
        "you",
        "deg",
        "for",
        "that",
        "det",
        "this",
        "dette",
        "a",
        "en",
        "et",
        "the",
        "er",
        "is",
    ]
)
# "besides the chair, who else ...": the role after these words is excluded, not asked for.
_EXCLUDING = re.compile(
    r"\b(?:besides|except|apart\s+from|other\s+than|utenom|bortsett\s+fra|foruten|unntatt)"
    r"\s+(?:the\s+|a\s+)?(\w+)"
)
# "each team member", "members of the study team": the trial's own team, not a NorCRIN body, so
# "member" there is no role asked for (a document question stays one).
_TRIAL_TEAM_MEMBER = re.compile(
    r"\bteam\s+(members?)\b|\b(members?)\s+(?:of|in|on)\s+(?:the|our|a|my)\s+"
    r"(?:study\s+|trial\s+|research\s+)?team\b"
)
MAX_NAME_WORDS = 4  # a name is at most this long; bounds what a reply repeats of the question
_NAME_WORD = re.compile(r"[A-ZÆØÅÄÖÜÉ][a-zæøåäöüéèáàóòç'\-]+")

_STOPWORDS_FOR_NAMES = STOPWORDS | {"hvem", "who", "er", "is", "har", "has", "does", "can"}

_BODIES = frozenset({"STYRET", "AU", "FAGRAD", "BRUKERRAD", "SEKR", "GCP", "JUS", "INT"})
_GROUP_SUFFIX = re.compile(r"s?(?:gruppene|gruppen|gruppa|gruppe|group|groups)$")
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

    def organisation_pattern(self, text: str | None = None) -> re.Pattern[str] | None:
        """Any alias, longest first, as a whole word; with `text`, only the aliases that occur
        in it, which matches there exactly as the whole alternation does (the others cannot
        match) and compiles in a fraction of its time."""
        aliases = sorted(self.organisation_aliases, key=len, reverse=True)
        if text is not None:
            aliases = [alias for alias in aliases if alias in text]
        if not aliases:
            return None
        return _alternation(tuple(aliases))


@lru_cache(maxsize=256)
def _alternation(aliases: tuple[str, ...]) -> re.Pattern[str]:
    # "Haukelands lokale kontakt": an organisation named as an owner is that organisation.
    return re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, aliases)) + r")s?(?![a-z0-9])")


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
    asks_how: bool = False  # "how do we ...": asks for a procedure, not for a group
    smalltalk: str | None = None  # "greeting" | "thanks" | "help": not a search at all
    name_words: tuple[str, ...] = ()  # capitalised words that look like a person's name
    excluded_roles: tuple[str, ...] = ()  # "besides the chair": roles not to answer with
    # "AP15", "wp 20": a work-package code the directory has no group for (nor had)
    unknown_group_codes: tuple[str, ...] = ()

    @property
    def wants_people(self) -> bool:
        return self.asks_who or bool(self.roles)


# Norwegian endings of a role word (lederen, lederne, medlemmet, representantene, europeiske) and
# English plurals, each optionally with the genitive -s (lederens); a possessive owner is cut
# off elsewhere ("NorCRINs", "styrets", "AP8s").
_INFLECTION = r"(?:e|er|ere|en|ene|et|ne|a|mer|mene|met)?s?"
# Abbreviations ("pl", "nk") take no ending: "pls" is "please", not project leaders.
_MIN_INFLECTED = 3


@dataclass(frozen=True)
class _RolePattern:
    """One role word's pattern, compiled the first time a text holds its `needle` (the word up
    to its first space or hyphen, less a final -y that inflects: every match starts with it): a
    question compiles a few of the hundred, not all of them on every start (about 20 ms)."""

    source: str
    role_id: str
    weak: bool
    needle: str

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.source)

    def search(self, text: str) -> bool:
        return self.needle in text and self.regex.search(text) is not None

    def fullmatch(self, text: str) -> bool:
        return self.needle in text and self.regex.fullmatch(text) is not None


_compiled = lru_cache(maxsize=None)(re.compile)


def _inflected(part: str) -> str:
    """One word of a role phrase with the endings it takes ("deputy" -> "deputies" too)."""
    if len(part) < _MIN_INFLECTED:
        return re.escape(part)
    if part.endswith("y"):
        return re.escape(part[:-1]) + r"(?:y|ie)" + _INFLECTION
    return re.escape(part) + _INFLECTION


def _role_pattern(word: str, role_id: str) -> _RolePattern:
    folded = fold(word)
    # Every word inflects, not only the last: "europeiske korrespondenten", "nestlederen i styret".
    # "norcrin-kontakt" is two tokens by the time it is matched: hyphen or space.
    parts = re.split(r"([ -])", folded)
    source = "".join(
        (r"\s+" if part == " " else r"[\s-]?") if part in (" ", "-") else _inflected(part)
        for part in parts
    )
    return _RolePattern(
        r"(?<![a-z0-9])" + source + r"(?![a-z0-9])",
        role_id,
        word in WEAK_ROLE_WORDS,
        _needle(re.split(r"[ -]", folded, maxsplit=1)[0]),
    )


def _needle(first_word: str) -> str:
    """What every match of the pattern contains: "deputies" has no "deputy" in it."""
    if len(first_word) >= _MIN_INFLECTED and first_word.endswith("y"):
        return first_word[:-1]
    return first_word


_ROLE_PATTERNS: list[_RolePattern] = sorted(
    (_role_pattern(word, role.id) for role in ROLES.values() for word in role.words),
    key=lambda item: -len(item.source),
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


def smalltalk_kind(tokens: list[str]) -> str | None:
    """'greeting', 'thanks' or 'help' when the message is only small talk, else None."""
    if not tokens or len(tokens) > 9:
        return None
    folded = [fold(t) for t in tokens]
    vocabulary = _GREETINGS | _THANKS | _ABOUT_BOT | _SMALLTALK_FILLER
    if any(t not in vocabulary and t not in {fold(w) for w in vocabulary} for t in folded):
        return None
    if any(t in _THANKS for t in folded):
        return "thanks"
    if any(t in _ABOUT_BOT for t in folded):
        return "help"
    if any(t in _GREETINGS for t in folded):
        return "greeting"
    return None


def name_words(text: str) -> tuple[str, ...]:
    """Two or more capitalised words in a row ('Kari Nordmann'): how a person's name is typed.
    Acronyms (OUS, GCP, NorCRIN) and capitalised stop words at the edges do not count."""
    best: list[str] = []
    run: list[str] = []
    sentence_start = True
    for token in re.findall(r"\S+", text):
        word = token.strip('.,;:!?()"«»')
        if word.endswith("'s"):
            word = word[:-2]
        # A capitalised stop word is a name ('Hans') unless it starts the sentence ('Is ...').
        stop = word.lower() in _STOPWORDS_FOR_NAMES and sentence_start
        sentence_start = False
        if _NAME_WORD.fullmatch(word) and not stop:
            run.append(word)
        else:
            if len(run) > len(best):
                best = run
            run = []
        if token[-1:] in ".,;:!?" and not re.fullmatch(r"[A-Z]\.", token):
            if len(run) > len(best):
                best = run
            run = []
    if len(run) > len(best):
        best = run
    return tuple(best[:MAX_NAME_WORDS]) if len(best) >= 2 else ()


def parse_question(text: str, vocabulary: Vocabulary, default_language: str = "nb") -> Question:
    """Find intent cues and entities in a question. Never raises, whatever the text."""
    language = detect_language(text, default_language)
    original = [token[:-1] if token in _POSSESSIVE_NETWORK else token for token in words(text)]
    folded_tokens = [fold(w) for w in original]
    offsets: list[int] = []
    position = 1
    for token in folded_tokens:
        offsets.append(position)
        position += len(token) + 1
    folded = " " + " ".join(folded_tokens) + " "

    group_ids: list[str] = []
    unknown_codes: list[str] = []
    for match in _WP.finditer(folded):
        candidate = f"AP{int(match.group(1))}"
        if candidate in vocabulary.group_ids:
            if candidate not in group_ids:
                group_ids.append(candidate)
        elif vocabulary.group_ids and candidate not in unknown_codes:
            unknown_codes.append(candidate)
    folded = _blank(_WP, folded)
    mentions_group = bool(_GROUP_PHRASE.search(folded))
    # Named groups before the generic group words, which their names contain ("den juridiske
    # arbeidsgruppen", "internasjonal arbeidsgruppe").
    for pattern, group_id in _NAMED_GROUPS:
        if re.search(pattern, folded):
            if group_id in vocabulary.group_ids and group_id not in group_ids:
                group_ids.append(group_id)
            if group_id != "STYRET":
                folded = _blank(pattern, folded)
    folded = _blank(_GROUP_PHRASE, folded)

    excluded: list[str] = []
    for match in _EXCLUDING.finditer(folded):
        for role_pattern in _ROLE_PATTERNS:
            if role_pattern.fullmatch(match.group(1)):
                excluded.append(role_pattern.role_id)
                folded = (
                    folded[: match.start()]
                    + " " * (match.end() - match.start())
                    + folded[match.end() :]
                )
                break

    for match in _TRIAL_TEAM_MEMBER.finditer(folded):
        group = 1 if match.group(1) else 2
        start, end = match.span(group)
        folded = folded[:start] + " " * (end - start) + folded[end:]

    local_contact_named = bool(_LOCAL_CONTACT.search(folded))
    point_of_contact = bool(_POINT_OF_CONTACT.search(folded))
    roles: list[str] = []
    about_people = any(t in _WHO for t in folded_tokens) or mentions_group or bool(group_ids)
    for role_pattern in _ROLE_PATTERNS:
        if role_pattern.weak and not about_people:
            continue
        if role_pattern.search(folded):
            if role_pattern.role_id not in roles:
                roles.append(role_pattern.role_id)
            folded = _blank(role_pattern.regex, folded)
    if "chair" in roles and "leader" in roles:
        roles.remove("leader")
    if "deputy_chair" in roles and "deputy" in roles:
        roles.remove("deputy")
    bodies_named = [g for g in group_ids if g in _BODIES]
    for role_id in roles:
        implied = _ROLE_IMPLIES_GROUP.get(role_id)
        if role_id in ("chair", "deputy_chair") and bodies_named and implied not in bodies_named:
            continue  # "who chairs the Fagråd" asks for the Fagråd's leader, not the board's
        if implied and implied in vocabulary.group_ids and implied not in group_ids:
            group_ids.append(implied)
    folded = _blank(r"\b(?:styre[t]?|styrets|board)\b", folded)

    organisation_ids: list[str] = []
    org_pattern = vocabulary.organisation_pattern(folded)
    if org_pattern is not None:
        for match in org_pattern.finditer(folded):
            org_id = vocabulary.organisation_aliases[match.group(1)]
            if org_id not in organisation_ids:
                organisation_ids.append(org_id)
        folded = _blank(org_pattern, folded)
    # Words that only look like cues: "contact" in "contact list" names a document, "team" in
    # "study team" is the trial's own team; both stay ordinary search words.
    plain = {
        i
        for i, t in enumerate(folded_tokens)
        if (t in _WHO and i + 1 < len(folded_tokens) and folded_tokens[i + 1] in _DOC_AFTER_WHO)
        or (t in _GROUP_WORDS and i and folded_tokens[i - 1] in _TRIAL_WORDS)
    }
    kept = [
        (orig, fold_token, i in plain)
        for i, (orig, fold_token, start) in enumerate(
            zip(original, folded_tokens, offsets, strict=True)
        )
        if folded[start : start + len(fold_token)].strip()
    ]
    tokens = [fold_token for _, fold_token, is_plain in kept if not is_plain]
    # "log of who does data management", "oversikt over hvem": a list asked for, not a person.
    asks_who = point_of_contact or any(
        t in _WHO and not (i and folded_tokens[i - 1] in _LIST_PREPOSITIONS) and i not in plain
        for i, t in enumerate(folded_tokens)
    )
    asks_what = any(t in _WHAT_WORDS for t in folded_tokens)
    mentions_group = mentions_group or bool(group_ids) or any(t in _GROUP_WORDS for t in tokens)
    doc_cue = any(t in _DOC_WORDS for t in original) or bool(concepts(original) & _DOC_CONCEPTS)
    remainder: list[str] = []
    for orig, fold_token, is_plain in kept:
        if fold_token in _WHO | _GROUP_WORDS and not is_plain:
            continue
        head = _GROUP_SUFFIX.sub("", orig) if len(orig) > 9 else orig
        if head != orig and len(head) >= 3:
            mentions_group = True  # "prosedyregruppa", "statistikkgruppen": a group by its topic
            remainder.append(head)
        else:
            remainder.append(orig)
    topic_named = any(fold(w) not in FOLDED_STOPWORDS for w in remainder)
    if "local_contact" in roles and not local_contact_named and (
        not organisation_ids or topic_named
    ):
        # "kontaktperson for statistikk (på Ahus)": whom to ask about a topic (there), not a
        # hospital's local NorCRIN contact ("kontaktperson på Ahus", "lokal kontakt" are that)
        roles.remove("local_contact")
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
        asks_how=any(t in _HOW_WORDS for t in folded_tokens),
        smalltalk=smalltalk_kind(original),
        name_words=name_words(text),
        excluded_roles=tuple(excluded),
        unknown_group_codes=tuple(unknown_codes),
    )
