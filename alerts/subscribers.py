"""Subscribers in the database: those declared in the config and those added by the CLI.

The database is the one list the outbox reads, so config subscribers are copied in
(``origin="config"``) by :func:`sync_from_config`; subscribers added with
``eduwatch subscribers add`` have ``origin="cli"`` and are left alone by the sync. Removing
deactivates rather than deletes: past alerts keep pointing at their subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from eduwatch.config import Config, SubscriberConfig
from eduwatch.config_checks import apprise_urls
from eduwatch.event_kinds import COMMITMENTS_DIGEST, DEFAULT_EVENT_FILTERS, EVENT_FILTERS
from storage.models import Alert, Subscriber, utcnow


class SubscriberError(ValueError):
    """A subscriber request that cannot be carried out, worded for the operator."""


@dataclass
class SubscriberSpec:
    """What a subscriber wants, whichever way it was declared."""

    name: str
    email: str | None = None
    wecom_webhook: str | None = None
    apprise: list[str] = field(default_factory=list)  # Apprise URLs (alerts.apprise_targets)
    regions: list[str] = field(default_factory=list)
    portals: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=lambda: list(DEFAULT_EVENT_FILTERS))
    digest: bool = False
    commitments_digest: bool = False  # stored as one more event filter: no column, no migration

    @classmethod
    def from_config(cls, entry: SubscriberConfig) -> SubscriberSpec:
        return cls(
            name=entry.name,
            email=entry.email,
            wecom_webhook=entry.wecom_webhook,
            apprise=list(entry.apprise),
            regions=list(entry.regions),
            portals=list(entry.portals),
            keywords=list(entry.keywords),
            events=list(entry.events) or list(DEFAULT_EVENT_FILTERS),
            digest=entry.digest,
            commitments_digest=entry.commitments_digest,
        )

    def validate(self) -> None:
        if not self.name.strip():
            raise SubscriberError("a subscriber needs a name")
        if not self.email and not self.wecom_webhook and not self.apprise:
            raise SubscriberError(f"subscriber {self.name!r} needs an email, a WeCom webhook or an Apprise URL")
        if self.email and "@" not in self.email:
            raise SubscriberError(f"{self.email!r} is not an email address")
        if self.wecom_webhook and not self.wecom_webhook.startswith(("http://", "https://")):
            raise SubscriberError("the WeCom webhook must be an http(s) URL")
        if self.apprise:
            try:
                apprise_urls(list(self.apprise))
            except ValueError as exc:
                raise SubscriberError(f"Apprise URL {exc}") from None
        for event in self.events:
            if event not in EVENT_FILTERS:
                raise SubscriberError(f"unknown event {event!r} (allowed: {', '.join(EVENT_FILTERS)})")


def apply_spec(session: Session, spec: SubscriberSpec, origin: str) -> Subscriber:
    """Create or update the subscriber named ``spec.name``; a new webhook clears its error."""
    spec.validate()
    subscriber = session.scalar(select(Subscriber).where(Subscriber.name == spec.name))
    if subscriber is None:
        subscriber = Subscriber(name=spec.name, origin=origin)
        session.add(subscriber)
    if subscriber.wecom_webhook != spec.wecom_webhook:
        subscriber.wecom_error = None
    subscriber.email = spec.email
    subscriber.wecom_webhook = spec.wecom_webhook
    subscriber.apprise = list(dict.fromkeys(url.strip() for url in spec.apprise))
    subscriber.regions = list(spec.regions)
    subscriber.portals = list(spec.portals)
    subscriber.keywords = list(spec.keywords)
    subscriber.events = (list(spec.events) or list(DEFAULT_EVENT_FILTERS)) + ([COMMITMENTS_DIGEST] if spec.commitments_digest else [])
    subscriber.digest = spec.digest
    subscriber.origin = origin
    subscriber.active = True
    session.flush()
    return subscriber


def sync_from_config(session: Session, config: Config) -> None:
    """Make the database's config subscribers equal to ``config.subscribers``.

    A config subscriber that left the file is deactivated; a CLI subscriber of the same name
    as a config one is taken over by the config (the file is the operator's declared intent).
    """
    declared = {entry.name for entry in config.subscribers}
    for entry in config.subscribers:
        apply_spec(session, SubscriberSpec.from_config(entry), origin="config")
    gone = session.scalars(
        select(Subscriber).where(Subscriber.origin == "config", Subscriber.active.is_(True))
    ).all()
    for subscriber in gone:
        if subscriber.name not in declared:
            deactivate(session, subscriber, reason="removed from the configuration")


def add_subscriber(session: Session, spec: SubscriberSpec) -> Subscriber:
    existing = session.scalar(select(Subscriber).where(Subscriber.name == spec.name))
    if existing is not None and existing.origin == "config" and existing.active:
        raise SubscriberError(f"subscriber {spec.name!r} is declared in the configuration; edit it there")
    return apply_spec(session, spec, origin="cli")


def remove_subscriber(session: Session, name: str) -> Subscriber:
    subscriber = get_subscriber(session, name)
    if subscriber.origin == "config":
        raise SubscriberError(f"subscriber {name!r} is declared in the configuration; remove it there")
    deactivate(session, subscriber, reason="subscriber removed")
    return subscriber


def get_subscriber(session: Session, name: str) -> Subscriber:
    subscriber = session.scalar(select(Subscriber).where(Subscriber.name == name, Subscriber.active.is_(True)))
    if subscriber is None:
        raise SubscriberError(f"no active subscriber named {name!r}")
    return subscriber


def deactivate(session: Session, subscriber: Subscriber, reason: str, now: datetime | None = None) -> None:
    """Stop alerting ``subscriber``; what it was still owed goes ``dead`` saying why."""
    subscriber.active = False
    session.execute(
        update(Alert)
        .where(Alert.subscriber_id == subscriber.id, Alert.status.in_(("pending", "failed")))
        .values(status="dead", last_error=reason, next_attempt_at=now or utcnow())
    )
    session.flush()
