"""The Slack Web API client: configurable base URL, and retries kept off the ack path.

429s are retried honouring Retry-After (Slack did nothing), 5xx and cut connections with backoff,
except for chat.postMessage: after a 5xx or a connection cut while the request was out, whether
the message was posted is unknown, and a blind retry could post it twice. Those are left to
`SlackRuntime.post`, which looks for the post's metadata key before trying again. These clients
are only used off the ack path (answer workers, outbox), so a blocking sleep costs no deadline.
"""

from __future__ import annotations

from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest

from bot.config import Settings

NOT_IDEMPOTENT = ("chat.postMessage",)  # methods a retry could carry out twice
# `ok: false` errors (HTTP 200 or 5xx) that are Slack's trouble, not the request's.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)


def _not_idempotent(request: HttpRequest) -> bool:
    return request.url.rstrip("/").rpartition("/")[2] in NOT_IDEMPOTENT


def _never_sent(error: Exception | None) -> bool:
    """A refused connection: the request never reached Slack, so a retry cannot double it."""
    return isinstance(error, URLError) and isinstance(error.reason, ConnectionRefusedError)


def unknown_outcome(exc: BaseException) -> bool:
    """A failed call that Slack may have carried out all the same: a 5xx, a transient `ok:
    false`, a connection cut or timed out once the request was out (not a refused one)."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = data.get("error")
        return exc.response.status_code >= 500 or (
            error in TRANSIENT_ERRORS and error != "ratelimited")
    if isinstance(exc, URLError | ConnectionError | TimeoutError):
        return not _never_sent(exc)
    return False


class _ServerErrorRetry(ServerErrorRetryHandler):
    def _can_retry(self, *, request: HttpRequest, **kwargs: Any) -> bool:
        return not _not_idempotent(request) and super()._can_retry(request=request, **kwargs)


class _ConnectionErrorRetry(ConnectionErrorRetryHandler):
    def _can_retry(self, *, request: HttpRequest, error: Exception | None = None,
                   **kwargs: Any) -> bool:
        if _not_idempotent(request) and not _never_sent(error):
            return False
        return super()._can_retry(request=request, error=error, **kwargs)


def make_web_client(settings: Settings, *, retries: int = 3) -> WebClient:
    base_url = (
        settings.slack_api_url
        if settings.slack_api_url.endswith("/")
        else settings.slack_api_url + "/"
    )
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            _ConnectionErrorRetry(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            _ServerErrorRetry(max_retry_count=retries),
        ],
    )
