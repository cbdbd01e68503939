"""News in chat (`news`, `news add Title | URL | summary`) and the feed import behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.intents import WordSet, any_phrase, tokens
from bot.markup import esc
from bot.ports import FeedError
from bot.replies import Reply, Section
from bot.router import Context, Router
from bot.text import FOLDED_STOPWORDS

if TYPE_CHECKING:
    from bot.core import Services
    from storage.news import ImportReport

# The news tables and the digest machinery (storage.news, posts) are imported by the functions
# that use them: every chat answer and CLI call loads this module for its router.

router = Router()


def import_feed(services: Services, source: str | None = None) -> ImportReport:
    """Import a feed (default NEWS_FEED_URL); malformed entries are reported and skipped."""
    from storage.news import ImportReport, add_news  # lazy: see the note at the top

    source = source or services.settings.news_feed_url
    if not source:
        raise FeedError("no feed given and NEWS_FEED_URL is not set")
    settings = services.settings
    entries, problems = services.feeds(source, max_bytes=settings.news_feed_max_bytes,
                                      deadline=settings.news_feed_timeout)
    report = ImportReport(skipped=list(problems))
    now = services.clock.now()
    with services.db.session() as session:
        for entry in entries:
            item, created = add_news(session, title=entry.title, link=entry.link,
                                     published=entry.published, summary=entry.summary,
                                     guid=entry.guid, source="feed", now=now)
            if created:
                report.added.append(item.id)
            else:
                report.duplicates += 1
    return report


def _text(context: Context, nb: str, en: str, intent: str = "news") -> Reply:
    text = context.t(nb, en)
    return Reply(text=text, parts=(Section(text),), language=context.language,  # type: ignore[arg-type]
                 intent=intent)


@router.command("news add", "nyheter legg", "news legg", "nyheter add",
                usage="Tittel | URL | sammendrag", usage_en="Title | URL | summary",
                help_nb="legg en nyhet i neste nyhetsbrev",
                help_en="add an item to the next digest",
                admin_only=True)
def news_add(context: Context, rest: str) -> Reply:
    from storage.news import add_news  # lazy: see the note at the top

    services = context.services
    fields = [f.strip() for f in rest.split("|")]
    if len(fields) < 2:
        return _text(context, "Bruk: `news add Tittel | https://… | sammendrag`",
                     "Usage: `news add Title | https://… | summary`")
    try:
        with services.db.session() as session:
            item, created = add_news(
                session, title=fields[0], link=fields[1],
                summary=fields[2] if len(fields) > 2 and fields[2] else None,
                published=services.clock.now(), now=services.clock.now(),
            )
            item_id = item.id
    except ValueError as exc:
        return _text(context, f"Beklager: {esc(str(exc))}", f"Sorry: {esc(str(exc))}", "error")
    if not created:
        return _text(context, f"Den saken kjenner jeg allerede (#{item_id}).",
                     f"I already have that item (#{item_id}).")
    return _text(context, f"Lagt til (#{item_id}); kommer med i neste nyhetsbrev.",
                 f"Added (#{item_id}); it will be in the next digest.")


@router.command("news", "nyheter", help_nb="nyhetene som venter på neste nyhetsbrev",
                help_en="the news waiting for the next digest")
def news_command(context: Context, rest: str) -> Reply:
    from commands import posts  # lazy: see the note at the top

    services = context.services
    with services.db.session() as session:
        items = posts.preview_items(session)
        return posts.digest_reply(items, context.language, services.settings.timezone)


@router.command("digest", "nyhetsbrev", help_nb="forhåndsvis neste nyhetsbrev",
                help_en="preview the next digest")
def digest_command(context: Context, rest: str) -> Reply:
    from commands import posts  # lazy: see the note at the top

    with context.services.db.session() as session:
        return posts.digest_reply(posts.preview_items(session), context.language,
                                  context.services.settings.timezone)


# A question whose subject is the news: a news word, or "nytt"/"new" as what is asked about
# ("hva er nytt?", "what's new?"), with nothing else asked but where or when from.
_NEWS_WORDS = WordSet.of("nyhet nyheter nyhetene nyheten nyhetsbrev nyhetsbrevet news "
                         "newsletter digest")
_NEW_ASKED = (("hva", "er", "nytt"), ("hva", "nytt"), ("siste", "nytt"), ("noe", "nytt"),
              ("nytt", "i"), ("nytt", "fra"), ("what", "s", "new"), ("what", "is", "new"),
              ("whats", "new"), ("anything", "new"), ("something", "new"), ("new", "in"),
              ("new", "at"), ("new", "from"), ("new", "with"))
_ASIDE = frozenset({"nytt", "new", "nye", "siste", "latest", "recent", "nylig", "norcrin",
                    "nettverket", "network", "uka", "uken", "week", "maneden", "month", "dag",
                    "today", "skjedd", "happened", "happening", "going", "fortell", "tell",
                    "vis", "show", "whats", "finnes", "kommer", "coming", "neste", "next",
                    "star", "stands", "ute", "out", "sist", "lately", "interesting", "spennende"})


def asks_for_news(text: str) -> bool:
    """Whether the message asks what the news is (not about a topic that has news)."""
    found = tokens(text)
    subject = _NEWS_WORDS.any_in(found) or (
        any_phrase(found, _NEW_ASKED) and found[-1] in ("nytt", "new", "norcrin", "nettverket",
                                                        "network", "uka", "uken", "week"))
    if not subject:
        return False
    return all(t in FOLDED_STOPWORDS or t in _ASIDE or _NEWS_WORDS.matches(t) for t in found)


@router.question
def news_question(context: Context) -> str | None:
    """"Hva er nytt?", "any news?", "siste nytt fra NorCRIN": the `news` command."""
    return "news" if asks_for_news(context.message.text) else None
