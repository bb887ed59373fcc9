"""The eduwatch schema: SQLAlchemy 2 declarative models.

Migrations in ``storage/migrations`` create exactly these tables; a change here needs a new
Alembic revision. Timestamps are naive UTC throughout (SQLite has no time zones).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from eduwatch.event_kinds import DEFAULT_EVENT_FILTERS


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Portal(Base):
    __tablename__ = "portals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The operator has been told that this portal is blocked (reported once, not every run).
    blocked_reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Freshness (crawler.freshness): when every list was last walked to its end, when the next
    # such deep walk is due, and the first one's time — documents known by then are the
    # portal's backlog, not young documents (0006).
    last_deep_walk: Mapped[datetime | None] = mapped_column(DateTime)
    next_deep_walk: Mapped[datetime | None] = mapped_column(DateTime)
    baseline_at: Mapped[datetime | None] = mapped_column(DateTime)

    runs: Mapped[list[CrawlRun]] = relationship(back_populates="portal")


class Document(Base):
    """One notice, however many portals and URLs show it."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    index_no: Mapped[str | None] = mapped_column(String(100))  # 索引号, normalised
    index_no_raw: Mapped[str | None] = mapped_column(String(200))
    doc_no: Mapped[str | None] = mapped_column(String(100), index=True)  # 文号, normalised
    doc_no_raw: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    title_raw: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    keywords: Mapped[str | None] = mapped_column(String(500))
    written_date: Mapped[date | None] = mapped_column(Date)  # 成文日期
    published_date: Mapped[date | None] = mapped_column(Date)  # 发布日期
    written_date_raw: Mapped[str | None] = mapped_column(String(100))
    published_date_raw: Mapped[str | None] = mapped_column(String(100))
    validity: Mapped[str | None] = mapped_column(String(20))  # 有效性
    is_abolished: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    # Hash of everything a revision compares (body, metadata, attachment texts) as stored.
    content_hash: Mapped[str] = mapped_column(String(64))
    # content_hash as of the monitor's last pass: differing means "look at me".
    monitored_hash: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Classification by monitor.changes.classifier; None until classified.
    is_rural_plan: Mapped[bool | None] = mapped_column(Boolean)
    rural_score: Mapped[float | None] = mapped_column(Float)
    rural_evidence: Mapped[list[Any] | None] = mapped_column(JSON)
    # Why the stored document is only what its list entry showed (its page came cut off or
    # answered 500); None once a complete page was read (0006).
    incomplete: Mapped[str | None] = mapped_column(String(300))

    keys: Mapped[list[DocumentKey]] = relationship(back_populates="document", cascade="all, delete-orphan")
    sources: Mapped[list[Source]] = relationship(back_populates="document", order_by="Source.id")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    revisions: Mapped[list[Revision]] = relationship(back_populates="document", order_by="Revision.number")


class DocumentKey(Base):
    """Every identity key a document answers to (文号, site + 索引号, fingerprint).

    A repost is recognised when any of its keys is already here; its new keys are then added,
    so later reposts find the document by whichever key they carry.
    """

    __tablename__ = "document_keys"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # doc_no | index_no | fingerprint

    document: Mapped[Document] = relationship(back_populates="keys")


class Source(Base):
    """A URL where a document was seen, on one portal."""

    __tablename__ = "sources"
    __table_args__ = (Index("ix_sources_portal_seen", "portal_id", "last_listed_run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id"))
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_fetched: Mapped[datetime | None] = mapped_column(DateTime)
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    list_title: Mapped[str | None] = mapped_column(Text)
    list_date: Mapped[str | None] = mapped_column(String(50))
    list_state: Mapped[str | None] = mapped_column(String(300))
    last_listed_run_id: Mapped[int | None] = mapped_column(Integer)
    http_status: Mapped[int | None] = mapped_column(Integer)
    # Consecutive crawls in which the source was missing from its lists and answered 404.
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    # The monitor has emitted the event (new / reposted) this source owes.
    announced: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # Freshness (crawler.freshness, 0006): the page was last found as stored (or stored anew),
    # last found changed, how many changes were seen, when it is next due, and the bound's
    # deadline (past it the page is overdue); failed_checks drives an incomplete page's backoff.
    last_verified: Mapped[datetime | None] = mapped_column(DateTime)
    last_changed: Mapped[datetime | None] = mapped_column(DateTime)
    change_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_check: Mapped[datetime | None] = mapped_column(DateTime)
    check_deadline: Mapped[datetime | None] = mapped_column(DateTime)
    failed_checks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    document: Mapped[Document] = relationship(back_populates="sources")
    portal: Mapped[Portal] = relationship()


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("document_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(1000))
    type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))

    document: Mapped[Document] = relationship(back_populates="attachments")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)  # scheduled runs: the slot it was for
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | schedule | worker
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    docs_new: Mapped[int] = mapped_column(Integer, default=0)
    docs_updated: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    # running | ok | failed | blocked
    status: Mapped[str] = mapped_column(String(20), default="running")
    reason: Mapped[str | None] = mapped_column(Text)
    error_log: Mapped[list[Any] | None] = mapped_column(JSON)  # [{url, reason}], capped
    monitored: Mapped[bool] = mapped_column(Boolean, default=False)

    portal: Mapped[Portal] = relationship(back_populates="runs")


class Revision(Base):
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per document
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # normalised body text
    attachments_text: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)  # title, doc_no, dates, validity …
    content_hash: Mapped[str] = mapped_column(String(64), index=True)  # of the normalised content
    reverts_to: Mapped[int | None] = mapped_column(Integer)  # revision number it returns to

    document: Mapped[Document] = relationship(back_populates="revisions")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # new | revised | metadata_changed | abolished | withdrawn | reposted
    kind: Mapped[str] = mapped_column(String(30), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_rural_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    is_revert: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    document: Mapped[Document] = relationship()
    portal: Mapped[Portal | None] = relationship()


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(300))
    wecom_webhook: Mapped[str | None] = mapped_column(String(500))
    # Apprise URLs (dingtalk://, feishu://, tgram:// …), each its own delivery target (0011).
    apprise: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    regions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    portals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    events: Mapped[list[Any]] = mapped_column(JSON, default=lambda: list(DEFAULT_EVENT_FILTERS))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(10), default="cli")  # config | cli
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when WeCom answered 93000: the webhook is wrong and the operator must fix it.
    wecom_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Alert(Base):
    """The outbox: one row per (event, subscriber, channel), written with the event."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | wecom | apprise
    # Which of the subscriber's addresses on a many-address channel (apprise: a digest of the
    # URL, see alerts.apprise_targets); empty for e-mail and WeCom (0011).
    target: Mapped[str | None] = mapped_column(String(16))
    # Digest subscribers: alerts sharing a group go out as one message.
    digest_group: Mapped[str | None] = mapped_column(String(100))
    # pending | sending | sent | failed | dead
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Lines of a split WeCom message already accepted, so a retry resumes after them (0002).
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Claims that ended because the channel as a whole was down (alerts.pauses, 0009): they are
    # counted in ``attempts`` (the claim token never goes back) but are not attempts of this alert.
    outage_claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event: Mapped[Event] = relationship()
    subscriber: Mapped[Subscriber] = relationship()


class ChannelPause(Base):
    """A channel (the mail server, one webhook host) found down: nothing goes to it until ``until``.

    Kept in the database (alerts.pauses) so a restarted deliverer respects the backoff instead
    of knocking at a dead server at once; ``failures`` in a row doubles the pause.
    """

    __tablename__ = "channel_pauses"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # "email" | "wecom:<host>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    since: Mapped[datetime] = mapped_column(DateTime)  # the first failure of this outage
    until: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """Named leases shared by every process on one database (daemon, CLI, workers)."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class RobotsEntry(Base):
    """A host's robots.txt as last fetched, shared by every crawler process on this database.

    RFC 9309 §2.4 lets a crawler keep robots.txt for up to 24 hours; keeping it here (not per
    process) is what lets an incremental run of an unchanged portal skip the request entirely.
    """

    __tablename__ = "robots_cache"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)  # scheme://host:port
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))


class DocumentLabel(Base):
    """A person's verdict on one document: is it a rural-education plan? (``eduwatch label``)

    Kept as history (who, when, why); the latest row of a document overrides the classifier
    for it from then on, through every monitor pass and ``reclassify``.
    """

    __tablename__ = "document_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    is_plan: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    labelled_by: Mapped[str] = mapped_column(String(100))
    labelled_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    document: Mapped[Document] = relationship()


class SearchEntry(Base):
    """A document's place in the full-text index (storage.search), written with the document.

    On SQLite the terms live in the FTS5 table ``search_fts`` (made by migration 0008, outside
    this metadata) under ``row_id``; its rows cannot be deleted there (contentless, for size),
    so a re-indexed document takes a new row and the old one is ignored until ``reindex``. On
    PostgreSQL ``terms`` holds them as a tsvector with a GIN index.
    """

    __tablename__ = "search_entries"
    __table_args__ = (Index("ix_search_entries_terms", "terms", postgresql_using="gin"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, unique=True)
    terms: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


class FeedToken(Base):
    """A subscriber's Atom feed token, kept only as its SHA-256 (the token is shown once)."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the token's first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class PlanCommitment(Base):
    """One commitment of a plan, as one revision states it (monitor.changes.commitments).

    Kept per revision, so a revision that moves a target or a deadline can be compared with the
    one before it (the ``commitment_changed`` event) and the history of a promise read back.
    """

    __tablename__ = "commitments"
    __table_args__ = (Index("ix_commitments_deadline", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # reading order within the revision
    sentence: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    indicator: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    recurring: Mapped[str | None] = mapped_column(String(20))  # 每年, 每学期 …
    target: Mapped[float | None] = mapped_column(Float)
    target_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    comparison: Mapped[str | None] = mapped_column(String(20))
    scope: Mapped[str | None] = mapped_column(String(100))
    lead: Mapped[str | None] = mapped_column(Text)
    partners: Mapped[list[Any]] = mapped_column(JSON, default=list)

    document: Mapped[Document] = relationship()
