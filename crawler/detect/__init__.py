"""Which CMS family a site runs, and the ``[[portals]]`` entry that would crawl it.

Used by ``eduwatch portals detect|add`` (and later by ``doctor``): :mod:`.fetch` fetches
politely (robots.txt, the configured User-Agent), :mod:`.fingerprints` recognises a family on
one page, :mod:`.links` reads a page's links (columns to follow, document-looking links),
:mod:`.propose` walks from a home page to its columns and proposes the entry, :mod:`.sample`
reads one list page as a test crawl would.
"""
