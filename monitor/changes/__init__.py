"""The change-detection pass: stored documents in, revisions, diffs, verdicts and events out.

Reads what the crawler stored and writes what alerts read; it knows nothing of processes,
schedules or terminals (those are :mod:`monitor.shell`).
"""
