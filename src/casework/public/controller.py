"""Open routes for parties: no token, reference + receipt code instead."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import Parameter
from msgspec import Meta, Struct

from casework.problems import invalid
from casework.public import abuse, applications, service
from casework.public.schemas import (
    APPLICATION_MAX_BYTES,
    ApplicationCreate,
    ApplicationReceipt,
    Challenge,
    PlaceList,
)

# Loose bounds only: a malformed reference is answered like an unknown one.
Reference = Annotated[str, Meta(min_length=1, max_length=40)]
ReceiptCode = Annotated[str, Meta(min_length=1, max_length=20)]
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class LookupRequest(Struct, forbid_unknown_fields=True):
    reference: Reference
    receipt_code: ReceiptCode


class FeedbackRequest(Struct, forbid_unknown_fields=True):
    reference: Reference
    receipt_code: ReceiptCode
    rating: Rating
    comment: Annotated[str, Meta(max_length=1000)] | None = None
    proceeding: Annotated[int, Meta(ge=1, le=100)] | None = None  # seq; default the latest concluded


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class PublicController(Controller):
    path = "/api/v1/public"
    tags = ["public"]
    security = [{}]  # no token

    @post("/lookup", status_code=200, summary="A party follows their case with its reference and receipt code",
          description="Wrong code and unknown reference get the same 404; failures are throttled per "
                      "reference and per address (429 with Retry-After).")
    async def lookup(self, request: Request, data: LookupRequest) -> dict[str, Any]:
        return await service.lookup(data.reference, data.receipt_code, _address(request))

    @post("/feedback", status_code=201, summary="A party rates a concluded proceeding, once")
    async def feedback(self, request: Request, data: FeedbackRequest) -> dict[str, Any]:
        comment = data.comment.strip() if data.comment else None
        if comment and "\x00" in comment:
            raise invalid([{"field": "comment", "message": "must not contain NUL characters"}])
        return await service.submit_feedback(
            data.reference, data.receipt_code, _address(request),
            rating=data.rating, comment=comment or None, proceeding_seq=data.proceeding,
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
