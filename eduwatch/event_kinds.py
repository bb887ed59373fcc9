"""Event kinds and the subscriber event filters built on them: eduwatch's change vocabulary.

Why it lives here, on the floor every package imports: the monitor's change pass writes events
of these kinds; the alerts layer matches and labels them; the configuration checks a
subscriber's ``events`` list; the CLI offers both as choices. ``alerts`` may not import
``monitor`` (they stand beside each other), so the words are defined once, here, and every
layer imports them instead of restating them.

A subscriber's event filters select among those kinds:

- ``new_plan``: a ``new`` event for a rural-education plan;
- ``plan_revised``: ``revised`` *or* ``metadata_changed`` of a plan. A changed 文号, validity or
  title of a plan is exactly what a plan's followers need to know, so metadata counts too (the
  matcher leaves out a change of dates alone: see :mod:`alerts.matching`);
- ``plan_abolished`` / ``plan_withdrawn``: ``abolished`` / ``withdrawn`` of a plan;
- ``any_new``: every ``new`` event, plan or not;
- ``plan_commitment_changed``: ``commitment_changed`` of a plan: a revision moved a target or a
  deadline inside it (monitor.changes.commitments), with the old and new values.

- ``commitments_digest`` (set by the subscriber key of that name, not listed in ``events``): the
  monthly ``commitments_due`` events, one per plan with commitments falling due in 90 days.

``reposted`` is selected by no filter: a repost is the same document, already announced.
"""

from __future__ import annotations

from dataclasses import dataclass

NEW = "new"  # first seen
REVISED = "revised"  # body or attachment text changed
METADATA_CHANGED = "metadata_changed"  # title, 文号, dates, validity …
ABOLISHED = "abolished"  # validity turned to 失效/废止, or is_abolished became true
WITHDRAWN = "withdrawn"  # gone from its portal's lists and answering 404 twice
REPOSTED = "reposted"  # a known document found on another portal
COMMITMENT_CHANGED = "commitment_changed"  # a revision changed, added or dropped a plan's commitments
COMMITMENTS_DUE = "commitments_due"  # monthly: a plan's commitments falling due in the next 90 days
EVENT_KINDS = (NEW, REVISED, METADATA_CHANGED, ABOLISHED, WITHDRAWN, REPOSTED, COMMITMENT_CHANGED, COMMITMENTS_DUE)


# The filter ``commitments_digest = true`` adds to a subscriber's stored filters: the monthly
# ``commitments_due`` events of rural plans (monitor.changes.commitments.due_digest).
COMMITMENTS_DIGEST = "commitments_digest"


@dataclass(frozen=True)
class EventFilter:
    """One subscriber event filter: the event kinds it selects, among plans or among all."""

    name: str
    kinds: tuple[str, ...]
    plans_only: bool = True

    def selects(self, kind: str, is_rural_plan: bool) -> bool:
        return kind in self.kinds and (is_rural_plan or not self.plans_only)


FILTERS: dict[str, EventFilter] = {
    selected.name: selected
    for selected in (
        EventFilter("new_plan", (NEW,)),
        EventFilter("plan_revised", (REVISED, METADATA_CHANGED)),
        EventFilter("plan_abolished", (ABOLISHED,)),
        EventFilter("plan_withdrawn", (WITHDRAWN,)),
        EventFilter("any_new", (NEW,), plans_only=False),
        EventFilter("plan_commitment_changed", (COMMITMENT_CHANGED,)),
        EventFilter(COMMITMENTS_DIGEST, (COMMITMENTS_DUE,)),
    )
}
# A subscriber turns the digest on with ``commitments_digest = true``, not in ``events``.
EVENT_FILTERS = tuple(name for name in FILTERS if name != COMMITMENTS_DIGEST)
DEFAULT_EVENT_FILTERS = ("new_plan",)  # what a subscriber who names no filter gets
