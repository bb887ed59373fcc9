"""``eduwatch doctor``: each thing a night crawl or delivery depends on, checked now, by day.

One module per kind of check (configuration, database, channels, portals); :mod:`.run` strings
them together in the order a failure makes the later ones meaningless.
"""
