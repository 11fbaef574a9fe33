"""Page-numbered lists: `page` and `per_page` in, items with totals out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_PER_PAGE = 500
MAX_PAGE = 10**9
"""Pages beyond this are refused (422): the offset must stay a 64-bit number."""


class Page(BaseModel, Generic[T]):
    """One page of a list and where it sits in the whole."""

    items: list[T]
    page: int
    per_page: int
    total: int
    pages: int


@dataclass(frozen=True, slots=True)
class PageParams:
    """Which page a caller asked for."""

    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page

    def wrap(self, items: list[T], total: int) -> Page[T]:
        """Build the page object for these items."""
        pages = max(1, -(-total // self.per_page))
        return Page[T](
            items=items, page=self.page, per_page=self.per_page, total=total, pages=pages
        )


async def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Items per page.")] = 50,
) -> PageParams:
    """Read the paging query parameters."""
    return PageParams(page, per_page)


Paging = Annotated[PageParams, Depends(page_params)]
