"""Subscribers' Atom feed tokens: random, kept only as a SHA-256, revocable.

A feed reader cannot log in, so the feed URL carries a token (``?token=…``). It is shown once,
when made (``eduwatch subscribers show NAME --new-token``); the database keeps its hash, so a
copy of the database does not open anybody's feed. SHA-256 without salt is enough: the token
is 32 random bytes, not a password a person chose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import FeedToken, Subscriber, utcnow

HINT_CHARS = 4


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, subscriber: Subscriber) -> str:
    """A new token for ``subscriber``; any earlier one stops working."""
    revoke(session, subscriber)
    token = secrets.token_urlsafe(32)
    session.add(FeedToken(subscriber_id=subscriber.id, token_hash=_digest(token), hint=token[:HINT_CHARS]))
    session.flush()
    return token


def revoke(session: Session, subscriber: Subscriber) -> int:
    """Revoke ``subscriber``'s live tokens; how many there were."""
    result = session.execute(
        update(FeedToken)
        .where(FeedToken.subscriber_id == subscriber.id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def current(session: Session, subscriber: Subscriber) -> FeedToken | None:
    """The live token's row (its hint and age; never the token)."""
    return session.scalar(
        select(FeedToken).where(FeedToken.subscriber_id == subscriber.id, FeedToken.revoked_at.is_(None))
    )


def opens(session: Session, subscriber: Subscriber, token: str | None) -> bool:
    """Whether ``token`` is ``subscriber``'s live token (compared in constant time)."""
    row = current(session, subscriber)
    return bool(token) and row is not None and hmac.compare_digest(row.token_hash, _digest(token or ""))
