"""Distributed crawling on scrapy-redis: one scheduler, any number of workers, one queue.

``eduwatch daemon --distributed`` opens a crawl run and pushes a *seed* (portal, run id) into
Redis; every ``eduwatch worker`` (any machine) runs one long-lived Scrapy process whose
:class:`DistributedSpider` turns seeds into the portal spider's list requests and routes
every response to that portal's ordinary spider code (:class:`crawler.spiders.base.PortalSpider`
subclasses, one instance per run and worker), so list walking, detail parsing and
attachments are exactly those of a local crawl. Documents are saved straight into the
shared database by the worker that parsed them (one transaction each).

What is shared through Redis (keys under ``[redis] key_prefix``, default ``eduwatch``):

* ``<p>:requests`` — the one request queue (scrapy-redis priority queue);
* ``<p>:dupefilter:<run>`` — one dupefilter per *run* (:class:`RunDupeFilter`): within a run
  no URL is fetched twice whichever worker meets it, while the next run may fetch it again.
  A single permanent dupefilter (scrapy-redis's default with ``SCHEDULER_PERSIST``) would
  silently stop every later run at its list pages; list pages are ``dont_filter`` anyway;
* ``<p>:start_urls`` — seeds; ``<p>:run:<id>`` — the run's tally (outstanding requests,
  pages, list failures, blocked/cancelled) and ``<p>:run:<id>:errors``;
* ``<p>:inflight`` + ``<p>:worker:<id>`` — every request a worker has taken and not
  finished, and each worker's heartbeat (10 s TTL). When a worker dies, any other worker
  puts its unfinished requests back in the queue: a worker killed mid-crawl loses no
  request, so no document.

A run is finished when its outstanding-request count reaches zero: each request is counted
when created (before its parent is done) and uncounted when its callback or errback ends;
the worker that brings it to zero closes the run in the database. The scheduler side
(:func:`crawl_distributed`) holds the portal's ``crawl:<portal>`` lease meanwhile, exactly
as a local crawl does, and enforces the time limit (remaining requests of a cancelled run
are dropped; the next run finds what they would have).

Withdrawal probes, as at the end of a local run: every worker's list walk merges its lists'
coverage into ``<p>:run:<id>:coverage`` (:mod:`crawler.distributed.probes`). The worker that
first brings the count to zero claims the tally's ``probes`` field (HSETNX: one worker per
run); unless the run was blocked, cancelled or failed to read a list, it computes the known
URLs missing from the lists within their covered range, counts them on the tally and pushes
them into the shared queue. Whichever worker brings the count to zero again closes the run.
"""

from crawler.distributed.keys import Keys, connect
from crawler.distributed.scheduler import crawl_distributed, crawl_distributed_batch, enqueue_run
from crawler.distributed.tally import RunTally, finish_from_tally
from crawler.distributed.process import run_worker

__all__ = ["Keys", "RunTally", "connect", "crawl_distributed", "crawl_distributed_batch", "enqueue_run", "finish_from_tally", "run_worker"]
