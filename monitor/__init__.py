"""Above the store: what changed (``monitor.changes``) and the application that runs it all (``monitor.shell``)."""
