"""Page numbers for long lists, with links that keep the list's filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request


@dataclass(frozen=True)
class Pager:
    page: int  # 1-based
    size: int
    total: int
    path: str
    params: tuple[tuple[str, str], ...]  # the request's other query parameters

    @classmethod
    def of(cls, request: Request, page: int, size: int, total: int) -> Pager:
        params = tuple((k, v) for k, v in request.query_params.multi_items() if k != "page" and v != "")
        return cls(max(1, page), size, total, request.url.path, params)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def url(self, page: int) -> str:
        return f"{self.path}?{urlencode([*self.params, ('page', str(page))])}"

    @property
    def previous(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None
