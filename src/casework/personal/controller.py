"""Unmasked identifiers of one case's parties, for roles that need them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, post
from litestar.datastructures import CacheControlHeader
from msgspec import Meta, Struct

from casework.access.auth import requires
from casework.personal import service
from casework.problems import invalid


class RevealRequest(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500)]
    parties: Annotated[list[Annotated[int, Meta(ge=1, le=10000)]], Meta(max_length=200)] | None = None
    fields: Annotated[list[Literal["id_number", "phone", "address"]], Meta(max_length=3)] | None = None


class PersonalDataController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @post("/{reference:str}/personal-data", guards=[requires("case.reveal_personal")], status_code=200,
          summary="Show one case's ID numbers, phones and addresses in clear; the read is recorded",
          cache_control=CacheControlHeader(no_store=True))  # identifiers in clear: no cache keeps them
    async def reveal(self, request: Request, reference: str, data: RevealRequest) -> dict[str, Any]:
        reason = data.reason.strip()
        if len(reason) < 5 or "\x00" in reason:
            raise invalid([{"field": "reason", "message": "say why (at least 5 characters)"}])
        return await service.reveal(reference, actor=request.user, reason=reason,
                                    positions=data.parties, fields=data.fields)
