"""Tokens both ways: inbound Bot Framework JWTs checked, outbound connector tokens fetched.

Inbound: the OpenID metadata (`TEAMS_OPENID_METADATA_URL`) is read here, issuer and `jwks_uri`
from it, and handed to the SDK's `TokenValidator` (RS256 signature, issuer, audience = our app
id, expiry, and the `serviceurl` claim = the activity's serviceUrl). The SDK's own inbound
validator derives the keys URL from the metadata URL instead of reading `jwks_uri`, so it is not
used. Outbound: a plain OAuth client-credentials POST to `TEAMS_TOKEN_URL` (secret or a
certificate assertion), cached until shortly before expiry. MSAL would refuse the http endpoint
of a local stand-in; the POST is the same one MSAL makes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from microsoft_teams.apps.auth.token_validator import JwtValidationOptions, TokenValidator

from bot.config import TeamsSettings

log = logging.getLogger("norcrin_bot.teams")

BOT_SCOPE = "https://api.botframework.com/.default"
METADATA_TTL = 24 * 3600.0  # Microsoft rotates keys over days; re-read once a day
KEYS_REFRESH_GAP = 300.0  # an unknown key id re-reads the JWKS at most this often


class AuthError(Exception):
    """The token is missing, forged, expired, for another app or another service URL."""


class InboundAuth:
    """Checks the `Authorization: Bearer …` of an inbound activity."""

    def __init__(self, settings: TeamsSettings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._validator: TokenValidator | None = None
        self._loaded_at = 0.0
        self._jwks_uri = ""
        self._kids: set[str] = set()
        self._keys_at = 0.0
        self._lock = threading.Lock()

    def _load(self) -> TokenValidator:
        with self._lock:
            if self._validator is None or time.monotonic() - self._loaded_at > METADATA_TTL:
                response = httpx.get(self.settings.openid_metadata_url, timeout=self.timeout)
                response.raise_for_status()
                meta = response.json()
                issuer, jwks_uri = meta.get("issuer"), meta.get("jwks_uri")
                if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
                    raise AuthError("OpenID metadata without issuer or jwks_uri")
                app_id = self.settings.app_id
                self._validator = TokenValidator(JwtValidationOptions(
                    valid_issuers=[issuer],
                    valid_audiences=[app_id, f"api://{app_id}", f"api://botid-{app_id}"],
                    jwks_uri=jwks_uri,
                ))
                self._jwks_uri = jwks_uri
                self._loaded_at = time.monotonic()
                self._refresh_keys()
            return self._validator

    def _refresh_keys(self) -> None:
        response = httpx.get(self._jwks_uri, timeout=self.timeout)
        response.raise_for_status()
        keys = response.json().get("keys") or []
        self._kids = {str(k.get("kid")) for k in keys if isinstance(k, dict) and k.get("kid")}
        self._keys_at = time.monotonic()

    def _known_key(self, raw: str) -> bool:
        """Whether the token names a key we hold; an unknown one re-reads the keys, but at most
        every KEYS_REFRESH_GAP, so forged tokens with made-up key ids cost no outbound calls."""
        try:
            kid = jwt.get_unverified_header(raw).get("kid")
        except jwt.InvalidTokenError:
            return False
        with self._lock:
            if kid in self._kids:
                return True
            if time.monotonic() - self._keys_at < KEYS_REFRESH_GAP:
                return False
            self._refresh_keys()
            return kid in self._kids

    async def check(self, authorization: str, service_url: str | None) -> dict[str, Any]:
        """The verified claims, or AuthError (the reason is safe to log: no token in it)."""
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise AuthError("missing bearer token")
        if not service_url:
            raise AuthError("activity without serviceUrl")
        token = raw.strip()
        try:
            validator = await asyncio.to_thread(self._load)
            if not await asyncio.to_thread(self._known_key, token):
                raise AuthError("token signed by an unknown key")
            # the SDK's validator reads its key cache synchronously (a refresh is an HTTP GET):
            # run it off the edge's event loop
            claims: dict[str, Any] = await asyncio.to_thread(
                asyncio.run, validator.validate_token(token, service_url))
            return claims
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"signing key: {type(exc).__name__}") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise AuthError(f"OpenID metadata unavailable: {type(exc).__name__}") from None


class ConnectorTokens:
    """App-only tokens for the Bot Connector; a token provider the SDK calls before each send."""

    def __init__(self, settings: TeamsSettings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.time() > self._expires - 300:
                self._token, self._expires = self._fetch()
            return self._token

    def forget(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        data = {
            "grant_type": "client_credentials",
            "client_id": self.settings.app_id,
            "scope": BOT_SCOPE,
        }
        if self.settings.cert_path:
            data["client_assertion_type"] = (
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            )
            data["client_assertion"] = client_assertion(
                Path(self.settings.cert_path), self.settings.app_id, self.settings.token_endpoint
            )
        else:
            data["client_secret"] = self.settings.app_password or ""
        response = httpx.post(self.settings.token_endpoint, data=data, timeout=self.timeout)
        if response.status_code != 200:
            # the body may echo the request; only the status and the error code are logged
            code = _error_code(response)
            raise RuntimeError(f"Teams token endpoint answered {response.status_code} {code}")
        body = response.json()
        return str(body["access_token"]), time.time() + float(body.get("expires_in", 3600))

    # -- the SDK's TokenProviderProtocol ------------------------------------------------------
    async def get_app_token(self, scope: Any = None, tenant_id: str | None = None) -> str:
        return await asyncio.to_thread(self.token)


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:40]
    except ValueError:
        return ""


def client_assertion(pem_path: Path, app_id: str, audience: str) -> str:
    """A signed JWT proving we hold the certificate's key (Entra's certificate credential)."""
    pem = pem_path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    cert = x509.load_pem_x509_certificate(pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    thumb = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"aud": audience, "iss": app_id, "sub": app_id, "jti": str(uuid.uuid4()),
              "nbf": now, "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5t": thumb})  # type: ignore[arg-type]
