"""The Slack Web API client: configurable base URL, and retries kept off the ack path.

429s are retried honouring Retry-After and 5xx with backoff; these clients are only used off the
ack path (answer workers, outbox), so a blocking sleep there costs no deadline.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.config import Settings


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
            ConnectionErrorRetryHandler(max_retry_count=retries),
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
        ],
    )
