"""`status`: work-package status through a conversational form, one question at a time.

An open filling claims the respondent's direct messages (the router's interceptor) while they are
filling it in: each message answers the current question, except a plain question or a whole bot
command (answered as such, then the question is asked again); after `FORM_IDLE_MINUTES` the
filling pauses and messages are handled as usual. `status` starts or resumes the person's pending
form and asks which group when they answer for several. State is loaded, stepped, saved and
committed before the replies are returned, so a crash between two messages loses nothing and any
process resumes it.

The router (the `status` command, the interceptor and the App Home section) is
`commands.status_router`, which imports this module only when a status command runs, a form is
open or an App Home is drawn.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot import form_engine
from bot.core import Services
from bot.form_engine import FillState
from bot.forms import FormDefinitionError
from bot.i18n import t
from bot.interactions import FormModal
from bot.markup import esc
from bot.replies import Heading, Note, Person, Reply, Section
from bot.router import Context, may, refused
from commands.status_campaigns import (
    CampaignError,
    NewCampaign,
    Pending,
    accepting,
    answer_window,
    campaign_form,
    default_scope,
    finish_filling,
    group_people,
    is_idle,
    local_text,
    may_answer,
    open_filling,
    packaged_forms,
    pending_for,
    reactivate,
    refusal_text,
    respondent_key,
    save_submission,
    sort_groups,
)
from commands.status_messages import (
    campaign_modal,
    chooser_reply,
    form_modal,
    modal_target,
    question_reply,
    saved_text,
    show_reply,
    start_buttons,
    status_table,
    submitted_reply,
    waiting_note,
)
from storage import directory
from storage.forms import (
    ACTIVE,
    CANCELLED,
    PAUSED,
    StatusCampaign,
    StatusChooser,
    StatusFilling,
    active_filling,
    open_campaigns,
    submission,
    submissions,
)
from storage.forms import filling as find_filling

# Launching a campaign and compiling its report (status_delivery, status_report, with the
# schedule and Teams tables) are imported by the functions that do it: the chat commands, forms
# and modals need this module, and only those two the rest.

_GROUP = re.compile(r"^(?:ap|wp|arbeidspakke|work package)?\s*(\d{1,2})$|^([a-z]{2,10})$")
_TABLE_WORDS = {"table", "tabell", "oversikt", "overview", "live", "list", "liste"}



def _reply(text: str, language: str, *parts: Any, intent: str = "status") -> Reply:
    return Reply(
        text=text,
        parts=parts or (Section(text),),
        language=language,  # type: ignore[arg-type]
        intent=intent,
    )


def _today(services: Services) -> date:
    return services.clock.now().astimezone(services.settings.timezone).date()


# -- starting -------------------------------------------------------------------------------------


def _normalise_group(session: Session, text: str) -> str | None:
    word = " ".join(text.strip().lower().split())
    match = _GROUP.match(word)
    if not match:
        return None
    candidate = f"AP{int(match.group(1))}" if match.group(1) else (match.group(2) or "").upper()
    return candidate if directory.group(session, candidate) is not None else None


def _campaign_for_group(
    session: Session, group_id: str, now: Any, campaign_id: int | None = None
) -> StatusCampaign | None:
    candidates = [c for c in open_campaigns(session, now) if group_id in c.groups]
    if campaign_id is not None:
        candidates = [c for c in candidates if c.id == campaign_id]
    unsubmitted = [c for c in candidates if submission(session, c.id, group_id) is None]
    return next(iter(unsubmitted or candidates), None)


def start_for_group(
    services: Services, person: Person, group_id: str, language: str, campaign_id: int | None = None
) -> list[Reply]:
    """Start, resume or re-open (to edit) the person's form for one group."""
    now = services.clock.now()
    with services.db.session() as session:
        session.query(StatusChooser).filter_by(respondent=respondent_key(person)).delete()
        campaign = _campaign_for_group(session, group_id, now, campaign_id)
        if campaign is None:
            return [
                _reply(
                    t(
                        language,
                        f"Det er ingen åpen statusrunde for {group_id} nå.",
                        f"There is no open status round for {group_id} right now.",
                    ),
                    language,
                )
            ]
        if not may_answer(session, person, group_id):
            return [_reply(refusal_text(session, group_id, language), language, intent="refused")]
        row, outcome = open_filling(session, campaign, group_id, person, now, language)
        form = campaign_form(campaign)
        title = group_people(session, group_id, language).title
        intro = {
            "new": t(
                language,
                f"Status for *{esc(title)}* til «{esc(campaign.name)}» "
                f"(frist {local_text(campaign.deadline_at, services.settings.timezone)}).",
                f"Status for *{esc(title)}* for “{esc(campaign.name)}” "
                f"(deadline {local_text(campaign.deadline_at, services.settings.timezone)}).",
            ),
            "resumed": t(
                language,
                f"Vi fortsetter der du slapp: *{esc(title)}*, «{esc(campaign.name)}».",
                f"Picking up where you left off: *{esc(title)}*, “{esc(campaign.name)}”.",
            ),
            "editing": t(
                language,
                f"*{esc(title)}* er allerede sendt inn til «{esc(campaign.name)}». Du kan endre "
                "svarene fram til fristen; endringene lagres med historikk.",
                f"*{esc(title)}* is already submitted for “{esc(campaign.name)}”. You can change "
                "the answers until the deadline; changes are kept in the history.",
            ),
        }[outcome]
        state = FillState(dict(row.answers), row.current)
        return [question_reply(form, state, language, filling_id=row.id, heading=intro)]


def _choose(
    services: Services, person: Person, pending: list[Pending], language: str
) -> list[Reply]:
    """Ask which group; the choice is persisted so the next message (a number) is understood."""
    now = services.clock.now()
    options = [
        (f"{p.group_title} – {p.campaign_name}", f"{p.campaign_id}:{p.group_id}") for p in pending
    ]
    with services.db.session() as session:
        row = session.get(StatusChooser, respondent_key(person))
        if row is None:
            row = StatusChooser(respondent=respondent_key(person), created_at=now, options=[])
            session.add(row)
        row.options = [[p.campaign_id, p.group_id] for p in pending]
        row.language = language
        row.created_at = now
    return [chooser_reply(options, language)]


def _resolve_choice(session: Session, row: StatusChooser, text: str) -> tuple[int, str] | None:
    word = text.strip().lower().rstrip(".")
    options = [(int(c), str(g)) for c, g in row.options]
    if word.isdigit() and 1 <= int(word) <= len(options):
        return options[int(word) - 1]
    group_id = _normalise_group(session, word)
    matches = [o for o in options if o[1] == group_id]
    if matches:
        return matches[0]
    if ":" in word:  # a button value "campaign:group"
        campaign, _, group = text.strip().partition(":")
        if campaign.isdigit() and (int(campaign), group) in options:
            return int(campaign), group
    return None


def _pending_list(services: Services, person: Person, language: str) -> list[Any]:
    now = services.clock.now()
    zone = services.settings.timezone
    with services.db.session() as session:
        pending = pending_for(session, person, now, language)
    parts: list[Any] = []
    for p in pending:
        parts.append(
            Section(
                t(
                    language,
                    f"*{esc(p.group_title)}* – «{esc(p.campaign_name)}», frist "
                    f"{local_text(p.deadline_at, zone)}",
                    f"*{esc(p.group_title)}* – “{esc(p.campaign_name)}”, deadline "
                    f"{local_text(p.deadline_at, zone)}",
                )
            )
        )
        parts.append(start_buttons(p.campaign_id, p.group_id, language))
    return parts


def live_table(services: Services, language: str) -> list[Any]:
    """Every open (or scheduled) campaign's groups: who submitted, when, any deviations."""
    from commands.status_report import build_report  # lazy: see the note above `router`

    zone = services.settings.timezone
    parts: list[Any] = []
    now = services.clock.now()
    with services.db.session() as session:
        rows = [
            c
            for c in session.query(StatusCampaign).order_by(StatusCampaign.deadline_at)
            if c.state != "closed" and c.deadline_at > now
        ]
        for campaign in rows:
            report = build_report(session, campaign, zone, language)
            table_rows = [
                (
                    g.id,
                    ", ".join(n.split(" (")[0] for n in g.leaders) or "—",
                    g.submitted_by or "—",
                    local_text(g.submitted_at, zone) if g.submitted_at else "—",
                    report.deviations(g),
                )
                for g in report.groups
            ]
            state = (
                t(language, "åpen", "open")
                if campaign.state == "open"
                else t(
                    language,
                    f"åpner {local_text(campaign.opens_at, zone)}",
                    f"opens {local_text(campaign.opens_at, zone)}",
                )
            )
            title = t(
                language,
                f"«{esc(campaign.name)}» – {state}, frist {local_text(campaign.deadline_at, zone)}"
                f" – {report.submitted_count} av {len(report.groups)} sendt inn",
                f"“{esc(campaign.name)}” – {state}, deadline "
                f"{local_text(campaign.deadline_at, zone)} – {report.submitted_count} of "
                f"{len(report.groups)} submitted",
            )
            parts.append(status_table(table_rows, title, language))
    return parts


def status_command(ctx: Context, rest: str) -> list[Reply]:
    """`status` (routed by `commands.status_router`)."""
    services, person, language = ctx.services, ctx.message.sender, ctx.language
    word = rest.strip().lower()
    if word.startswith(("new", "ny")) and (
        word in ("new", "ny") or word.startswith(("new ", "ny "))
    ):
        text = t(
            language,
            "Nye statusrunder lages med `/norcrin status new` i Slack eller "
            "`norcrin-bot status new --name NAVN --deadline ÅÅÅÅ-MM-DD` i terminalen.",
            "Create status rounds with `/norcrin status new` in Slack or "
            "`norcrin-bot status new --name NAME --deadline YYYY-MM-DD` in the terminal.",
        )
        return [_reply(text, language)]
    if word in _TABLE_WORDS or (not word and ctx.slash_command):
        return [_overview(ctx)]
    if word:
        with services.db.session() as session:
            group_id = _normalise_group(session, word)
        if group_id is None:
            return [
                _reply(
                    t(
                        language,
                        f"Jeg kjenner ingen gruppe «{esc(rest)}». Prøv f.eks. status AP8.",
                        f"I know no group “{esc(rest)}”. Try e.g. status AP8.",
                    ),
                    language,
                )
            ]
        return start_for_group(services, person, group_id, language)

    now = services.clock.now()
    with services.db.session() as session:
        key = respondent_key(person)
        current = active_filling(session, key, now)
        pending = pending_for(session, person, now, language)
        paused = {
            (f.campaign_id, f.group_id)
            for f in session.query(StatusFilling).filter_by(respondent=key)
            if f.status != CANCELLED and f.answers
        }
    if current is not None:
        return start_for_group(services, person, current.group_id, language, current.campaign_id)
    if len(pending) == 1:
        return start_for_group(
            services, person, pending[0].group_id, language, pending[0].campaign_id
        )
    if len(pending) > 1:
        pending.sort(key=lambda p: (p.campaign_id, p.group_id) not in paused)
        return _choose(services, person, pending, language)
    if person.is_admin:
        return [_overview(ctx)]
    return [
        _reply(
            t(
                language,
                "Du har ingen statusskjema å fylle ut nå. Innsendte kan endres med "
                "«status GRUPPE» fram til fristen.",
                "You have no status forms to fill in right now. Submitted ones can be "
                "changed with “status GROUP” until the deadline.",
            ),
            language,
        )
    ]


def _overview(ctx: Context) -> Reply:
    services, person, language = ctx.services, ctx.message.sender, ctx.language
    parts: list[Any] = []
    if person.is_admin:
        parts += live_table(services, language)
        if not parts:
            parts.append(
                Section(t(language, "Ingen åpne statusrunder.", "No open status rounds."))
            )
    mine = _pending_list(services, person, language)
    if mine:
        parts.insert(0, Heading(t(language, "Dine statusskjema", "Your status forms")))
        parts[1:1] = mine
    if not parts:
        parts.append(
            Section(
                t(
                    language,
                    "Du har ingen statusskjema å fylle ut nå.",
                    "You have no status forms to fill in right now.",
                )
            )
        )
    text = t(language, "Statusrunder", "Status rounds")
    return Reply(text=text, parts=tuple(parts), language=language, intent="status")  # type: ignore[arg-type]


# -- answering -----------------------------------------------------------------------------------


def _submit(
    session: Session,
    services: Services,
    person: Person,
    row: StatusFilling,
    answers: dict[str, Any],
    language: str,
) -> list[Reply]:
    campaign = session.get(StatusCampaign, row.campaign_id)
    assert campaign is not None
    now = services.clock.now()
    if not accepting(campaign, now):
        return [
            _reply(
                t(
                    language,
                    "Fristen er ute; svarene kan ikke sendes inn lenger.",
                    "The deadline has passed; the answers can no longer be submitted.",
                ),
                language,
            )
        ]
    if not may_answer(session, person, row.group_id):
        row.status = CANCELLED
        return [_reply(refusal_text(session, row.group_id, language), language, intent="refused")]
    first = submission(session, campaign.id, row.group_id) is None
    _saved, diff = save_submission(session, campaign, row.group_id, person, answers, now)
    finish_filling(row, answers, now)
    title = group_people(session, row.group_id, language).title
    return [submitted_reply(title, campaign.name, language, diff, first)]


def _filling_for(
    session: Session, services: Services, person: Person, filling_id: int | None
) -> tuple[StatusFilling, StatusCampaign] | None:
    """The person's active filling (or the one a button names, even if paused) and its campaign."""
    now = services.clock.now()
    key = respondent_key(person)
    row = (
        session.get(StatusFilling, filling_id)
        if filling_id is not None
        else active_filling(session, key, now)
    )
    if row is None or row.respondent != key:
        return None
    if row.status != ACTIVE and not (filling_id is not None and row.status == PAUSED):
        return None
    campaign = session.get(StatusCampaign, row.campaign_id)
    if campaign is None or not accepting(campaign, now):
        return None
    if row.status == PAUSED:  # a button on a paused form takes it up again
        reactivate(session, row, now)
    return row, campaign


def apply_text(
    services: Services,
    person: Person,
    text: str,
    language: str | None = None,
    *,
    filling_id: int | None = None,
) -> list[Reply] | None:
    """Apply one message to the person's active filling; None when they have none."""
    with services.db.session() as session:
        found = _filling_for(session, services, person, filling_id)
        if found is None:
            return None
        row, campaign = found
        form = campaign_form(campaign)
        lang = row.language or language or services.settings.language
        state = FillState(dict(row.answers), row.current)
        window = answer_window(campaign, services.settings.timezone)
        step = form_engine.step(form, state, text, lang, _today(services), window)
        return _finish_step(session, services, person, row, form, step, lang)


def apply_choice(
    services: Services, person: Person, filling_id: int, question_id: str, value: str
) -> list[Reply]:
    """A Choice button in a Slack DM; a stale button gets the current question back."""
    now = services.clock.now()
    language = services.settings.language
    with services.db.session() as session:
        row = session.get(StatusFilling, filling_id)
        if row is None or row.respondent != respondent_key(person) or row.status not in (
            ACTIVE,
            PAUSED,
        ):
            return [
                _reply(
                    t(
                        language,
                        "Dette skjemaet er ikke åpent lenger. Skriv «status».",
                        "This form is no longer open. Say “status”.",
                    ),
                    language,
                )
            ]
        campaign = session.get(StatusCampaign, row.campaign_id)
        if campaign is None or not accepting(campaign, now):
            return [_reply(t(language, "Fristen er ute.", "The deadline has passed."), language)]
        if row.status == PAUSED:
            reactivate(session, row, now)
        form = campaign_form(campaign)
        lang = row.language or language
        step = form_engine.answer_choice(
            form,
            FillState(dict(row.answers), row.current),
            question_id,
            value,
            lang,
            _today(services),
            answer_window(campaign, services.settings.timezone),
        )
        return _finish_step(session, services, person, row, form, step, lang)


def _finish_step(
    session: Session,
    services: Services,
    person: Person,
    row: StatusFilling,
    form: Any,
    step: form_engine.Step,
    language: str,
) -> list[Reply]:
    """Persist the step, then say what happened (the session commits before anything is sent)."""
    now = services.clock.now()
    row.answers = dict(step.state.answers)
    row.current = step.state.current
    row.updated_at = now
    if step.event == "cancel":
        row.status = CANCELLED
        row.answers = {}
        row.current = None
        return [
            _reply(
                t(
                    language,
                    "Avbrutt; ingenting er sendt inn. Skriv «status» for å begynne på nytt.",
                    "Cancelled; nothing was submitted. Say “status” to start again.",
                ),
                language,
            )
        ]
    if step.event == "submit":
        return _submit(session, services, person, row, step.state.answers, language)
    if step.event == "show":
        return [show_reply(form, step.state, language)]
    error = step.error if step.event in ("invalid", "refused") else None
    saved = (
        saved_text(form, step.recorded, step.state.answers.get(step.recorded), language)
        if step.recorded
        else None
    )
    return [
        question_reply(form, step.state, language, filling_id=row.id, error=error, saved=saved)
    ]


def _is_status_command(session: Session, text: str) -> bool:
    """`status`, `status AP8`, `status tabell` — the whole message, not "Status er at …"."""
    words = text.strip().lower().rstrip(".!").split()
    if not words or words[0].lstrip("/") != "status":
        return False
    rest = " ".join(words[1:])
    return (
        not rest
        or rest in _TABLE_WORDS
        or rest in ("new", "ny")
        or (len(words) <= 3 and _normalise_group(session, rest) is not None)
    )


def _form_turn(ctx: Context) -> list[Reply] | None:
    """One direct message while a form is open: an answer, an aside, or the end of an idle pause.

    After `FORM_IDLE_MINUTES` without an answer the filling is paused (persisted, so any process
    sees it) and the message is handled as usual with a note that the form waits. A plain
    question or a whole bot command is answered as such and the current question asked again;
    nothing is recorded. Everything else is an answer.
    """
    services, person, text = ctx.services, ctx.message.sender, ctx.message.text
    now = services.clock.now()
    with services.db.session() as session:
        if _is_status_command(session, text):
            return None  # the command resumes (or switches) the filling, saying where it picks up
        found = _filling_for(session, services, person, None)
        if found is None:
            return None
        row, campaign = found
        form = campaign_form(campaign)
        lang = row.language or ctx.language
        state = FillState(dict(row.answers), row.current)
        if is_idle(row, now, services.settings.form_idle_minutes):
            row.status = PAUSED
            title = group_people(session, row.group_id, lang).title
            after = waiting_note(form, state, title, lang)
        elif form_engine.aside_of(text) is not None:
            row.updated_at = now  # still here: the pause is counted from now
            after = question_reply(form, state, lang, filling_id=row.id)
        else:
            window = answer_window(campaign, services.settings.timezone)
            step = form_engine.step(form, state, text, lang, _today(services), window)
            return _finish_step(session, services, person, row, form, step, lang)
    return [*ctx.bot.dispatch(ctx), after]


def claimed_message(ctx: Context) -> list[Reply] | None:
    """A direct message that a pending "which group?" or an active filling claims (the check is
    `commands.status_router.claim_message`): the choice, or one turn of the form."""
    message = ctx.message
    services, person = ctx.services, message.sender
    key = respondent_key(person)
    with services.db.session() as session:
        chooser = session.get(StatusChooser, key)
        choice = None
        if chooser is not None:
            choice = _resolve_choice(session, chooser, message.text)
            language = chooser.language
            session.delete(chooser)
    if choice is not None:
        return start_for_group(services, person, choice[1], language, choice[0])
    return _form_turn(ctx)


def home_section(ctx: Context) -> list[Any]:
    """The App Home: the person's pending forms with start buttons (and counts for admins);
    routed by `commands.status_router`."""
    services, person, language = ctx.services, ctx.message.sender, ctx.language
    parts: list[Any] = []
    mine = _pending_list(services, person, language)
    if mine:
        parts.append(
            Heading(t(language, "Statusskjema som venter på deg", "Status forms waiting for you"))
        )
        parts += mine
    if person.is_admin:
        now = services.clock.now()
        with services.db.session() as session:
            lines = []
            for campaign in open_campaigns(session, now):
                done = len(submissions(session, campaign.id))
                missing = [
                    g
                    for g in sort_groups(campaign.groups)
                    if g not in submissions(session, campaign.id)
                ]
                lines.append(
                    t(
                        language,
                        f"«{esc(campaign.name)}»: {done} av {len(campaign.groups)} sendt inn; "
                        f"mangler {', '.join(missing) or 'ingen'}",
                        f"“{esc(campaign.name)}”: {done} of {len(campaign.groups)} submitted; "
                        f"missing {', '.join(missing) or 'none'}",
                    )
                )
        if lines:
            parts.append(Heading(t(language, "Statusrunder", "Status rounds")))
            parts.append(Section("\n".join(lines)))
            parts.append(
                Note(t(language, "Full tabell: /norcrin status", "Full table: /norcrin status"))
            )
    return parts


# -- the whole form at once (Slack modal) ---------------------------------------------------------


def modal_for(
    services: Services, person: Person, campaign_id: int, group_id: str, language: str
) -> FormModal | Reply:
    """The whole form for a modal, prefilled (the open filling, else the submission), or a Reply
    saying why not."""
    now = services.clock.now()
    with services.db.session() as session:
        campaign = session.get(StatusCampaign, campaign_id)
        if campaign is None or not accepting(campaign, now) or group_id not in campaign.groups:
            return _reply(
                t(language, "Denne statusrunden er ikke åpen.", "This status round is not open."),
                language,
            )
        if not may_answer(session, person, group_id):
            return _reply(refusal_text(session, group_id, language), language, intent="refused")
        row = find_filling(session, campaign_id, group_id, respondent_key(person))
        done = submission(session, campaign_id, group_id)
        answers = (
            dict(row.answers)
            if row is not None and row.status == ACTIVE and row.answers
            else dict(done.answers)
            if done is not None
            else {}
        )
        title = group_people(session, group_id, language).title
        deadline = local_text(campaign.deadline_at, services.settings.timezone)
        intro = t(
            language,
            f"*{esc(title)}* – «{esc(campaign.name)}», frist {deadline}.",
            f"*{esc(title)}* – “{esc(campaign.name)}”, deadline {deadline}.",
        )
        return form_modal(
            campaign_form(campaign),
            answers,
            language,
            campaign_id=campaign_id,
            group_id=group_id,
            intro=intro,
        )


def submit_modal(
    services: Services, person: Person, metadata: str, raw: dict[str, Any], language: str
) -> tuple[dict[str, str], list[Reply]]:
    """A submitted form modal (`form_modal`): its metadata names the campaign and group."""
    campaign_id, group_id = modal_target(metadata)
    return submit_answers(services, person, campaign_id, group_id, raw, language)


def submit_answers(
    services: Services,
    person: Person,
    campaign_id: int,
    group_id: str,
    raw: dict[str, Any],
    language: str,
) -> tuple[dict[str, str], list[Reply]]:
    """Validate and save a whole form; (errors by question id, replies to send afterwards)."""
    now = services.clock.now()
    with services.db.session() as session:
        campaign = session.get(StatusCampaign, campaign_id)
        form = campaign_form(campaign) if campaign is not None else None
        first_id = form.questions[0].id if form else "status"
        if campaign is None or not accepting(campaign, now):
            return {
                first_id: t(language, "Statusrunden er stengt.", "The status round is closed.")
            }, []
        if not may_answer(session, person, group_id):
            return {first_id: refusal_text(session, group_id, language)}, []
        assert form is not None
        answers, errors = form_engine.validate_all(
            form,
            raw,
            language,
            _today(services),
            answer_window(campaign, services.settings.timezone),
        )
        if errors:
            return errors, []
        first = submission(session, campaign_id, group_id) is None
        _row, diff = save_submission(session, campaign, group_id, person, answers, now)
        row = find_filling(session, campaign_id, group_id, respondent_key(person))
        if row is not None:
            finish_filling(row, answers, now)
        title = group_people(session, group_id, language).title
        return {}, [submitted_reply(title, campaign.name, language, diff, first)]


def campaign_modal_for(services: Services, person: Person, language: str) -> FormModal | Reply:
    """The "new status round" form for an admin; others get a refusal."""
    if not may(person):
        return refused(language)
    with services.db.session() as session:
        groups = default_scope(session)
    return campaign_modal(groups, list(packaged_forms()), language)


def create_from_modal(
    services: Services, person: Person, values: dict[str, Any], language: str
) -> Reply | dict[str, str]:
    """A campaign from the submitted `campaign_modal`: the confirmation, or messages by field."""
    from commands.status_delivery import launch_campaign, launched_reply  # lazy: see `router`

    if not may(person):
        return {"name": refused(language).text}
    groups = values.get("groups")
    spec = NewCampaign(
        name=str(values.get("name") or ""),
        deadline=str(values.get("deadline") or ""),
        opens=values.get("opens") or None,
        groups=groups if isinstance(groups, list) and groups else None,
        form=values.get("form") or None,
    )
    try:
        launched = launch_campaign(services, spec, created_by=person.name or person.user_id)
    except CampaignError as exc:
        return {exc.field: str(exc)}
    except FormDefinitionError as exc:
        return {"form": str(exc)}
    return launched_reply(launched, services.settings.timezone, services.settings.language)
