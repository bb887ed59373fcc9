"""Full-text search over titles, bodies and attachment texts, on SQLite and PostgreSQL.

``tokens`` makes the terms (character bigrams), ``index`` writes them with each document (in
the store's transaction) and rebuilds them (``eduwatch reindex``), ``query`` answers a query
with ranked, snippeted hits.
"""

from storage.search.index import index_documents, rebuild_index, unindexed_count
from storage.search.query import SearchHit, SearchPage, SearchQuery, search

__all__ = ["SearchHit", "SearchPage", "SearchQuery", "index_documents", "rebuild_index", "search", "unindexed_count"]
