"""Open routes for parties: no token, reference + receipt code instead."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter

from casework.public import abuse, applications, service
from casework.public.schemas import (
    APPLICATION_MAX_BYTES,
    ApplicationCreate,
    ApplicationReceipt,
    Challenge,
    FeedbackReceipt,
    FeedbackRequest,
    LookupRequest,
    PlaceList,
    PublicCaseView,
)


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

    @get("/challenge", summary="A proof-of-work challenge to solve before filing online (ALTCHA)",
         description="Solve it (the ALTCHA widget does) and send the solution as ``altcha`` with the "
                     "application. Each solution is accepted once, until the challenge expires.",
         cache_control=CacheControlHeader(no_store=True))
    async def challenge(self) -> Challenge:
        return abuse.challenge()

    @get("/places", summary="Villages and communities an application may be filed for")
    async def places(self) -> PlaceList:
        return await applications.places()

    @post("/applications", status_code=201, request_max_body_size=APPLICATION_MAX_BYTES,
          summary="A party files a petition or a dispute online",
          description="No account. The application awaits registration by the station or body for its "
                      "division (网上提交待登记); the answer carries the reference and the receipt code for "
                      "the lookup, shown this once. With the same Idempotency-Key and body, the first "
                      "answer again (200). The body carries a solved challenge (``altcha``); filings are "
                      "throttled per address and per division (429 with Retry-After); at most 32 KiB (413).")
    async def apply(
        self, request: Request, data: ApplicationCreate,
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False)] = None,
    ) -> Response[ApplicationReceipt]:
        receipt, created = await applications.file_application(data, address=_address(request),
                                                                idempotency_key=idempotency_key)
        return Response(receipt, status_code=201 if created else 200)
