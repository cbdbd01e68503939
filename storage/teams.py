"""Teams conversation references: where the bot can write to a person or a channel later.

A row is stored when the app is installed (conversationUpdate / installationUpdate) or when a
user first writes; proactive prompts (`teams-user:<AAD object id>`) read the personal one. The
person link comes from the Entra user's e-mail or UPN, matched against the directory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.models import Base, Person
from storage.types import UTCDateTime


class TeamsConversation(Base):
    __tablename__ = "teams_conversations"

    conversation_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # personal, channel, groupChat
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str | None] = mapped_column(String(80))
    user_id: Mapped[str | None] = mapped_column(String(200))  # "29:…" (personal chats)
    aad_object_id: Mapped[str | None] = mapped_column(String(80), index=True)
    person_id: Mapped[str | None] = mapped_column(String(80), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def person_for_address(session: Session, *addresses: str | None) -> Person | None:
    """The directory person whose e-mail is one of `addresses` (e-mail or UPN), case-blind."""
    wanted = [a.strip().lower() for a in addresses if a and "@" in a]
    if not wanted:
        return None
    return session.scalar(
        select(Person).where(func.lower(Person.email).in_(wanted)).order_by(Person.id).limit(1)
    )


def remember(
    session: Session,
    *,
    conversation_id: str,
    scope: str,
    service_url: str,
    now: datetime,
    tenant_id: str | None = None,
    user_id: str | None = None,
    aad_object_id: str | None = None,
    person_id: str | None = None,
    email: str | None = None,
    name: str | None = None,
) -> TeamsConversation:
    """Insert or refresh a reference (the service URL can move; the newest one wins)."""
    row = session.get(TeamsConversation, conversation_id)
    if row is None:
        row = TeamsConversation(conversation_id=conversation_id, scope=scope,
                                service_url=service_url, updated_at=now)
        session.add(row)
    row.scope, row.service_url, row.updated_at = scope, service_url, now
    for attr, value in (("tenant_id", tenant_id), ("user_id", user_id),
                        ("aad_object_id", aad_object_id), ("person_id", person_id),
                        ("email", email), ("name", name)):
        if value:
            setattr(row, attr, value)
    session.flush()
    return row


def personal_chat(session: Session, who: str) -> TeamsConversation | None:
    """The 1:1 chat with a user, by AAD object id or directory person id."""
    return session.scalar(
        select(TeamsConversation)
        .where(TeamsConversation.scope == "personal",
               or_(TeamsConversation.aad_object_id == who, TeamsConversation.person_id == who))
        .order_by(TeamsConversation.updated_at.desc())
        .limit(1)
    )


def known_person(session: Session, aad_object_id: str) -> TeamsConversation | None:
    """Any stored row for this user that already carries the directory link."""
    return session.scalar(
        select(TeamsConversation)
        .where(TeamsConversation.aad_object_id == aad_object_id,
               TeamsConversation.person_id.is_not(None))
        .limit(1)
    )
