"""Credentials for Microsoft Graph: a ready token, app-only client secret, or a delegated account.

- `GRAPH_ACCESS_TOKEN`: used as is (trials, local test servers).
- `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`: app-only (`ClientSecretCredential`);
  enough for calendars, `sendMail` and the directory, but Graph refuses app-only channel posts.
- `GRAPH_TOKEN_STORE`: a delegated service account signed in once by device code
  (`norcrin-bot graph login`); its MSAL token cache (refresh token included) is kept encrypted
  with Fernet. The key comes from `GRAPH_TOKEN_KEY`, else from a 0600 key file beside the store.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from cryptography.fernet import Fernet, InvalidToken

from bot.config import ConfigError, Settings

DELEGATED_SCOPES = [
    "ChannelMessage.Send",
    "ChannelMessage.ReadWrite",
    "ChannelMessage.Read.All",
    "Mail.Send",
    "Calendars.Read",
]
APP_SCOPE = "https://graph.microsoft.com/.default"


class StaticTokenCredential:
    """`GRAPH_ACCESS_TOKEN` as an azure TokenCredential (no refresh: it is used as is)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        """Nothing to release."""


class TokenStore:
    """An encrypted file holding the MSAL token cache of the delegated account."""

    def __init__(self, path: str | Path, key: str | bytes | None = None) -> None:
        self.path = Path(path).expanduser()
        self._fernet = Fernet(key or self._key())

    def _key(self) -> bytes:
        env = os.environ.get("GRAPH_TOKEN_KEY", "").strip()
        if env:
            return env.encode()
        key_file = self.path.with_name(self.path.name + ".key")
        if key_file.exists():
            return key_file.read_bytes().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key

    def load(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            return self._fernet.decrypt(self.path.read_bytes()).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                f"GRAPH_TOKEN_STORE {self.path} cannot be decrypted with this key "
                "(GRAPH_TOKEN_KEY changed?); run `norcrin-bot graph login` again."
            ) from None

    def save(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self._fernet.encrypt(text.encode("utf-8")))
        tmp.replace(self.path)


def _msal_app(settings: Settings, store: TokenStore) -> Any:
    # lazy: heavy optional dependency
    import msal

    if not (settings.azure_tenant_id and settings.azure_client_id):
        raise ConfigError(
            "AZURE_TENANT_ID and AZURE_CLIENT_ID are needed for the delegated account"
        )
    cache = msal.SerializableTokenCache()
    text = store.load()
    if text:
        cache.deserialize(text)
    app = msal.PublicClientApplication(
        settings.azure_client_id,
        authority=f"https://login.microsoftonline.com/{settings.azure_tenant_id}",
        token_cache=cache,
    )
    return app, cache


class DelegatedCredential:
    """The signed-in service account: silent refresh from the encrypted MSAL cache."""

    def __init__(self, settings: Settings, store: TokenStore) -> None:
        self.store = store
        self._app, self._cache = _msal_app(settings, store)
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            accounts = self._app.get_accounts()
            result = (
                self._app.acquire_token_silent(DELEGATED_SCOPES, account=accounts[0])
                if accounts
                else None
            )
            if self._cache.has_state_changed:
                self.store.save(self._cache.serialize())
        if not result or "access_token" not in result:
            raise ClientAuthenticationError(
                "the delegated Graph account is not signed in; run `norcrin-bot graph login`"
            )
        return AccessToken(result["access_token"], int(time.time()) + int(result["expires_in"]))

    def close(self) -> None:
        """Nothing to release."""


def device_code_login(settings: Settings, echo: Any = print) -> str:
    """Sign the delegated account in once (device code); returns the account's user name."""
    if not settings.graph_token_store:
        raise ConfigError("GRAPH_TOKEN_STORE is not set (where to keep the encrypted token)")
    store = TokenStore(settings.graph_token_store)
    app, cache = _msal_app(settings, store)
    flow = app.initiate_device_flow(scopes=DELEGATED_SCOPES)
    if "user_code" not in flow:
        raise ConfigError(f"device code flow failed: {flow.get('error_description', flow)}")
    echo(flow["message"])
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise ConfigError(f"sign-in failed: {result.get('error_description', result)}")
    store.save(cache.serialize())
    return str((result.get("id_token_claims") or {}).get("preferred_username", "signed in"))


def credential_for(settings: Settings, purpose: str) -> Any:
    """The credential for `purpose`: "channel" (needs a user) or "app" (calendar, mail)."""
    if settings.graph_access_token:
        return StaticTokenCredential(settings.graph_access_token)
    delegated = None
    if settings.graph_token_store and Path(settings.graph_token_store).expanduser().exists():
        delegated = DelegatedCredential(settings, TokenStore(settings.graph_token_store))
    app = None
    if settings.azure_tenant_id and settings.azure_client_id and settings.azure_client_secret:
        # lazy: heavy optional dependency
        from azure.identity import ClientSecretCredential

        app = ClientSecretCredential(
            settings.azure_tenant_id, settings.azure_client_id, settings.azure_client_secret
        )
    chosen = (delegated or app) if purpose == "channel" else (app or delegated)
    if chosen is None:
        raise ConfigError(
            "Microsoft Graph is not configured: set GRAPH_ACCESS_TOKEN, AZURE_TENANT_ID/"
            "AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, or sign in with `norcrin-bot graph login`."
        )
    return chosen
