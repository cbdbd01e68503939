"""Agenda commands in chat: show meetings, propose items, and the owner's decisions.

Members propose (`agenda propose 12 Title | 15 | Presenter`); the meeting's owner — an admin,
the person named as owner, or the leader/chair of the group the series names — accepts, edits,
reorders or declines. Proposers are told through the outbox, and every change to an agenda that
was already posted is queued as an in-place edit of that post.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.destinations import TRANSPORTS
from bot.markup import esc
from bot.replies import Choice, Person, Reply, Section, Table
from bot.router import Context, Router
from commands.agenda_questions import names_meeting, read_meeting_question
from commands.ask import answer
from commands.teachback import secretariat_destination
from storage import outbox
from storage.models import Membership

if TYPE_CHECKING:
    from bot.interactions import FormModal
    from storage import agenda as store

# The agenda's tables, views and posting machinery (storage.agenda, agenda_views, posts) and the
# proposal form's fields (bot.interactions) are imported by the functions that use them: every
# chat answer and CLI call loads this module for its router, and only agenda commands need the
# rest (about 30 ms of every start otherwise).

router = Router()

OWNER_ROLES = ("leader", "chair", "deputy", "deputy chair")


def _reply(context: Context, nb: str, en: str, **kwargs: Any) -> Reply:
    text = context.t(nb, en)
    return Reply(text=text, parts=(Section(text),), language=context.language,  # type: ignore[arg-type]
                 intent=kwargs.pop("intent", "agenda"), **kwargs)


def owner_destination(meeting: store.Meeting, settings: Any, session: Session | None = None
                      ) -> str:
    """The owner's DM (a Slack user id, or a directory person's Teams 1:1 chat when Teams is set
    up) or terminal inbox (a person id); without an owner, the secretariat
    (`SECRETARIAT_CHANNEL`, else the operator's terminal)."""
    owner = meeting.owner
    if not owner:
        return secretariat_destination(settings)
    destination = TRANSPORTS.reach_id(owner)
    if destination.startswith("console:") and session is not None:
        from storage.teams import personal_chat  # lazy: see the note at the top

        chat = personal_chat(session, owner)
        if chat is not None and chat.aad_object_id:
            handle = Person(platform="teams", user_id=chat.aad_object_id, person_id=owner)
            destination = next(iter(TRANSPORTS.reach_all([handle], settings)), destination)
    return destination


def is_owner(session: Session, meeting: store.Meeting, person: Person) -> bool:
    if person.is_admin:
        return True
    if meeting.owner and meeting.owner in (person.user_id, person.person_id):
        return True
    if not person.person_id:
        return False
    group = meeting.series.strip().upper().replace(" ", "")
    found = session.scalar(
        select(Membership.id).where(
            Membership.person_id == person.person_id,
            Membership.group_id == group,
            Membership.role.in_(OWNER_ROLES),
        )
    )
    return found is not None


def _split(rest: str) -> tuple[str, str]:
    head, _, tail = rest.strip().partition(" ")
    return head, tail.strip()


def propose(
    context: Context, meeting_id: str, title: str, *, minutes: int = 10,
    presenter: str | None = None, kind: str = "discussion", note: str | None = None,
) -> Reply:
    """Record a proposal and tell the owner; shared by the text command and the Slack modal."""
    from storage import agenda as store  # lazy: see the note at the top

    services = context.services
    sender = context.message.sender
    with services.db.session() as session:
        meeting = store.get_meeting(session, meeting_id)
        proposal = store.add_proposal(
            session, meeting, title=title, proposer=sender.name or sender.user_id,
            proposer_destination=sender.destination, minutes=minutes,
            presenter=presenter, kind=kind, note=note, now=services.clock.now(),
        )
        ask = Reply(
            text=f"Nytt forslag til {esc(meeting.title)}: {esc(proposal.title)}",
            parts=(
                Section(f"*{esc(sender.name or sender.user_id)}* foreslår til "
                        f"*{esc(meeting.title)}*: {esc(proposal.title)} ({proposal.minutes} min)"
                        + (f"\n_{esc(note)}_" if note else "")),
                Choice(prompt=f"Forslag #{proposal.id}", action="agenda_decide",
                       options=(("Godta / Accept", f"accept {proposal.id}"),
                                ("Avslå / Decline", f"decline {proposal.id}"))),
            ),
            intent="proposal",
        )
        outbox.enqueue(session, key=f"proposal:{proposal.id}:owner",
                       destination=owner_destination(meeting, services.settings, session),
                       reply=ask)
        title_text, number = esc(meeting.title), proposal.id
    return _reply(context, f"Takk! Forslaget (#{number}) er sendt til møteeier for «{title_text}».",
                  f"Thanks! Your proposal (#{number}) was sent to the owner of “{title_text}”.")


PROPOSE_CALLBACK = "agenda_propose"  # the "propose an item" form (a Slack modal)


def propose_modal(services: Any, preselect: str | None = None) -> FormModal:
    """The whole proposal at once: which meeting (the next 100), the item, minutes, presenter."""
    from bot.interactions import Field, FormModal, FreeText, NumberEntry, Pick  # lazy: see top
    from storage import agenda as store  # lazy: see the note at the top

    tz = services.settings.timezone
    with services.db.session() as session:
        meetings = store.upcoming_meetings(session, services.clock.now(), limit=100)
        options = tuple(
            (f"{m.start_at.astimezone(tz):%d.%m} {m.title}", str(m.id)) for m in meetings
        )
    chosen = preselect if any(value == preselect for _label, value in options) else None
    return FormModal(
        callback=PROPOSE_CALLBACK,
        title="Foreslå sak",
        submit="Send",
        close="Avbryt",
        fields=(
            Field("meeting", "Møte / Meeting", Pick(options or (("—", "0"),)), initial=chosen),
            Field("title", "Sak / Item", FreeText()),
            Field("minutes", "Minutter / Minutes", NumberEntry(), optional=True),
            Field("presenter", "Innleder / Presenter", FreeText(), optional=True),
            Field("note", "Begrunnelse / Note", FreeText(multiline=True), optional=True),
        ),
    )


def proposal_problems(values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a submitted `propose_modal`, by field (checked before it is acked)."""
    minutes = str(values.get("minutes") or "").strip()
    if minutes and not minutes.isdigit():
        return {"minutes": "Et heltall / a whole number"}
    return {}


def propose_from_modal(context: Context, values: dict[str, Any]) -> Reply:
    """A proposal from a submitted `propose_modal` (after `proposal_problems` found none)."""

    def text(key: str) -> str:
        return str(values.get(key) or "").strip()

    return propose(
        context,
        text("meeting"),
        text("title"),
        minutes=int(text("minutes") or 10),
        presenter=text("presenter") or None,
        note=text("note") or None,
    )


def _tell_proposer(session: Session, proposal: store.Proposal, text: str) -> None:
    if proposal.proposer_destination:
        outbox.enqueue(session, key=f"proposal:{proposal.id}:{proposal.status}",
                       destination=proposal.proposer_destination,
                       reply=Reply(text=text, parts=(Section(text),), intent="proposal"))


def decide(context: Context, proposal_id: str, accept: bool, extra: str = "") -> Reply:
    from commands import posts  # lazy: see the note at the top
    from commands.agenda_views import dot_time  # lazy: see the note at the top
    from storage import agenda as store  # lazy: see the note at the top

    services = context.services
    tz = services.settings.timezone
    with services.db.session() as session:
        proposal = store.get_proposal(session, proposal_id)
        meeting = store.get_meeting(session, proposal.meeting_id)
        if not is_owner(session, meeting, context.message.sender):
            return _reply(context, "Bare møteeier kan avgjøre forslag.",
                          "Only the meeting's owner can decide on proposals.", intent="refused")
        if proposal.status != "pending":
            return _reply(context, f"Forslag #{proposal.id} er allerede {proposal.status}.",
                          f"Proposal #{proposal.id} is already {proposal.status}.")
        proposal.decided_by = context.message.sender.name or context.message.sender.user_id
        if accept:
            words = extra.split()
            minutes = int(words[0]) if words and words[0].isdigit() else proposal.minutes
            position = int(words[-1]) if len(words) >= 2 and words[-1].isdigit() else None
            item = store.add_item(session, meeting, title=proposal.title, minutes=minutes,
                                  presenter=proposal.presenter, kind=proposal.kind,
                                  position=position)
            proposal.status, proposal.item_id = "accepted", item.id
            slot = next(s for s in store.slots(session, meeting, tz) if s.item.id == item.id)
            _tell_proposer(session, proposal,
                           f"Forslaget ditt «{esc(proposal.title)}» er satt på dagsordenen for "
                           f"{esc(meeting.title)} som sak {slot.number} ({dot_time(slot.start)}).")
            posts.refresh_agenda(session, meeting, tz)
            return _reply(context, f"Godtatt: sak {slot.number} {esc(proposal.title)}.",
                          f"Accepted: item {slot.number} {esc(proposal.title)}.")
        proposal.status, proposal.reason = "declined", extra or None
        title = esc(proposal.title)
        _tell_proposer(session, proposal,
                       f"Forslaget ditt «{title}» til {esc(meeting.title)} ble ikke tatt med"
                       + (f": {esc(extra)}" if extra else "."))
        return _reply(context, f"Avslått: {title}.", f"Declined: {title}.")


def _owner_change(context: Context, item_id: str, change: str) -> Reply:
    from commands import posts  # lazy: see the note at the top
    from commands.agenda_views import agenda_reply  # lazy: see the note at the top
    from storage import agenda as store  # lazy: see the note at the top

    tz = context.services.settings.timezone
    with context.services.db.session() as session:
        item = store.get_item(session, item_id)
        meeting = item.meeting
        if not is_owner(session, meeting, context.message.sender):
            return _reply(context, "Bare møteeier kan endre dagsordenen.",
                          "Only the meeting's owner can change the agenda.", intent="refused")
        field, _, value = change.partition(" ")
        if field == "move" and value.strip().isdigit():
            store.move_item(session, item, int(value))
        elif field == "remove":
            store.remove_item(session, item)
        elif field in ("title", "presenter", "minutes", "kind") and value.strip():
            store.edit_item(item, **{field: value.strip()})
        else:
            return _usage(context)
        session.flush()
        posts.refresh_agenda(session, meeting, tz)
        return agenda_reply(session, meeting, tz)


def _usage(context: Context) -> Reply:
    return _reply(
        context,
        "Bruk: `agenda` (møter), `agenda show ID`, `agenda propose ID Tittel | minutter | "
        "innleder`, `agenda proposals`, `agenda accept FORSLAG [minutter] [plass]`, "
        "`agenda decline FORSLAG [grunn]`, `agenda move SAK PLASS`, `agenda edit SAK "
        "title|minutes|presenter|kind VERDI`, `agenda remove SAK`.",
        "Usage: `agenda` (meetings), `agenda show ID`, `agenda propose ID Title | minutes | "
        "presenter`, `agenda proposals`, `agenda accept PROPOSAL [minutes] [position]`, "
        "`agenda decline PROPOSAL [reason]`, `agenda move ITEM POSITION`, `agenda edit ITEM "
        "title|minutes|presenter|kind VALUE`, `agenda remove ITEM`.",
    )


def _list(context: Context) -> Reply:
    from storage import agenda as store  # lazy: see the note at the top

    tz = context.services.settings.timezone
    with context.services.db.session() as session:
        meetings = store.upcoming_meetings(session, context.services.clock.now())
        rows = tuple(
            (str(m.id), m.start_at.astimezone(tz).strftime("%d.%m.%Y %H.%M"), m.series, m.title)
            for m in meetings
        )
    if not rows:
        return _reply(context, "Ingen kommende møter.", "No upcoming meetings.")
    text = "\n".join(" ".join(r) for r in rows)
    table = Table(columns=("#", context.t("Tid", "Time"), context.t("Serie", "Series"),
                           context.t("Møte", "Meeting")), rows=rows)
    return Reply(text=text, parts=(table,), language=context.language,  # type: ignore[arg-type]
                 intent="agenda")


def _proposals(context: Context, meeting_id: str) -> Reply:
    from storage import agenda as store  # lazy: see the note at the top

    with context.services.db.session() as session:
        wanted = int(meeting_id) if meeting_id.isdigit() else None
        pending = store.pending_proposals(session, wanted)
        parts = [
            Choice(prompt=f"#{p.id} {esc(p.title)} ({p.minutes} min) — {esc(p.proposer)}",
                   action="agenda_decide",
                   options=((context.t("Godta", "Accept"), f"accept {p.id}"),
                            (context.t("Avslå", "Decline"), f"decline {p.id}")))
            for p in pending
        ]
    if not parts:
        return _reply(context, "Ingen ventende forslag.", "No pending proposals.")
    return Reply(text=context.t("Ventende forslag", "Pending proposals"), parts=tuple(parts),
                 language=context.language, intent="proposals")  # type: ignore[arg-type]


def _show(context: Context, meeting_id: str) -> Reply:
    from commands.agenda_views import agenda_reply  # lazy: see the note at the top
    from storage import agenda as store  # lazy: see the note at the top

    with context.services.db.session() as session:
        meeting = store.get_meeting(session, meeting_id)
        return agenda_reply(session, meeting, context.services.settings.timezone)


@router.command("agenda", "dagsorden", usage="[vis|foreslå|forslagene|godta|avslå] …",
                usage_en="[show|propose|proposals|accept|decline] …",
                help_nb="møter og dagsordener; foreslå saker",
                help_en="meetings and agendas; propose items")
def agenda_command(context: Context, rest: str) -> Reply:
    from storage import agenda as store  # lazy: see the note at the top

    action, tail = _split(rest)
    action = action.lower()
    try:
        if action in ("", "list", "liste"):
            return _list(context)
        if action.isdigit():
            action, tail = "show", action
        if action in ("show", "vis"):
            return _show(context, tail.split()[0] if tail else "")
        if action in ("propose", "foreslå", "forslag"):
            meeting_id, text = _split(tail)
            fields = [f.strip() for f in text.split("|")]
            if not meeting_id.isdigit() or not fields[0]:
                return _usage(context)
            minutes = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 10
            presenter = fields[2] if len(fields) > 2 and fields[2] else None
            return propose(context, meeting_id, fields[0], minutes=minutes, presenter=presenter)
        if action in ("proposals", "forslagene"):
            return _proposals(context, tail)
        if action in ("accept", "godta", "decline", "avslå"):
            proposal_id, extra = _split(tail)
            return decide(context, proposal_id, action in ("accept", "godta"), extra)
        if action in ("move", "edit", "remove", "flytt", "endre", "fjern"):
            item_id, change = _split(tail)
            verb = {"flytt": "move", "fjern": "remove"}.get(action, action)
            if verb == "move":
                change = f"move {change}"
            elif verb == "remove":
                change = "remove"
            return _owner_change(context, item_id, change)
    except store.AgendaError as exc:
        problem = esc(str(exc))
        return _reply(context, f"Beklager: {problem}.", f"Sorry: {problem}.", intent="error")
    if tail:
        # "agenda template for the kick-off meeting" is a question, not a sub-command; "agenda
        # for the next board meeting" is a meeting question.
        command = meeting_command(context)
        if command is not None:
            meeting_id = command.partition(" ")[2]
            return _show(context, meeting_id) if meeting_id else _list(context)
        return answer(context, context.message.text)
    return _usage(context)


@router.question
def meeting_command(context: Context) -> str | None:
    """A question about meetings as the `agenda` command that answers it: the named (or next)
    meeting's agenda, or the list of upcoming meetings."""
    asked = read_meeting_question(context.message.text)
    if asked is None:
        return None
    if asked.several and not asked.names:
        return "agenda"
    from storage import agenda as store  # lazy: see the note at the top

    services = context.services
    with services.db.shared_session() as session:
        meetings = store.upcoming_meetings(session, services.clock.now())
        ids = [m.id for m in meetings]
        named = [m.id for m in meetings if names_meeting(asked.names, m.series, m.title)]
    if asked.names and not named:
        return None  # a meeting nobody has planned: the search may know it (a template)
    chosen = named or ids
    if not chosen or asked.several:
        return "agenda"
    return f"agenda {chosen[0]}"
