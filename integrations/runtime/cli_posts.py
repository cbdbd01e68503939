"""`norcrin-bot agenda …`, `news …`, `digest …`: meetings, news and their posts from a shell.

Commands that create something print its id alone on the last line, so scripts can capture it
with `tail -n1`. `agenda post` and `digest post` queue through the outbox and deliver at once,
printing one line per destination (`DEST<TAB>STATUS<TAB>REF-OR-ERROR`); the exit status is 1 if
any destination still failed after its retries (the post stays queued for a worker unless the
failure is permanent).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings, require_graph
from bot.redact import mask_secrets
from bot.terminal import CliError, cli_tools, iso_local, local_time, print_table, shown_destination
from commands import posts
from commands.agenda_views import agenda_ics, agenda_json, agenda_markdown, minutes_markdown
from commands.calendar_import import import_calendar
from commands.news import import_feed
from integrations.feeds import FeedError
from storage import agenda as store
from storage.news import NewsItem, add_news, last_digest, news_as_json
from storage.outbox import DestinationError, deliver_due, get_post, parse_destination


def parse_local(text: str, tz: Any, what: str) -> datetime:
    """`YYYY-MM-DD HH:MM[:SS]`, optionally with an offset; without one it is local (Oslo)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"{what} {text!r}: expected YYYY-MM-DD HH:MM (optionally with an offset)"
        ) from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def destination_arg(value: str) -> str:
    """Bare Slack channel ids are accepted as `slack:ID`."""
    if ":" not in value and value[:1] in "CGD":
        value = f"slack:{value}"
    try:
        parse_destination(value)
    except DestinationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def print_outcomes(outcomes: list[Any], keys: list[str], destinations: dict[str, str]) -> int:
    """One line per destination; 1 if any is not sent."""
    by_key = {o.key: o for o in outcomes}
    failed = False
    for key in keys:
        outcome = by_key.get(key)
        dest = shown_destination(destinations.get(key, key))
        if outcome is None:
            print(f"{dest}\tqueued\t{key}")
            failed = True
            continue
        detail = outcome.ref or "" if outcome.ok else mask_secrets(outcome.error or "")
        print(f"{dest}\t{outcome.status}\t{detail}")
        failed = failed or not outcome.ok
    return 1 if failed else 0


def deliver_now(bot: Any, keys: list[str]) -> list[Any]:
    return deliver_due(bot.services, keys=keys, limit=max(1, len(keys))) if keys else []


# -- agenda -------------------------------------------------------------------------------------


def cmd_agenda(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    tz = settings.timezone
    now = bot.services.clock.now()
    action = args.agenda_action
    edits: list[str] = []
    try:
        with bot.services.db.session() as session:
            if action == "new":
                start = parse_local(args.start, tz, "--start")
                end = parse_local(args.end, tz, "--end") if args.end else None
                meeting = store.create_meeting(
                    session, series=args.series, title=args.title, start=start, end=end,
                    place=args.place, online_url=args.online, destinations=args.channel or [],
                    owner=args.owner, language=args.language or settings.language,
                    post_days_before=args.days_before, default_items=not args.no_defaults,
                    now=now,
                )
                posts.schedule_meeting_posts(session, meeting, now)
                local = meeting.start_at.astimezone(tz)
                print(f"meeting {meeting.series}: {meeting.title} {local:%Y-%m-%d %H:%M}",
                      file=sys.stderr)
                print(meeting.id)
                return 0
            if action == "list":
                meetings = store.upcoming_meetings(session, now, limit=100)
                if args.format == "json":
                    print(json.dumps([{
                        "id": m.id, "series": m.series, "title": m.title,
                        "start": iso_local(m.start_at, tz), "place": m.place,
                        "destinations": [shown_destination(d) for d in m.destinations],
                    } for m in meetings], ensure_ascii=False))
                    return 0
                print_table(("id", "start", "series", "title", "place"), [
                    (m.id, local_time(m.start_at, tz), m.series, m.title, m.place)
                    for m in meetings
                ])
                return 0
            meeting = store.get_meeting(session, args.meeting)
            if action == "add":
                item = store.add_item(
                    session, meeting, title=args.title, minutes=args.minutes,
                    presenter=args.presenter, kind=args.kind, attachments=args.attachment,
                    position=args.position,
                )
                slot = next(s for s in store.slots(session, meeting, tz) if s.item.id == item.id)
                print(f"{slot.number or '-'} {slot.start:%H.%M}-{slot.end:%H.%M} {item.title}",
                      file=sys.stderr)
                edits = posts.refresh_agenda(session, meeting, tz)
                if meeting.schedule_ids:  # the minutes skeleton follows the new end time
                    posts.schedule_meeting_posts(session, meeting, now)
                print(item.id)
            elif action == "show":
                if args.format == "json":
                    print(json.dumps(agenda_json(session, meeting, tz), ensure_ascii=False))
                elif args.format == "ics":
                    sys.stdout.write(agenda_ics(session, meeting, tz, now))
                else:
                    sys.stdout.write(agenda_markdown(session, meeting, tz))
                return 0
            elif action == "minutes":
                sys.stdout.write(minutes_markdown(session, meeting, tz))
                return 0
            elif action == "post":
                keys = posts.publish_agenda(session, meeting, args.to, tz)
                unchanged = [d for d in args.to if posts.agenda_key(meeting.id, d) not in
                             {k.split(":rev")[0] for k in keys}]
                refs = {d: get_post(session, posts.agenda_key(meeting.id, d)) for d in unchanged}
        if action == "post":
            outcomes = deliver_now(bot, keys)
            with bot.services.db.session() as session:
                names = {k: get_post(session, k).destination for k in keys}  # type: ignore[union-attr]
            for dest in unchanged:
                row = refs.get(dest)
                status = row.status if row is not None else "unknown"
                ref = row.sent_ref if row else ""
                print(f"{shown_destination(dest)}\tunchanged ({status})\t{ref}")
            return print_outcomes(outcomes, keys, names)
    except store.AgendaError as exc:
        raise CliError(str(exc)) from None
    if edits:
        deliver_now(bot, edits)
    return 0


def _add_agenda(sub: Any) -> None:
    agenda = sub.add_parser("agenda", help="meetings and agendas")
    actions = agenda.add_subparsers(dest="agenda_action", required=True, metavar="ACTION")

    new = actions.add_parser("new", help="create a meeting; prints its id")
    new.add_argument("--series", required=True, help='e.g. "Board", "Project meeting", "AP8"')
    new.add_argument("--title", required=True)
    new.add_argument("--start", required=True, help='"YYYY-MM-DD HH:MM" (Europe/Oslo)')
    new.add_argument("--end", help='"YYYY-MM-DD HH:MM"')
    new.add_argument("--place")
    new.add_argument("--online", metavar="URL", help="video meeting link")
    new.add_argument("--channel", action="append", type=destination_arg,
                     help="where the agenda is posted (repeatable): slack:C…, teams:T/C, …")
    new.add_argument("--owner", help="person id or Slack user id who decides on proposals")
    new.add_argument("--language", choices=["nb", "en"])
    new.add_argument("--days-before", type=int, default=7, help="post the agenda N days before")
    new.add_argument("--no-defaults", action="store_true", help="no standard opening items")

    add = actions.add_parser("add", help="add an agenda item; prints its id")
    add.add_argument("meeting")
    add.add_argument("--title", required=True)
    add.add_argument("--minutes", type=int, required=True)
    add.add_argument("--presenter")
    add.add_argument("--kind", default="decision",
                     choices=["decision", "discussion", "orientation", "break"])
    add.add_argument("--attachment", action="append", metavar="URL")
    add.add_argument("--position", type=int, help="1-based place in the agenda")

    show = actions.add_parser("show", help="print an agenda")
    show.add_argument("meeting")
    show.add_argument("--format", choices=["md", "ics", "json"], default="md")

    minutes = actions.add_parser("minutes", help="print a minutes skeleton (Markdown)")
    minutes.add_argument("meeting")

    post = actions.add_parser("post", help="post (or update in place) an agenda now")
    post.add_argument("meeting")
    post.add_argument("--to", action="append", required=True, type=destination_arg)

    listing = actions.add_parser("list", help="upcoming meetings")
    listing.add_argument("--format", choices=["table", "json"], default="table")

    imp = actions.add_parser("import-calendar", help="read meetings from a Graph calendar")
    imp.add_argument("--user", required=True, help="mailbox (UPN or id) whose calendar to read")
    imp.add_argument("--days", type=int, default=180)
    imp.add_argument("--series", default=None, help="series for all events (default: guessed)")
    imp.add_argument("--channel", action="append", type=destination_arg)
    agenda.set_defaults(run=_route_agenda)


def _route_agenda(args: argparse.Namespace, settings: Settings) -> int:
    if args.agenda_action == "import-calendar":
        return cmd_import_calendar(args, settings)
    return cmd_agenda(args, settings)


def cmd_import_calendar(args: argparse.Namespace, settings: Settings) -> int:
    require_graph(settings)
    bot = cli_tools(args).open_bot(settings)
    now = bot.services.clock.now()
    report = import_calendar(bot.services, user=args.user, start=now,
                             end=now + timedelta(days=args.days), series=args.series,
                             destinations=args.channel or [])
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"added {len(report.added)}, updated {len(report.updated)}, unchanged "
          f"{report.unchanged}, skipped {len(report.problems)}")
    return 0


# -- news and digests ---------------------------------------------------------------------------


def cmd_news(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    now = bot.services.clock.now()
    if args.news_action == "add":
        published = parse_local(args.published, settings.timezone, "--published") \
            if args.published else now
        try:
            with bot.services.db.session() as session:
                item, created = add_news(session, title=args.title, link=args.url,
                                         published=published, summary=args.summary, now=now)
                item_id = item.id
        except ValueError as exc:
            raise CliError(str(exc)) from None
        if not created:
            print(f"already known: {args.url}", file=sys.stderr)
        print(item_id)
        return 0
    if args.news_action == "import":
        try:
            report = import_feed(bot.services, args.source)
        except FeedError as exc:
            raise CliError(str(exc)) from None
        for problem in report.skipped:
            print(f"skipped {problem}", file=sys.stderr)
        print(f"imported {len(report.added)}, already known {report.duplicates}, "
              f"skipped {len(report.skipped)}")
        return 0


    with bot.services.db.session() as session:
        items = [news_as_json(item, settings.timezone) for item in session.scalars(
            select(NewsItem).order_by(NewsItem.published_at.desc()).limit(args.limit))]
    if args.format == "json":
        print(json.dumps(items, ensure_ascii=False))
    else:
        print_table(("id", "date", "title", "link"),
                    [(i["id"], i["date"], i["title"], i["link"]) for i in items])
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    bot = cli_tools(args).open_bot(settings)
    tz = settings.timezone
    now = bot.services.clock.now()
    language = args.language or settings.language
    if args.digest_action == "preview":
        with bot.services.db.session() as session:
            items = posts.preview_items(session)
            previous = last_digest(session)
            if args.format == "json":
                data = {
                    "since": iso_local(previous.created_at, tz) if previous else None,
                    "items": [news_as_json(item, tz) for item in items],
                }
                print(json.dumps(data, ensure_ascii=False))
            else:
                sys.stdout.write(posts.digest_markdown(items, language, tz))
        return 0
    with bot.services.db.session() as session:
        digest, keys = posts.queue_digest(
            session, key=f"cli:{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}", destinations=args.to,
            now=now, language=language, tz=tz, min_items=1,
        )
    if digest is None:
        print("no new news items since the previous digest; nothing posted", file=sys.stderr)
        return 0
    names = dict(zip(keys, args.to, strict=True))
    print(f"digest {digest.id}: {len(digest.item_ids)} items", file=sys.stderr)
    return print_outcomes(deliver_now(bot, keys), keys, names)


def _add_news(sub: Any) -> None:
    news = sub.add_parser("news", help="news items for digests")
    actions = news.add_subparsers(dest="news_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a news item; prints its id")
    add.add_argument("--title", required=True)
    add.add_argument("--url", required=True)
    add.add_argument("--published", help="ISO date or date-time (default: now)")
    add.add_argument("--summary")
    imp = actions.add_parser("import", help="import an RSS/Atom feed (URL or file)")
    imp.add_argument("source", metavar="FEED-URL-OR-FILE")
    lst = actions.add_parser("list", help="newest items")
    lst.add_argument("--limit", type=int, default=30)
    lst.add_argument("--format", choices=["table", "json"], default="table")
    news.set_defaults(run=cmd_news)

    digest = sub.add_parser("digest", help="news digests")
    dactions = digest.add_subparsers(dest="digest_action", required=True, metavar="ACTION")
    preview = dactions.add_parser("preview", help="what the next digest would contain")
    preview.add_argument("--format", choices=["md", "json"], default="md")
    preview.add_argument("--language", choices=["nb", "en"])
    post = dactions.add_parser("post", help="post a digest now")
    post.add_argument("--to", action="append", required=True, type=destination_arg)
    post.add_argument("--language", choices=["nb", "en"])
    digest.set_defaults(run=cmd_digest)


def register_cli(sub: Any) -> None:
    _add_agenda(sub)
    _add_news(sub)
