"""The application shell: the CLI, the daemon and its schedules, status, logging and the demo.

It drives the floors below (crawl children, the change pass in :mod:`monitor.changes`,
delivery in :mod:`alerts`) and is the only code that does; nothing imports it.
"""
