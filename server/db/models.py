"""The server's tables (SQLAlchemy 2 declarative); migrations live in server/migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import UTCDateTime, utcnow

ROLES = ("member", "guide", "editor", "admin")


class Base(DeclarativeBase):
    pass


class Organization(Base):
    """A party committee (党委) or a branch (党支部) under it."""

    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # committee | branch
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    __table_args__ = (CheckConstraint("kind in ('committee', 'branch')", name="org_kind"),)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calendar_token: Mapped[str | None] = mapped_column(String(64))
    # log-in lock-out (server.login_guard): failures in a row, and until when refused
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a deactivated account keeps its records but cannot log in
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String(200))
    # 学时 a year this member must reach; None: the target of their role (settings)
    yearly_target: Mapped[float | None] = mapped_column(Float)
    # set with a password an administrator handed out (roster import, reset): the portal
    # asks for the person's own before anything else
    password_temporary: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=sa_false())
    __table_args__ = (CheckConstraint("role in ('member', 'guide', 'editor', 'admin')",
                                      name="user_role"),
                      UniqueConstraint("calendar_token", name="user_calendar_token"))


class Credential(Base):
    """A log-in: a browser session (cookie) or an API/engine bearer token; stored hashed."""

    __tablename__ = "credentials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10))  # session | bearer
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExhibitVersion(Base):
    """One uploaded, verified package; stored content-addressed under data_dir/blobs."""

    __tablename__ = "exhibit_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("exhibit_id", "version", name="exhibit_version"),)


class Tour(Base):
    __tablename__ = "tours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_version_id: Mapped[int] = mapped_column(ForeignKey("exhibit_versions.id"))
    guide_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the zone the guide scheduled in (the offset of the start they gave): replies and
    # reports show the tour's times in it
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the iCalendar SEQUENCE: one more at every move and at the cancellation
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the live tour's recording (server.recording): the sha256 of its index, once stored;
    # members' voices are kept in it only when this says so and they consented
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    keep_member_voices: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=text("false"))
    __table_args__ = (CheckConstraint("registered >= 0 AND registered <= capacity",
                                      name="tour_capacity"),
                      Index("ix_tours_starts_at", "starts_at"))


class TourBranch(Base):
    __tablename__ = "tour_branches"
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    # the tours a branch is invited to, without reading every tour's rows
    __table_args__ = (Index("ix_tour_branches_org", "org_id", "tour_id"),)


class Registration(Base):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (UniqueConstraint("tour_id", "user_id", name="registration_once"),)


class Reminder(Base):
    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tour_id: Mapped[int] = mapped_column(ForeignKey("tours.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # reminder (before the start) | tour_moved | tour_cancelled (see server.reminders)
    kind: Mapped[str] = mapped_column(String(20), default="reminder",
                                      server_default="reminder")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Notification(Base):
    """A notice in the portal's inbox (the portal is a channel of the reminder queue)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    tour_id: Mapped[int | None] = mapped_column(ForeignKey("tours.id"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("notifications_by_user", "user_id", "created_at"),)


class Delivery(Base):
    """One reminder or notice sent through one channel (mail, WeCom, DingTalk): tried until
    sent, so a channel that is down does not hold back the others."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id"))
    channel: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: due now
    __table_args__ = (UniqueConstraint("reminder_id", "channel", name="delivery_once"),
                      Index("deliveries_due", "sent_at", "next_try_at"))


class AuditEntry(Base):
    """Append-only record of admin and editor actions."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Consent(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class ParticipationRecord(Base):
    """Append-only: one participation fact, keyed by the id its producer chose, so a fact
    delivered twice is stored once. ``number`` gives the order of arrival."""

    __tablename__ = "participation"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    tour_id: Mapped[int | None] = mapped_column(ForeignKey("tours.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # reports by period
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # a member's facts, and whether they took part in a period, are one index seek
    __table_args__ = (Index("ix_participation_user_at", "user_id", "at"),
                      Index("ix_participation_user_kind_tour", "user_id", "kind", "tour_id"))


class ActivityMonth(Base):
    """How many participation facts a member has in a calendar month (UTC), one row a
    member and month with at least one: kept in the transaction that stores the facts
    (:mod:`server.participation_store`), so whether members took part in a period, or
    in each month of a year, reads one small row a member and month instead of every
    fact. ``month`` is ``year * 100 + month`` (202609: September 2026)."""

    __tablename__ = "activity_months"
    __table_args__ = (Index("ix_activity_months_month", "month", "user_id"),
                      {"sqlite_with_rowid": False})
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    facts: Mapped[int] = mapped_column(Integer)


class StatementRow(Base):
    """One xAPI statement as the LRS stored it (``body`` is its exact JSON); ``number``
    orders statements by arrival and is the paging cursor."""

    __tablename__ = "statements"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    verb_id: Mapped[str] = mapped_column(String(2048))
    registration: Mapped[str | None] = mapped_column(String(36))
    ref_target: Mapped[str | None] = mapped_column(String(36))
    voiding: Mapped[bool] = mapped_column(Boolean, default=False)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        Index("ix_statements_stored", "stored"),
        Index("ix_statements_verb_id", "verb_id", "number"),
        Index("ix_statements_registration", "registration", "number"),
        Index("ix_statements_client_id", "client_id", "number"),
        # partial: almost no statement refers to another (migration 0005)
        Index("ix_statements_ref_target", "ref_target",
              sqlite_where=text("ref_target IS NOT NULL"),
              postgresql_where=text("ref_target IS NOT NULL")),
    )


class StatementAgent(Base):
    """An agent a statement is about: ``direct`` as actor or object, else as authority,
    instructor, team, group member or inside a sub-statement (one row for both when it is
    direct and also related: the related filters match either)."""

    __tablename__ = "statement_agents"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (read once by SQLAlchemy)
    agent: Mapped[str] = mapped_column(String(2048), primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)


class StatementActivity(Base):
    """An activity a statement is about: ``direct`` as its object, else in its context or
    a sub-statement."""

    __tablename__ = "statement_activities"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (read once by SQLAlchemy)
    activity: Mapped[str] = mapped_column(String(2048), primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)


class XapiClient(Base):
    """Credentials an LRS client presents with HTTP Basic auth (the secret stored hashed)."""

    __tablename__ = "xapi_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated: write read read_mine
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One credit award. Append-only; ``hash`` covers every field and the previous entry's
    hash, so an edited, removed or reordered entry breaks the chain."""

    __tablename__ = "credit_ledger"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    award_key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    hours: Mapped[str] = mapped_column(String(16))  # decimal text, exact
    exhibit_id: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[dict[str, Any]] = mapped_column(JSON)
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601, hashed as written
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # a year's awards by member, read from the index alone (the dashboard's sums)
    __table_args__ = (Index("ix_credit_ledger_year_user", "year", "user_id", "at", "hours",
                            "exhibit_id"),)


class ForwardItem(Base):
    """A statement waiting to be forwarded to the organisation's external LRS."""

    __tablename__ = "xapi_outbox"
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # statements.number
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class Cmi5Launch(Base):
    """A cmi5 launch of a visit or tour for one member: its fetch secret works once."""

    __tablename__ = "cmi5_launches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fetch_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    registration: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class XapiDocument(Base):
    """A document of the State, Activity Profile or Agent Profile resource. ``scope`` is a
    hash of (resource, activity, agent) so the unique ``key`` (scope, registration,
    document id) stays short whatever the lengths of the IRIs in it."""

    __tablename__ = "xapi_documents"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(64), index=True)
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UTCDateTime)


class XapiAttachment(Base):
    """Attachment data sent with statements (multipart/mixed), by its SHA-256."""

    __tablename__ = "xapi_attachments"
    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
