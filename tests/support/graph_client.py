"""A real msgraph-sdk client wired to a local fake (platforms.md §2.4), with fake credentials.

The default middleware (retry, redirect, ...) is kept: passing a bare httpx client to the
adapter would silently drop it and hide retry behaviour the bot depends on.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from azure.core.credentials import AccessToken
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

__all__ = ["FakeCredential", "make_graph_client", "open_graph_client"]


class FakeCredential:
    """A sync azure TokenCredential that never touches login.microsoftonline.com."""

    def __init__(self, token: str = "fake-token") -> None:
        self.token = token
        self.scopes_seen: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """Hand out a token valid for an hour and remember which scopes were asked for."""
        self.scopes_seen.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""


def make_graph_client(
    base_url: str,
    *,
    max_retries: int = 0,
    delay: float = 0.0,
    credential: Any | None = None,
    anonymous: bool = False,
    timeout: float = 10.0,
    http_client: httpx.AsyncClient | None = None,
) -> GraphServiceClient:
    """GraphServiceClient against `base_url` (e.g. `FakeGraphAPI.base_url`).

    Retries default to none so tests stay fast; pass `max_retries` to exercise the kiota
    RetryHandler (it honours integer Retry-After, otherwise waits `delay` + backoff).
    Unless `anonymous`, requests carry `Authorization: Bearer <credential token>`.
    The httpx client is bound to the event loop that first uses it: prefer
    `open_graph_client`, which closes it, or pass your own `http_client` and close it.
    """
    options = {
        RetryHandlerOption.get_key(): RetryHandlerOption(delay=delay, max_retries=max_retries)
    }
    http = GraphClientFactory.create_with_default_middleware(
        client=http_client or httpx.AsyncClient(timeout=timeout), options=options
    )
    auth: Any
    if anonymous:
        auth = AnonymousAuthenticationProvider()
    else:
        auth = AzureIdentityAuthenticationProvider(
            credential or FakeCredential(), scopes=["https://graph.microsoft.com/.default"]
        )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


@asynccontextmanager
async def open_graph_client(base_url: str, **kwargs: Any) -> AsyncIterator[GraphServiceClient]:
    """`make_graph_client` whose connections are really closed on exit.

    msgraph-core 1.5.2's AsyncGraphTransport (which wraps the httpx transport) has no
    `aclose`, so `AsyncClient.aclose()` leaves pooled sockets open; we close the inner
    transport ourselves.
    """
    transport = httpx.AsyncHTTPTransport()
    http = httpx.AsyncClient(transport=transport, timeout=kwargs.pop("timeout", 10.0))
    try:
        yield make_graph_client(base_url, http_client=http, **kwargs)
    finally:
        await http.aclose()
        await transport.aclose()
