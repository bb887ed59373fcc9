"""Who is owed which alert, written in the event's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts.matching import matches
from alerts.outbox import enqueue_alerts
from alerts.subscribers import SubscriberSpec, add_subscriber, sync_from_config
from eduwatch.config import SubscriberConfig
from storage.models import Alert, Event, Subscriber
from tests.alerts.conftest import add_document, add_event, add_portal, add_run, make_config


def _subscribers(session) -> dict[str, Subscriber]:
    specs = [
        SubscriberSpec("jieyang", email="jy@example.org", regions=["广东省揭阳市"]),
        SubscriberSpec("longchuan-only", email="lc@example.org", portals=["longchuan"]),
        SubscriberSpec("preschool", email="pre@example.org", keywords=["学前教育"]),
        SubscriberSpec("everything-new", email="all@example.org", events=["any_new"]),
        SubscriberSpec("revisions", wecom_webhook="http://127.0.0.1:9/send?key=x", events=["plan_revised"]),
        SubscriberSpec("both", email="both@example.org", wecom_webhook="http://127.0.0.1:9/send?key=y",
                       events=["new_plan", "plan_abolished", "plan_withdrawn"]),
    ]
    return {spec.name: add_subscriber(session, spec) for spec in specs}


def _owed(session, event: Event) -> set[tuple[str, str]]:
    alerts = session.scalars(select(Alert).where(Alert.event_id == event.id)).all()
    return {(a.subscriber.name, a.channel) for a in alerts}


def test_right_subscribers_get_right_alerts(db):
    with db.transaction() as session:
        _subscribers(session)
        huilai = add_portal(session)
        longchuan = add_portal(session, "longchuan", "广东省河源市龙川县", "龙川县人民政府")
        plan = add_document(session, huilai)
        preschool_plan = add_document(session, longchuan, "龙川县学前教育乡村振兴规划", "发展农村学前教育。")
        notice = add_document(session, huilai, "关于开展消防安全检查的通知", "消防检查。", plan=False)

        new_plan = add_event(session, plan, huilai)
        new_preschool = add_event(session, preschool_plan, longchuan)
        new_notice = add_event(session, notice, huilai)
        revised = add_event(session, plan, huilai, "revised")
        meta = add_event(session, plan, huilai, "metadata_changed", details={"changes": {"title": ["旧", "新"]}})
        redated = add_event(session, plan, huilai, "metadata_changed",
                            details={"changes": {"published_date": ["2023-11-10", "2023-11-11"]}})
        abolished = add_event(session, plan, huilai, "abolished")
        reposted = add_event(session, plan, longchuan, "reposted")
        notice_revised = add_event(session, notice, huilai, "revised")

        assert _owed(session, new_plan) == {
            ("jieyang", "email"), ("everything-new", "email"), ("both", "email"), ("both", "wecom"),
        }
        assert _owed(session, new_preschool) == {
            ("longchuan-only", "email"), ("preschool", "email"), ("everything-new", "email"),
            ("both", "email"), ("both", "wecom"),
        }
        # not a plan: only the subscriber who asked for every new notice
        assert _owed(session, new_notice) == {("everything-new", "email")}
        assert _owed(session, revised) == {("revisions", "wecom")}
        assert _owed(session, meta) == {("revisions", "wecom")}  # metadata_changed counts as plan_revised
        assert _owed(session, redated) == set()  # ... unless only its dates moved
        assert _owed(session, abolished) == {("both", "email"), ("both", "wecom")}
        assert _owed(session, reposted) == set()
        assert _owed(session, notice_revised) == set()


def test_region_is_a_prefix_and_portal_none_uses_sources(db):
    with db.transaction() as session:
        huilai = add_portal(session)
        plan = add_document(session, huilai)
        event = add_event(session, plan, None)
        subscriber = Subscriber(name="s", email="s@x.org", regions=["广东省 揭阳市"], portals=[], keywords=[],
                                events=["new_plan"], active=True)
        assert matches(subscriber, event, plan, None)
        subscriber.regions = ["揭阳市"]  # not a prefix of 广东省揭阳市惠来县
        assert not matches(subscriber, event, plan, huilai)
        subscriber.regions = ["广东省揭阳市惠来县"]
        subscriber.active = False
        assert not matches(subscriber, event, plan, huilai)


def test_a_portal_without_a_region_matches_only_subscribers_without_a_region_filter(db):
    with db.transaction() as session:
        county = add_portal(session, "county", region="")  # region is optional in the config
        plan = add_document(session, county)
        event = add_event(session, plan, county)
        anywhere = Subscriber(name="a", email="a@x.org", regions=[], portals=[], keywords=[], events=["new_plan"],
                              active=True)
        guangdong = Subscriber(name="g", email="g@x.org", regions=["广东省"], portals=[], keywords=[],
                               events=["new_plan"], active=True)
        assert matches(anywhere, event, plan, county)
        assert matches(anywhere, event, plan, None)  # through the document's sources
        assert not matches(guangdong, event, plan, county)
        assert not matches(guangdong, event, plan, None)


def test_enqueue_twice_adds_nothing_and_key_is_unique(db):
    with db.transaction() as session:
        _subscribers(session)
        huilai = add_portal(session)
        event = add_event(session, add_document(session, huilai), huilai)
        assert enqueue_alerts(session, event) == []
        keys = session.scalars(select(Alert.idempotency_key).where(Alert.event_id == event.id)).all()
        assert sorted(keys) == sorted(set(keys)) and len(keys) == 4
        event_id = event.id
        subscriber_id = session.scalar(select(Subscriber.id).where(Subscriber.name == "jieyang"))
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.add(Alert(idempotency_key=f"e{event_id}:s{subscriber_id}:email", event_id=event_id,
                              subscriber_id=subscriber_id, channel="email"))


def test_event_and_its_alerts_commit_or_roll_back_together(db):
    with db.transaction() as session:
        _subscribers(session)
        huilai = add_portal(session)
        document = add_document(session, huilai)
        portal_id, document_id = huilai.id, document.id
    with pytest.raises(RuntimeError):
        with db.transaction() as session:
            document = session.get(type(document), document_id)
            add_event(session, document, session.get(type(huilai), portal_id))
            assert session.scalar(select(Alert.id).limit(1)) is not None
            raise RuntimeError("the monitor failed after enqueueing")
    with db.transaction() as session:
        assert session.scalars(select(Event)).all() == []
        assert session.scalars(select(Alert)).all() == []


def test_digest_subscribers_group_by_crawl_run(db):
    with db.transaction() as session:
        add_subscriber(session, SubscriberSpec("daily", email="d@x.org", digest=True))
        huilai = add_portal(session)
        run = add_run(session, huilai)
        events = [add_event(session, add_document(session, huilai, f"乡村教育方案{i}"), huilai, run=run) for i in range(3)]
        groups = {a.digest_group for a in session.scalars(select(Alert)).all()}
        assert groups == {f"run:{run.id}"} and len(events) == 3


def test_sync_from_config_adds_updates_and_deactivates(db):
    config = make_config(db.url)
    entry = SubscriberConfig(name="cfg", email="c@x.org", regions=("广东省",), events=("any_new",))
    with db.transaction() as session:
        sync_from_config(session, config.__class__(**{**config.__dict__, "subscribers": (entry,)}))
        subscriber = session.scalar(select(Subscriber).where(Subscriber.name == "cfg"))
        assert (subscriber.origin, subscriber.regions, subscriber.events, subscriber.active) == (
            "config", ["广东省"], ["any_new"], True)
    with db.transaction() as session:
        sync_from_config(session, config)  # gone from the file
        assert session.scalar(select(Subscriber.active).where(Subscriber.name == "cfg")) is False
