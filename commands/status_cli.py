"""`norcrin-bot status …`: create campaigns, compile reports, check form definitions.

`status new` stores the campaign, its schedules (opening, reminders, deadline) and, with
`--opens now`, opens it at once: the prompts are queued and delivered right away to every surface
configured (the terminal inbox always; Slack DMs when Slack is set up), the rest by the worker.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.forms import FormDefinitionError, load_form_file
from bot.terminal import CliError, cli_tools, iso_local, print_table
from commands.status_campaigns import CampaignError, NewCampaign, local_text
from commands.status_delivery import launch_campaign, summary_reply
from commands.status_report import build_report, to_docx, to_json, to_markdown
from storage.directory import slugify
from storage.forms import campaign_by_name, campaigns, submissions
from storage.outbox import deliver_due


def register_cli(sub: Any) -> None:
    status = sub.add_parser("status", help="work-package status campaigns and reports")
    actions = status.add_subparsers(dest="status_command", required=True, metavar="ACTION")

    new = actions.add_parser("new", help="create (and with --opens now, open) a campaign")
    new.add_argument("--name", required=True, help='e.g. "Spring project meeting 2026"')
    new.add_argument("--deadline", required=True, help="YYYY-MM-DD (end of that day, Oslo time)")
    new.add_argument(
        "--opens",
        default=None,
        help="now, or an ISO time (Oslo time unless it has an offset); default now",
    )
    new.add_argument(
        "--groups",
        default=None,
        help="e.g. AP8,AP9 (default: all work packages and working groups)",
    )
    new.add_argument(
        "--form", default=None, help="a packaged form id or a YAML file (default: wp_status)"
    )
    new.add_argument(
        "--reminders",
        default="7,2,0",
        help="days before the deadline to remind, at 09:00 (default 7,2,0)",
    )
    new.set_defaults(run=cmd_new)

    report = actions.add_parser("report", help="compile a campaign's report")
    report.add_argument("name", help="campaign name (or id)")
    report.add_argument("--format", choices=["md", "docx", "json"], default="md")
    report.add_argument(
        "--output",
        "-o",
        default=None,
        help="file to write (docx default: <campaign>.docx; md/json: stdout)",
    )
    report.add_argument("--language", choices=["nb", "en"], default=None)
    report.set_defaults(run=cmd_report)

    summary = actions.add_parser("summary", help="the deadline summary, as the channel gets it")
    summary.add_argument("name")
    summary.set_defaults(run=cmd_summary)

    listing = actions.add_parser("list", help="campaigns and how many groups have submitted")
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(run=cmd_list)

    check = actions.add_parser("check-form", help="validate a form definition (YAML)")
    check.add_argument("file")
    check.set_defaults(run=cmd_check_form)


def _bot(args: argparse.Namespace, settings: Settings) -> Any:
    return cli_tools(args).open_bot(settings)


def _campaign_or_fail(session: Any, name: str) -> Any:
    campaign = campaign_by_name(session, name)
    if campaign is None:
        raise CliError(f"no status campaign named {name!r} (see `norcrin-bot status list`)")
    return campaign


def cmd_new(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    services = bot.services
    zone = settings.timezone
    try:
        days = tuple(int(d) for d in args.reminders.split(",") if d.strip())
    except ValueError:
        raise CliError(
            f"--reminders {args.reminders!r}: give days as numbers, e.g. 7,2,0"
        ) from None
    spec = NewCampaign(
        name=args.name,
        deadline=args.deadline,
        opens=args.opens,
        groups=args.groups.split(",") if args.groups else None,
        form=args.form,
        reminder_days=days,
    )
    try:
        launched = launch_campaign(services, spec, created_by="cli")
    except (CampaignError, FormDefinitionError) as exc:
        raise CliError(str(exc)) from None
    if launched.queued:
        deliver_due(services)  # the terminal inbox at once; Slack DMs too when configured
    out = sys.stdout
    out.write(f"Campaign {launched.id}: {launched.name}\n")
    out.write(f"  form: {launched.form_id}\n  groups: {', '.join(launched.groups)}\n")
    out.write(f"  opens: {'now' if launched.opened else local_text(launched.opens_at, zone)}\n")
    out.write(f"  deadline: {local_text(launched.deadline_at, zone)} ({zone.key})\n")
    out.write(
        "  reminders: "
        + (", ".join(local_text(r, zone) for r in launched.reminders) or "none")
        + "\n"
    )
    if launched.opened:
        out.write(f"  prompts queued: {launched.queued}\n")
    if launched.leaderless:
        out.write(
            "  no leader in the directory (only admins can answer): "
            f"{', '.join(launched.leaderless)}\n"
        )
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    language = args.language or settings.language
    with bot.services.db.session() as session:
        campaign = _campaign_or_fail(session, args.name)
        report = build_report(session, campaign, settings.timezone, language)
    if args.format == "docx":
        target = Path(args.output or f"{slugify(report.name) or 'status'}.docx")
        to_docx(report, target)
        print(f"Wrote {target}", file=sys.stderr)
        return 0
    text = (
        json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n"
        if args.format == "json"
        else to_markdown(report)
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_summary(args: argparse.Namespace, settings: Settings) -> int:
    bot = _bot(args, settings)
    with bot.services.db.session() as session:
        reply = summary_reply(session, bot.services, _campaign_or_fail(session, args.name))
    cli_tools(args).print_reply(reply)
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    zone = settings.timezone
    bot = _bot(args, settings)
    with bot.services.db.session() as session:
        data: list[dict[str, Any]] = [
            {
                "id": c.id,
                "name": c.name,
                "state": c.state,
                "form": c.form_id,
                "opens_at": iso_local(c.opens_at, zone),
                "deadline": iso_local(c.deadline_at, zone),
                "groups": list(c.groups),
                "submitted": sorted(submissions(session, c.id)),
            }
            for c in campaigns(session)
        ]
        deadlines = [local_text(c.deadline_at, zone) for c in campaigns(session)]
    if args.format == "json":
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print_table(
        ("id", "campaign", "state", "deadline", "submitted"),
        [
            (c["id"], c["name"], c["state"], deadline, f"{len(c['submitted'])}/{len(c['groups'])}")
            for c, deadline in zip(data, deadlines, strict=True)
        ],
    )
    return 0


def cmd_check_form(args: argparse.Namespace, settings: Settings) -> int:
    try:
        form = load_form_file(Path(args.file))
    except FormDefinitionError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.file}: form {form.id!r} with {len(form.questions)} questions is valid")
    return 0
