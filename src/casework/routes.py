"""What the route modules share: the If-Match header a write carries, a
write's answer with the case's new ETag, and a paged list's cursor."""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar import Response
from litestar.params import Parameter

T = TypeVar("T")

# The case's ETag as the client last read it: a write without it is 428, a
# stale one 412 (cases.core checks it inside the write's transaction).
IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]

# The ``next_cursor`` of the page before (casework.paging: one format for every list).
Cursor = Annotated[str | None, Parameter(max_length=200)]


def with_etag(answer: tuple[T, str], status_code: int = 200) -> Response[T]:
    """A write's answer (what it wrote, the case's new ETag) as the response."""
    body, etag = answer
    return Response(body, status_code=status_code, headers={"ETag": etag})
