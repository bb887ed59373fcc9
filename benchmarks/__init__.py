"""eduwatch benchmarks: province-scale figures measured on one machine against local portals.

Run ``python -m benchmarks`` (full, < 10 minutes) or ``python -m benchmarks --quick`` (< 1 minute,
run by CI so the suite cannot rot). Benchmarks PRINT figures and targets; they never assert.
"""
