"""Secrets never shown: Teams Workflows webhook URLs are credentials (whoever has one can post).

One masking rule for every output — CLI lines, JSON, tables and log records: a destination
`teams-webhook:URL` is shown as `teams-webhook:https://…/…?sig=***`, and a webhook URL inside any
other text (an error message, a library's log line) as `https://…/…?sig=***`. Outbox keys hold a
hash instead (`webhook_hash`), so the key itself is safe to print.
"""

from __future__ import annotations

import hashlib
import logging
import re

WEBHOOK_KIND = "teams-webhook"
MASKED_URL = "://…/…?sig=***"

# A URL that is a webhook: Workflows/Power Automate/Logic Apps (signed with `sig=`), the retired
# Office 365 connectors (webhook.office.com), or anything with "webhook" in it.
_WEBHOOK_URL = re.compile(
    r"(https?)://[^\s'\"<>|]*?(?:[?&]sig=|/workflows/|webhook)[^\s'\"<>|]*", re.IGNORECASE
)
_DESTINATION = re.compile(rf"{WEBHOOK_KIND}:(https?)://[^\s'\"<>|]+", re.IGNORECASE)


# Destination kinds whose address is a credential; a transport declaring `secret` adds its own.
_SECRET_KINDS: set[str] = {WEBHOOK_KIND}


def declare_secret_kind(kind: str) -> None:
    """From now on `kind:ADDRESS` is shown masked (called by the transport registry)."""
    _SECRET_KINDS.add(kind)


def mask_destination(destination: str) -> str:
    """`teams-webhook:https://…/…?sig=***` for a webhook destination (`kind:***` for another
    secret kind); others unchanged."""
    kind, sep, target = destination.partition(":")
    if sep and kind == WEBHOOK_KIND:
        scheme = target.split("://", 1)[0].strip().lower() if "://" in target else "…"
        return f"{WEBHOOK_KIND}:{scheme if scheme.isalpha() else '…'}{MASKED_URL}"
    if sep and kind in _SECRET_KINDS:
        return f"{kind}:***"
    return destination


def mask_secrets(text: str) -> str:
    """`text` with every webhook destination and webhook URL in it masked."""
    for kind in _SECRET_KINDS - {WEBHOOK_KIND}:
        text = re.sub(rf"(?<![\w-]){re.escape(kind)}:[^\s'\"<>|]+", f"{kind}:***", text)
    if "://" not in text:
        return text
    text = _DESTINATION.sub(lambda m: f"{WEBHOOK_KIND}:{m.group(1).lower()}{MASKED_URL}", text)
    return _WEBHOOK_URL.sub(lambda m: f"{m.group(1).lower()}{MASKED_URL}", text)


def webhook_hash(destination: str) -> str:
    """Key material for a destination: secret ones (webhooks) and long ones as a short hash."""
    kind = destination.split(":", 1)[0]
    if kind not in _SECRET_KINDS and len(destination) <= 80:
        return destination
    return kind + ":" + hashlib.sha256(destination.encode()).hexdigest()[:20]


_installed = False
_formatter = logging.Formatter()


def install_log_masking() -> None:
    """Mask secrets in every log record from now on, whatever logger or handler it goes to
    (httpx logs request URLs at INFO; a handler filter would miss test and library handlers)."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)  # type: ignore[arg-type]
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not ours
            return record
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:  # tracebacks carry exception messages
            record.exc_text = mask_secrets(_formatter.formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
