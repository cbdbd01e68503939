"""Questions about meetings and their agendas, read as the `agenda` command that answers them.

"Når er neste møte?", "what's on the agenda for the next meeting?", "hva står på dagsorden til
styremøtet?": a meeting or agenda word with a when/next or what-is-on question. A question about
a document for a meeting ("mal for agenda til oppstartsmøte"), its minutes, or who leads it is
not one: those stay with the free-text search.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.intents import WordSet, tokens
from bot.text import FOLDED_STOPWORDS

_MEETING = WordSet.of(
    "møte møtet møter møtene meeting meetings agenda agendaen dagsorden dagsordenen saksliste "
    "sakslisten",
    compound_ends="møte møtet møter møtene meeting agenda agendaen dagsorden dagsordenen",
)
_AGENDA = WordSet.of("agenda agendaen agendas dagsorden dagsordenen saksliste sakslisten",
                     compound_ends="agenda agendaen dagsorden dagsordenen")
_PLURAL = WordSet.of("møter møtene meetings", compound_ends="møter møtene")
_WHEN = WordSet.of("når when neste next kommende upcoming førstkommende snart soon dato date "
                   "tidspunkt klokka fremover framover coming scheduled")
_WHAT_IS_ON = WordSet.of("hva what which hvilke hvilken saker sak items item topics tema temaer "
                         "står program programmet planned planlagt")
# A document about meetings, the minutes, or the people: the search answers those.
_NOT_THE_AGENDA = WordSet.of(
    "mal maler malen template templates skjema form forms referat referatet minutes protokoll "
    "protokollen dokument document sop prosedyre procedure veileder guide eksempel example "
    "hvordan how lage make write skrive hvem who whom leder leads chairs chair ansvarlig "
    "booke book bestille rom room innkalling sjekkliste checklist presentasjon presentation "
    "slides lysbilder"
)
# Words that name no meeting in particular ("neste møte i NorCRIN").
_NO_NAME = frozenset({"norcrin", "nettverket", "network", "vart", "our", "var", "vi", "we", "us",
                      "oss", "dette", "this", "det", "that", "the"})


@dataclass(frozen=True)
class MeetingQuestion:
    """What a meeting question asks: one meeting (the next, or the next one named) or a list.
    A name no upcoming meeting has leaves the question to the search ("agendaen for et
    oppstartsmøte" asks for the template when no start-up meeting is planned)."""

    names: tuple[str, ...]  # words that may name the meeting's series or title ("styre", "ap8")
    several: bool  # "hvilke møter …", "upcoming meetings": the list


def read_meeting_question(text: str) -> MeetingQuestion | None:
    found = tokens(text)
    if not _MEETING.any_in(found) or _NOT_THE_AGENDA.any_in(found):
        return None
    asks_when = _WHEN.any_in(found)
    if not (asks_when or (_AGENDA.any_in(found) and _WHAT_IS_ON.any_in(found))):
        return None
    names: list[str] = []
    for token in found:
        head = _MEETING.head_of(token)
        if head is not None and token not in _MEETING.words:
            names.append(head[:-1] if head.endswith("s") and len(head) > 4 else head)
        elif not (token in FOLDED_STOPWORDS or token in _NO_NAME or _MEETING.matches(token)
                  or _WHEN.matches(token) or _WHAT_IS_ON.matches(token) or len(token) < 2):
            names.append(token)
    several = _PLURAL.any_in(found) and not any(t in ("neste", "next") for t in found)
    return MeetingQuestion(tuple(names), several)


def names_meeting(names: tuple[str, ...], series: str, title: str) -> bool:
    """Whether a word of the question names this meeting ("styre" -> "Styremøte", "ap8")."""
    own = tokens(f"{series} {title}")
    return any(_same_stem(name, word) for name in names for word in own)


def _same_stem(name: str, word: str) -> bool:
    """"styre"/"styremøte", "strategigruppa"/"strategigruppe", "ap8"/"ap8" (not "ap10")."""
    if len(name) < 3 or any(c.isdigit() for c in name + word):
        return name == word  # a group code: "au" is "AU", "ap1" is not "ap10"
    shared = 0
    for a, b in zip(name, word, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= max(3, min(len(name), len(word)) - 2)
