"""Open routes for parties: no token, reference + receipt code instead."""

from __future__ import annotations

from litestar import Controller, Request, post

from casework.public import service
from casework.public.schemas import FeedbackReceipt, FeedbackRequest, LookupRequest, PublicCaseView


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class PublicController(Controller):
    path = "/api/v1/public"
    tags = ["public"]
    security = [{}]  # no token

    @post("/lookup", status_code=200, summary="A party follows their case with its reference and receipt code",
          description="Wrong code and unknown reference get the same 404; failures are throttled per "
                      "reference and per address (429 with Retry-After).")
    async def lookup(self, request: Request, data: LookupRequest) -> PublicCaseView:
        return await service.lookup(data.reference, data.receipt_code, _address(request))

    @post("/feedback", status_code=201, summary="A party rates a concluded proceeding, once")
    async def feedback(self, request: Request, data: FeedbackRequest) -> FeedbackReceipt:
        return await service.submit_feedback(
            data.reference, data.receipt_code, _address(request),
            rating=data.rating, comment=data.comment, proceeding_seq=data.proceeding,
        )
