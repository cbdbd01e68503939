"""The directory, the document catalogue, the search index and Slack delivery bookkeeping.

Feature modules (forms, agendas, outbox) define their tables in their own modules on the same
`Base`; `storage.db` imports them all so metadata and migrations see one schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: UTCDateTime,
    }


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_nb: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="other")
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" and self.name_en else self.name_nb) or self.id


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    short: Mapped[str | None] = mapped_column(String(60))
    name_nb: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    purpose_nb: Mapped[str | None] = mapped_column(Text)
    purpose_en: Mapped[str | None] = mapped_column(Text)
    topics_nb: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    # Where the description comes from (see storage.provenance); None = unknown.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" and self.name_en else self.name_nb) or self.id

    def purpose(self, language: str) -> str | None:
        return (
            self.purpose_en if language == "en" and self.purpose_en else self.purpose_nb
        ) or None

    def title(self, language: str) -> str:
        """'AP8 Datahåndtering' for work packages; the plain name for other groups."""
        name = self.name(language)
        return f"{self.id} {name}" if self.kind == "work_package" else name


class Person(Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    slack_user_id: Mapped[str | None] = mapped_column(String(40), index=True)
    source: Mapped[str | None] = mapped_column(String(40))
    # Where name and organisation come from; contact fields from elsewhere under "fields".
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("person_id", "group_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(300))
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    person: Mapped[Person] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(back_populates="memberships")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title_no: Mapped[str | None] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40), default="other")
    area: Mapped[str | None] = mapped_column(String(40))
    series: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(1000))
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)

    def title(self, language: str) -> str:
        first, second = (
            (self.title_en, self.title_no) if language == "en" else (self.title_no, self.title_en)
        )
        return first or second or self.id


class SearchEntry(Base):
    """Pre-computed terms of one searchable thing; the FTS index is built over these rows."""

    __tablename__ = "search_entries"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    ref_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")


class ProcessedEvent(Base):
    """Slack event ids already taken, so a retry (to any replica) is never answered twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
