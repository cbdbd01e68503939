"""An agenda as a chat reply, Markdown, iCalendar and JSON; a minutes skeleton; a reminder.

All four come from the same `slots()` so the time slots (`09.30-09.35`) and numbers (`1-2025`)
agree everywhere. Local times are Europe/Oslo (the bot's TZ).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.i18n import t
from bot.markup import esc
from bot.markup import link as markup_link
from bot.replies import Actions, Button, Heading, Note, Reply, Section
from storage.agenda import Meeting, Slot, meeting_end, slots

_WEEKDAYS = {
    "nb": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nb": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
KIND_LABELS = {
    "nb": {"decision": "vedtak", "discussion": "diskusjon", "orientation": "orientering",
           "break": "pause"},
    "en": {"decision": "decision", "discussion": "discussion", "orientation": "orientation",
           "break": "break"},
}


def dot_time(when: datetime) -> str:
    return when.strftime("%H.%M")


def long_date(when: datetime, language: str) -> str:
    lang = "en" if language == "en" else "nb"
    weekday = _WEEKDAYS[lang][when.weekday()]
    month = _MONTHS[lang][when.month - 1]
    if lang == "en":
        return f"{weekday} {when.day} {month} {when.year}"
    return f"{weekday} {when.day}. {month} {when.year}"


def when_line(session: Session, meeting: Meeting, tz: ZoneInfo) -> str:
    start = meeting.start_at.astimezone(tz)
    end = meeting_end(session, meeting).astimezone(tz)
    at = t(meeting.language, "kl.", ",")
    return f"{long_date(start, meeting.language)} {at} {dot_time(start)}–{dot_time(end)}"


def _labels(meeting: Meeting) -> dict[str, str]:
    def say(nb: str, en: str) -> str:
        return t(meeting.language, nb, en)

    return {
        "time": say("Tid", "Time"),
        "place": say("Sted", "Place"),
        "online": say("Digitalt", "Online"),
        "join": say("Bli med", "Join"),
        "attachments": say("Vedlegg", "Attachments"),
        "agenda": say("Dagsorden", "Agenda"),
        "minutes": say("Referat", "Minutes"),
        "decision": say("Vedtak", "Decision"),
        "reminder": say("Påminnelse", "Reminder"),
        "tomorrow": say("i morgen", "tomorrow"),
    }


def _slot_line(slot: Slot, language: str) -> str:
    item = slot.item
    times = f"`{dot_time(slot.start)}-{dot_time(slot.end)}`"
    if slot.number is None:
        return f"{times} _{esc(item.title)}_"
    line = f"{times} *{slot.number}* {esc(item.title)}"
    extras = []
    if item.presenter:
        extras.append(esc(item.presenter))
    extras.append(KIND_LABELS["en" if language == "en" else "nb"][item.kind])
    line += " — _" + ", ".join(extras) + "_"
    for link in item.attachments:
        line += f"\n      {markup_link(link, link.rsplit('/', 1)[-1] or link)}"
    return line


def agenda_reply(session: Session, meeting: Meeting, tz: ZoneInfo) -> Reply:
    labels = _labels(meeting)
    planned = slots(session, meeting, tz)
    head = [f"*{labels['time']}:* {when_line(session, meeting, tz)}"]
    if meeting.place:
        head.append(f"*{labels['place']}:* {esc(meeting.place)}")
    if meeting.online_url:
        head.append(f"*{labels['online']}:* {markup_link(meeting.online_url, labels['join'])}")
    lines = [_slot_line(slot, meeting.language) for slot in planned]
    parts: list[Any] = [
        Heading(f"{meeting.title} — {labels['agenda'].lower()}"),
        Section("\n".join(head)),
        Section("\n".join(lines) or "—"),
    ]
    if meeting.online_url:
        parts.append(Actions((Button(labels["join"], url=meeting.online_url),)))
    parts.append(Note(f"{meeting.series} · #{meeting.id}"))
    text = f"{meeting.title}: {when_line(session, meeting, tz)}\n" + "\n".join(
        f"{dot_time(s.start)}-{dot_time(s.end)} {s.number or ''} {s.item.title}".replace("  ", " ")
        for s in planned
    )
    return Reply(text=text, parts=tuple(parts), language=meeting.language,  # type: ignore[arg-type]
                 intent="agenda")


def agenda_markdown(session: Session, meeting: Meeting, tz: ZoneInfo) -> str:
    labels = _labels(meeting)
    out = [f"# {meeting.title}", "", f"**{labels['time']}:** {when_line(session, meeting, tz)}  "]
    if meeting.place:
        out.append(f"**{labels['place']}:** {meeting.place}  ")
    if meeting.online_url:
        out.append(f"**{labels['online']}:** <{meeting.online_url}>  ")
    out += ["", f"## {labels['agenda']}", ""]
    for slot in slots(session, meeting, tz):
        times = f"{dot_time(slot.start)}-{dot_time(slot.end)}"
        if slot.number is None:
            out.append(f"- {times} *{slot.item.title}*")
            continue
        line = f"- {times} **{slot.number}** {slot.item.title}"
        if slot.item.presenter:
            line += f" — {slot.item.presenter}"
        line += f" ({KIND_LABELS['en' if meeting.language == 'en' else 'nb'][slot.item.kind]})"
        out.append(line)
        for link in slot.item.attachments:
            out.append(f"  - {labels['attachments']}: <{link}>")
    return "\n".join(out) + "\n"


def agenda_json(session: Session, meeting: Meeting, tz: ZoneInfo) -> dict[str, Any]:
    """The machine contract: {"meeting", "start", "items": [...]}, local HH:MM times."""
    return {
        "meeting": meeting.id,
        "start": meeting.start_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "items": [
            {
                "number": slot.number,
                "title": slot.item.title,
                "start": slot.start.strftime("%H:%M"),
                "end": slot.end.strftime("%H:%M"),
                "presenter": slot.item.presenter,
                "kind": slot.item.kind,
            }
            for slot in slots(session, meeting, tz)
        ],
    }


def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545: lines of at most 75 octets, continued with a leading space."""
    out: list[str] = []
    current = ""
    for char in line:
        if len((current + char).encode("utf-8")) > (75 if not out else 74):
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0]] + [" " + rest for rest in out[1:]]


def _ics_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def agenda_ics(session: Session, meeting: Meeting, tz: ZoneInfo, now: datetime) -> str:
    description = "\n".join(
        f"{dot_time(s.start)}-{dot_time(s.end)} {s.number + ' ' if s.number else ''}{s.item.title}"
        + (f" ({s.item.presenter})" if s.item.presenter else "")
        for s in slots(session, meeting, tz)
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//NorCRIN//norcrin-bot//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@norcrin-bot",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(meeting.start_at)}",
        f"DTEND:{_ics_time(meeting_end(session, meeting))}",
        f"SUMMARY:{_ics_escape(meeting.title)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"CATEGORIES:{_ics_escape(meeting.series)}",
    ]
    if meeting.place:
        lines.append(f"LOCATION:{_ics_escape(meeting.place)}")
    if meeting.online_url:
        lines.append(f"URL:{meeting.online_url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    folded = [piece for line in lines for piece in _fold(line)]
    return "\r\n".join(folded) + "\r\n"


def reminder_reply(session: Session, meeting: Meeting, tz: ZoneInfo) -> Reply:
    labels = _labels(meeting)
    start = meeting.start_at.astimezone(tz)
    text = (f"*{labels['reminder']}:* {esc(meeting.title)} {labels['tomorrow']} "
            f"{t(meeting.language, 'kl.', 'at')} {dot_time(start)}")
    if meeting.place:
        text += f", {esc(meeting.place)}"
    parts: list[Any] = [Section(text)]
    if meeting.online_url:
        parts.append(Actions((Button(labels["join"], url=meeting.online_url),)))
    return Reply(text=text.replace("*", ""), parts=tuple(parts),
                 language=meeting.language, intent="reminder")  # type: ignore[arg-type]


def minutes_markdown(session: Session, meeting: Meeting, tz: ZoneInfo) -> str:
    labels = _labels(meeting)
    out = [f"# {labels['minutes']}: {meeting.title}", "",
           f"**{labels['time']}:** {when_line(session, meeting, tz)}  "]
    if meeting.place:
        out.append(f"**{labels['place']}:** {meeting.place}  ")
    out += ["", "**Til stede / Present:** ", "**Forfall / Apologies:** ", ""]
    for slot in slots(session, meeting, tz):
        if slot.number is None:
            continue
        out += [f"## {slot.number} {slot.item.title}", ""]
        if slot.item.kind == "decision":
            out += [f"**{labels['decision']}:** ", ""]
        else:
            out += ["", ""]
    return "\n".join(out)


def minutes_reply(session: Session, meeting: Meeting, tz: ZoneInfo) -> Reply:
    labels = _labels(meeting)
    body = minutes_markdown(session, meeting, tz)
    lines = [f"*{s.number}* {esc(s.item.title)}" + (f"\n_{labels['decision']}:_ …"
             if s.item.kind == "decision" else "")
             for s in slots(session, meeting, tz) if s.number]
    intro = t(meeting.language, "Møtet er over. Her er et referatutkast å fylle ut:",
              "The meeting is over. Here is a minutes skeleton to fill in:")
    return Reply(
        text=body,
        parts=(Heading(f"{labels['minutes']}: {meeting.title}"), Section(intro),
               Section("\n".join(lines) or "—")),
        language=meeting.language,  # type: ignore[arg-type]
        intent="minutes",
    )


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
