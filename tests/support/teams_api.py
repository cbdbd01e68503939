"""Stand-ins for Microsoft's side of a Teams bot: OpenID metadata + JWKS, the token endpoint and
the Bot Connector, all one local HTTP server.

- `GET /v1/.well-known/openidconfiguration` names an issuer and a `jwks_uri` that is *not* the
  path the SDK would derive, so a bot that ignores `jwks_uri` fails here as it would in a cloud
  that moves its keys.
- `inbound_token()` signs RS256 tokens as the Bot Framework does (kid, iss, aud, exp, serviceurl);
  `forged=True` signs with a key the JWKS does not hold.
- `POST /{tenant}/oauth2/v2.0/token` issues connector tokens for the right secret.
- `/v3/conversations/...` records activities (create, reply, update) and answers member look-ups
  from `roster`; `fail_next(status, retry_after)` makes the next activity POSTs fail.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support._http import LocalHTTPServer, Request, Response, json_response

ISSUER = "https://api.botframework.com"
APP_ID = "00000000-0000-4000-8000-0000000000b0"
APP_PASSWORD = "stand-in-secret"
TENANT_ID = "11111111-2222-4333-8444-555555555555"


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Sent:
    """One activity the bot sent: method, conversation id, the activity it replaced/answered."""

    method: str
    conversation_id: str
    activity: dict[str, Any]
    activity_id: str
    target_id: str | None = None  # PUT: the edited activity; POST .../activities/{id}: reply-to
    auth: str = ""

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a["content"] for a in self.activity.get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]

    @property
    def text(self) -> str:
        return str(self.activity.get("text") or "")


@dataclass
class Member:
    id: str
    name: str
    aad_object_id: str
    email: str | None = None
    upn: str | None = None


class BotFrameworkStandIn(LocalHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "stand-in-key-1"
        self.sent: list[Sent] = []
        self.token_requests: list[dict[str, str]] = []
        self.issued: set[str] = set()
        self.roster: dict[str, Member] = {}
        self.metadata_reads = 0
        self.jwks_reads = 0
        self.accept_assertion_key: Any = None  # a certificate's public key, for assertions
        self._failures: list[tuple[int, str | None]] = []
        self._lock2 = threading.Lock()

    # -- URLs the bot is configured with ------------------------------------------------------
    @property
    def metadata_url(self) -> str:
        return f"{self.root_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.root_url}/{{tenant}}/oauth2/v2.0/token"

    @property
    def service_url(self) -> str:
        return f"{self.root_url}/amer/"

    def env(self) -> dict[str, str]:
        return {
            "TEAMS_APP_ID": APP_ID,
            "TEAMS_APP_PASSWORD": APP_PASSWORD,
            "TEAMS_TENANT_ID": TENANT_ID,
            "TEAMS_OPENID_METADATA_URL": self.metadata_url,
            "TEAMS_TOKEN_URL": self.token_url,
        }

    # -- tokens the Bot Framework would send ------------------------------------------------
    def inbound_token(
        self,
        *,
        audience: str = APP_ID,
        service_url: str | None = None,
        expired: bool = False,
        forged: bool = False,
        issuer: str = ISSUER,
        kid: str | None = None,
    ) -> str:
        now = int(time.time())
        exp = now - 3600 if expired else now + 3600
        claims = {
            "iss": issuer, "aud": audience, "serviceurl": service_url or self.service_url,
            "nbf": now - 7200 if expired else now - 5, "iat": now - 7200 if expired else now - 5,
            "exp": exp,
        }
        key = self.other_key if forged else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or self.kid})

    def fail_next(self, status: int, retry_after: str | None = None, times: int = 1) -> None:
        with self._lock2:
            self._failures.extend([(status, retry_after)] * times)

    # -- waiting ------------------------------------------------------------------------------
    def clear_sent(self) -> None:
        """Forget what was sent so far (a test's setup, e.g. the welcome on install)."""
        with self._changed:
            self.sent.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Sent]:
        return self._wait_until(lambda: self.sent[:] if len(self.sent) >= count else None,
                                timeout, lambda: f"{len(self.sent)} activities, wanted {count}")

    def sent_to(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id == conversation_id]

    # -- the server ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if request.method == "GET" and path == "/v1/.well-known/openidconfiguration":
            self.metadata_reads += 1
            return json_response({
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.example/authorize",
                "jwks_uri": f"{self.root_url}/stand-in/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            })
        if request.method == "GET" and path == "/stand-in/jwks.json":
            self.jwks_reads += 1
            numbers = self.key.public_key().public_numbers()
            return json_response({"keys": [{
                "kty": "RSA", "use": "sig", "kid": self.kid, "alg": "RS256",
                "n": _b64(numbers.n), "e": _b64(numbers.e), "endorsements": ["msteams"],
            }]})
        if request.method == "POST" and path.endswith("/oauth2/v2.0/token"):
            return self._token(request)
        if path.startswith("/amer/v3/conversations/"):
            return self._connector(request, path.removeprefix("/amer/v3/conversations/"))
        return json_response({"error": {"code": "NotFound", "message": path}}, 404)

    def _token(self, request: Request) -> Response:
        from urllib.parse import parse_qsl

        form = dict(parse_qsl(request.body.decode()))
        form["_url"] = f"{self.root_url}{request.path}"
        with self._changed:
            self.token_requests.append(form)
        if not self._client_ok(form):
            return json_response({"error": "invalid_client"}, 401)
        now = int(time.time())
        token = jwt.encode({"aud": "https://api.botframework.com", "appid": APP_ID,
                            "iss": f"https://sts.windows.net/{TENANT_ID}/", "iat": now,
                            "nbf": now, "exp": now + 3599, "jti": secrets.token_hex(8)},
                           self.other_key, algorithm="RS256")
        self.issued.add(token)
        return json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def _client_ok(self, form: dict[str, str]) -> bool:
        """A secret, or a certificate assertion signed by `accept_assertion_key` (RS256, aud =
        the token URL, iss = sub = the app id)."""
        if form.get("client_id") != APP_ID:
            return False
        if "client_assertion" in form:
            if self.accept_assertion_key is None:
                return False
            try:
                claims = jwt.decode(form["client_assertion"], self.accept_assertion_key,
                                    algorithms=["RS256"], audience=form["_url"])
            except jwt.InvalidTokenError:
                return False
            return bool(claims.get("iss") == claims.get("sub") == APP_ID)
        return form.get("client_secret") == APP_PASSWORD

    def _connector(self, request: Request, rest: str) -> Response:
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.issued:
            return json_response({"error": {"code": "Unauthorized"}}, 401)
        conversation, _, tail = rest.partition("/")
        if tail.startswith("members/") and request.method == "GET":
            member = self.roster.get(tail.removeprefix("members/"))
            if member is None:
                return json_response({"error": {"code": "MemberNotFoundInConversation"}}, 404)
            return json_response({
                "id": member.id, "name": member.name, "objectId": member.aad_object_id,
                "email": member.email, "userPrincipalName": member.upn, "tenantId": TENANT_ID,
                "userRole": "user",
            })
        if not tail.startswith("activities"):
            return json_response({"error": {"code": "BadRequest"}}, 400)
        with self._lock2:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after else {}
            return json_response({"error": {"code": "Throttled"}}, status, headers)
        target = tail.removeprefix("activities").strip("/") or None
        activity = request.json() or {}
        new_id = target if request.method == "PUT" and target else f"1:{uuid.uuid4().hex[:12]}"
        with self._changed:
            self.sent.append(Sent(request.method, conversation, activity, new_id, target, auth))
            self._changed.notify_all()
        return json_response({"id": new_id}, 201 if request.method == "POST" else 200)


def dumps(activity: dict[str, Any]) -> bytes:
    return json.dumps(activity).encode()


@dataclass
class Activities:
    """Realistic inbound activities (shapes as Teams sends them)."""

    service_url: str
    bot_id: str = f"28:{APP_ID}"
    bot_name: str = "NorCRIN-bot"
    counter: list[int] = field(default_factory=lambda: [0])

    def _next_id(self) -> str:
        self.counter[0] += 1
        return f"17332200{self.counter[0]:05d}"

    def _base(self, kind: str, member: Member, conversation: dict[str, Any],
              channel_data: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": kind,
            "id": self._next_id(),
            "timestamp": "2026-12-03T12:00:00.000Z",
            "localTimestamp": "2026-12-03T13:00:00.000+01:00",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id},
            "conversation": conversation,
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "locale": "nb-NO",
            "channelData": {"tenant": {"id": TENANT_ID}, **channel_data},
        }

    @staticmethod
    def personal_conversation(member: Member) -> dict[str, Any]:
        return {"conversationType": "personal", "tenantId": TENANT_ID,
                "id": f"a:1personal-{member.aad_object_id}"}

    def personal_message(self, member: Member, text: str) -> dict[str, Any]:
        activity = self._base("message", member, self.personal_conversation(member), {})
        activity.update({"text": text, "textFormat": "plain",
                         "entities": [{"type": "clientInfo", "locale": "nb-NO",
                                       "country": "NO", "platform": "Web"}]})
        return activity

    def channel_mention(self, member: Member, text: str, *, root: str | None = None,
                        channel: str = "19:general-norcrin@thread.tacv2") -> dict[str, Any]:
        """An @mention in a channel post (root=None: a new post, its id becomes the thread)."""
        activity_id = self._next_id()
        thread = root or activity_id
        conversation = {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID,
                        "id": f"{channel};messageid={thread}"}
        activity = self._base("message", member, conversation, {
            "teamsChannelId": channel, "teamsTeamId": "19:team-norcrin@thread.tacv2",
            "channel": {"id": channel}, "team": {"id": "19:team-norcrin@thread.tacv2"},
        })
        activity["id"] = activity_id
        mention = f"<at>{self.bot_name}</at>"
        activity.update({
            "text": f"{mention} {text}", "textFormat": "plain",
            "entities": [{"type": "mention", "text": mention,
                          "mentioned": {"id": self.bot_id, "name": self.bot_name}}],
        })
        if root:
            activity["replyToId"] = root
        return activity

    def group_mention(self, member: Member, text: str,
                      chat: str = "19:meeting-group@thread.v2") -> dict[str, Any]:
        """An @mention in a group chat (no threads there)."""
        conversation = {"isGroup": True, "conversationType": "groupChat",
                        "tenantId": TENANT_ID, "id": chat}
        activity = self._base("message", member, conversation, {})
        mention = f"<at>{self.bot_name}</at>"
        activity.update({
            "text": f"{text} {mention}", "textFormat": "plain",
            "entities": [{"type": "mention", "text": mention,
                          "mentioned": {"id": self.bot_id, "name": self.bot_name}}],
        })
        return activity

    def installed(self, member: Member) -> dict[str, Any]:
        activity = self._base("installationUpdate", member,
                              self.personal_conversation(member), {"source": {"name": "message"}})
        activity["action"] = "add"
        return activity

    def uninstalled(self, member: Member) -> dict[str, Any]:
        activity = self.installed(member)
        activity["action"] = "remove"
        return activity

    @staticmethod
    def team_conversation(channel: str = "19:general-norcrin@thread.tacv2") -> dict[str, Any]:
        """A team's General channel (its id is the team's), where team events arrive."""
        return {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID,
                "id": channel}

    @staticmethod
    def _team_data(channel: str) -> dict[str, Any]:
        return {"teamsChannelId": channel, "teamsTeamId": channel, "channel": {"id": channel},
                "team": {"id": channel, "name": "NorCRIN", "aadGroupId": "aad-team-0001"}}

    def installed_in_team(self, member: Member,
                          channel: str = "19:general-norcrin@thread.tacv2") -> dict[str, Any]:
        """The app added to a team by `member` (Teams also sends `members_added` for it)."""
        activity = self._base("installationUpdate", member, self.team_conversation(channel), {
            **self._team_data(channel), "settings": {"selectedChannel": {"id": channel}},
            "source": {"name": "message"}})
        activity["action"] = "add"
        return activity

    def members_added(self, member: Member, added: list[dict[str, Any]],
                      channel: str = "19:general-norcrin@thread.tacv2") -> dict[str, Any]:
        """`member` added `added` (accounts: the bot is `{"id": bot_id}`) to a team."""
        activity = self._base("conversationUpdate", member, self.team_conversation(channel), {
            **self._team_data(channel), "eventType": "teamMemberAdded"})
        activity["membersAdded"] = added
        return activity

    def card_action(self, member: Member, verb: str, data: dict[str, Any],
                    *, reply_to: str | None = None,
                    conversation: dict[str, Any] | None = None) -> dict[str, Any]:
        activity = self._base("invoke", member,
                              conversation or self.personal_conversation(member), {})
        activity.update({
            "name": "adaptiveCard/action",
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data},
                      "trigger": "manual"},
        })
        if reply_to:
            activity["replyToId"] = reply_to
        return activity
