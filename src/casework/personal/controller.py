"""Unmasked identifiers of one case's parties, for roles that need them."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.datastructures import CacheControlHeader

from casework.access.auth import requires
from casework.personal import service
from casework.personal.schemas import RevealedPersonalData, RevealRequest


class PersonalDataController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @post("/{reference:str}/personal-data", guards=[requires("case.reveal_personal")], status_code=200,
          summary="Show one case's ID numbers, phones and addresses in clear; the read is recorded",
          cache_control=CacheControlHeader(no_store=True))  # identifiers in clear: no cache keeps them
    async def reveal(self, request: Request, reference: str, data: RevealRequest) -> RevealedPersonalData:
        return await service.reveal(reference, actor=request.user, reason=data.reason,
                                    positions=data.parties, fields=data.fields)
