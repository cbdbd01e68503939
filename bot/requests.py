"""Requests for the bot to do something in the world ("kan du reservere et rom?", "please order
lunch", "could you print the consent forms"): the bot can only answer questions, so such a
message is declined politely instead of searched (its words would find documents about rooms,
meetings or consent forms).

A request is an action verb the bot cannot carry out, asked of the bot: right after "kan du",
"could you", "please", "vær så snill å" …, or as a bare imperative opening the message. A
question about how to do it ("how do I send a SUSAR?", "who can help me order study drug?")
asks nothing of the bot and is not one; neither is "can you help me order …", whose verb is help.
"""

from __future__ import annotations

from itertools import pairwise

from bot.intents import tokens

# What a message says to ask the bot itself (folded tokens), longest first.
_ASKING_THE_BOT: tuple[tuple[str, ...], ...] = (
    ("i", "would", "like", "you", "to"),
    ("would", "you", "mind"),
    ("i", "d", "like", "you", "to"),
    ("i", "want", "you", "to"),
    ("i", "need", "you", "to"),
    ("jeg", "vil", "at", "du"),
    ("vaer", "sa", "snill", "a"),
    ("vaer", "sa", "snill", "og"),
    ("vaer", "sa", "snill"),
    ("kan", "du"),
    ("kunne", "du"),
    ("vil", "du"),
    ("gidder", "du"),
    ("klarer", "du"),
    ("kan", "dere"),
    ("kunne", "dere"),
    ("can", "you"),
    ("could", "you"),
    ("would", "you"),
    ("will", "you"),
    ("can", "u"),
    ("could", "u"),
    ("please",),
    ("pls",),
    ("plz",),
    ("kindly",),
    ("vennligst",),
)
# Words that may stand between the asking and the verb ("could you please also print").
_FILLER = frozenset(
    {"please", "pls", "also", "just", "quickly", "kindly", "then", "ogsa", "bare", "fort", "raskt",
     "kjapt", "a", "og", "meg", "me", "us", "oss"}
)
# "How can you order study drug?", "hvor kan du bestille": "you" is anyone, the message asks how.
_QUESTION_WORDS = frozenset(
    {"how", "where", "when", "which", "what", "who", "why", "whom", "hvordan", "hvor", "nar",
     "hvilken", "hvilket", "hvilke", "hva", "hvem", "hvorfor", "korleis", "kvar", "kva", "kven"}
)
# Verbs for things the bot cannot do (folded; infinitive and imperative forms). Two-word verbs
# ("skrive ut", "fill in") are matched as pairs.
_ACTIONS = frozenset(
    {
        # reserve, book, order, buy, pay
        "reservere", "reserver", "booke", "book", "bestille", "bestill", "kjope", "kjop",
        "betale", "betal", "refundere", "reserve", "order", "buy", "purchase", "pay", "refund",
        "reimburse",
        # print, copy, scan, post
        "printe", "print", "kopiere", "kopier", "skanne", "skann", "fakse", "laminere",
        "photocopy", "copy", "scan", "fax", "laminate",
        # call, e-mail, invite, cancel, move a meeting
        "ringe", "ring", "call", "phone", "epost", "eposte", "maile", "mail", "email", "invitere",
        "inviter", "invite", "avlyse", "avlys", "cancel", "flytte", "flytt", "reschedule",
        "schedule", "arrangere", "arranger", "organisere", "organiser", "organise", "organize",
        "arrange", "ordne", "ordn",
        # fetch, bring, deliver
        "hente", "hent", "levere", "lever", "fetch", "bring", "deliver", "collect",
        # sign, upload, fix, install, change, delete, translate ("approve" and "submit" are the
        # agenda's and the status form's own words)
        "signere", "signer", "underskrive", "sign", "upload", "fikse", "fiks", "reparere",
        "reparer", "installere", "installer", "fix", "repair", "install", "oppdatere", "oppdater",
        "update", "slette", "slett", "delete", "fjerne", "fjern", "remove", "oversette",
        "oversett", "translate",
    }
)
_TWO_WORD_ACTIONS = frozenset(
    {
        ("skrive", "ut"), ("skriv", "ut"), ("fylle", "ut"), ("fyll", "ut"), ("laste", "opp"),
        ("last", "opp"), ("sette", "opp"), ("sett", "opp"),
        ("kalle", "inn"), ("kall", "inn"), ("melde", "meg"), ("meld", "meg"), ("melde", "oss"),
        ("meld", "oss"), ("ta", "med"), ("fill", "in"), ("fill", "out"), ("set", "up"),
        ("sign", "up"), ("pick", "up"), ("register", "me"), ("register", "us"), ("enrol", "me"),
        ("enroll", "me"), ("sign", "me"), ("sign", "us"), ("ta", "notater"), ("ta", "referat"),
        ("take", "notes"), ("take", "minutes"),
    }
)
# "send" is an action only with something to carry ("send an e-mail to the board") or someone else
# to send it to ("send the protocol to my colleague"); "send me the SUSAR SOP" asks for a
# document, "send videre" and sending to the secretariat pass a question on (teach-back).
_SEND = frozenset({"send", "sende", "forward", "videresende", "videresend"})
_PASSING_ON = frozenset({"videre", "on", "forward", "sekretariatet", "secretariat", "sporsmalet",
                         "question"})
_TO = frozenset({"til", "to"})
_ASKER = frozenset({"meg", "me", "oss", "us"})
_SENT_THINGS = frozenset(
    {"epost", "eposter", "mail", "mails", "email", "emails", "sms", "invitasjon", "invitasjoner",
     "innkalling", "innkallinger", "brev", "pakke", "pakken", "blomster", "invitation",
     "invitations", "invite", "invites", "letter", "letters", "package", "parcel", "flowers",
     "fax", "faks", "text"}
)
_SEND_REACH = 4  # how many words after "send" the thing sent may stand
# Bare imperatives that open a request ("book et møterom", "print the consent forms"): only verbs
# that are no search words for the catalogue ("order"/"bestill" study drug, "submit" an application
# and "schedule" of assessments are).
# Any action verb opens a request when it is done for the asker ("bestill et møterom til oss").
_FOR_THE_ASKER = frozenset(
    {("til", "oss"), ("til", "meg"), ("for", "oss"), ("for", "meg"), ("for", "us"), ("for", "me")}
)
# A lone word is none ("cancel" is a status form's word).
_OPENING_IMPERATIVES = frozenset(
    {"reserver", "book", "kjop", "betal", "print", "kopier", "ring", "reserve", "buy", "purchase",
     "pay", "photocopy", "phone", "fetch", "bring", "deliver", "invite", "inviter"}
)
# An imperative opening is no verb before these ("print version of …", "book of …").
_NOT_AFTER_IMPERATIVE = frozenset(
    {"of", "for", "av", "is", "are", "er", "og", "and", "or", "eller", "version", "versjon",
     "versjonen", "format", "layout", "edition"}
)


def _tokens(text: str) -> list[str]:
    """Folded words, with 'e-post'/'e-mail' joined back into one word."""
    out: list[str] = []
    for token in tokens(text):
        if out and out[-1] == "e" and token in {"post", "poste", "poster", "mail", "mails"}:
            out[-1] = "e" + token
        else:
            out.append(token)
    return out


def _sends_something(tokens: list[str], at: int, *, to_others: bool) -> bool:
    after = tokens[at + 1 : at + 1 + _SEND_REACH + 2]
    if any(t in _PASSING_ON for t in after):
        return False
    if any(t in _SENT_THINGS for t in after[:_SEND_REACH]):
        return True
    return to_others and any(
        t in _TO and i + 1 < len(after) and after[i + 1] not in _ASKER
        for i, t in enumerate(after)
    )


def _is_action(tokens: list[str], at: int) -> bool:
    if at >= len(tokens):
        return False
    word = tokens[at]
    following = tokens[at + 1] if at + 1 < len(tokens) else ""
    if word in _SEND:
        return _sends_something(tokens, at, to_others=True)
    return word in _ACTIONS or (word, following) in _TWO_WORD_ACTIONS


def _verb_after(tokens: list[str], at: int) -> int:
    while at < len(tokens) and tokens[at] in _FILLER:
        at += 1
    return at


def asks_for_action(text: str) -> bool:
    """Whether the message asks the bot to do something it cannot (book, order, print, call …)."""
    tokens = _tokens(text)
    if not tokens:
        return False
    first, second = tokens[0], tokens[1] if len(tokens) > 1 else ""
    if second and first in _OPENING_IMPERATIVES and second not in _NOT_AFTER_IMPERATIVE:
        return True
    if (first in _ACTIONS or (first, second) in _TWO_WORD_ACTIONS) and any(
        pair in _FOR_THE_ASKER for pair in pairwise(tokens)
    ):
        return True
    if first in _SEND and _sends_something(tokens, 0, to_others=False):
        return True  # "send en e-post til styret"; "send SUSAR til SLV" asks how
    for start in range(len(tokens)):
        if tokens[start] in _QUESTION_WORDS:
            return False  # the asking that follows is a question's ("how can you book …")
        for phrase in _ASKING_THE_BOT:
            if tuple(tokens[start : start + len(phrase)]) == phrase:
                if _is_action(tokens, _verb_after(tokens, start + len(phrase))):
                    return True
                break
    return False
