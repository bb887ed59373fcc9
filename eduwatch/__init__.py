"""eduwatch: scheduled crawling and change monitoring of Chinese government education notices.

The working packages are ``crawler`` (fetch and extract), ``storage`` (the store),
``monitor`` (revisions, events, classification, daemon, CLI) and ``alerts`` (delivery).
This package holds only what all of them share, so each of them may import it: the
configuration schema and the shared vocabulary (event kinds and filters, platforms).
"""

__version__ = "0.1.0"
