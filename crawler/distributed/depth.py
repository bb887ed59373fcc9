"""How much work waits in Redis, and on which worker: what ``eduwatch status`` shows in
distributed mode.

The request queue is shared (any worker takes the next request), so "queue depth per worker"
is what each live worker has taken and not finished (its entries in ``<p>:inflight``), beside
the shared queue's length and the seeds not yet turned into requests.
"""

from __future__ import annotations

from typing import Any

import redis

from crawler.distributed.keys import Keys


def queue_depths(server: redis.Redis, keys: Keys) -> dict[str, Any]:
    """{"queued": requests waiting, "seeds": runs not started, "workers": {id: in flight}}."""
    workers: dict[str, int] = {}
    for key in server.scan_iter(match=keys.workers, count=200):
        workers[key.decode().rsplit(":", 1)[1]] = 0
    for field in server.hkeys(keys.inflight):
        worker = field.decode().split("|", 1)[0]
        if worker in workers:  # a dead worker's requests go back to the queue; not its load any more
            workers[worker] += 1
    return {"queued": int(server.zcard(keys.requests)), "seeds": int(server.llen(keys.start_urls)),
            "workers": dict(sorted(workers.items()))}
