"""HTTP routes for cases: intake, detail, list, timeline."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.cases import core, intake, read
from casework.cases.schemas import (
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CaseEventList,
    CasePage,
    RiskLevel,
    Track,
)
from casework.routes import Cursor


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]

    @post("/", guards=[requires("case.create")], status_code=201, summary="Register a petition or dispute")
    async def create_case(
        self,
        request: Request,
        data: CaseCreate,
        idempotency_key: Annotated[str | None, Parameter(header="Idempotency-Key", required=False)] = None,
    ) -> Response[CaseCreated]:
        body, created = await intake.intake(data, actor=request.user, idempotency_key=idempotency_key)
        return Response(
            body,
            status_code=201 if created else 200,
            headers={"ETag": core.etag(body.id, body.version), "Location": f"/api/v1/cases/{body.reference}"},
        )

    @get("/", guards=[requires("case.read")], summary="List cases in your jurisdiction")
    async def list_cases(
        self,
        request: Request,
        status: str | None = None,
        track: Track | None = None,
        stage: str | None = None,
        category: str | None = None,
        division: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None,
        body_id: int | None = None,
        kind: str | None = None,
        collective: bool | None = None,
        risk_level: RiskLevel | None = None,
        received_from: dt.datetime | None = None,
        received_to: dt.datetime | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
    ) -> CasePage:
        filters = {
            "status": status, "track": track, "stage": stage, "category": category, "division": division,
            "body_id": body_id, "kind": kind, "collective": collective, "risk_level": risk_level,
            "received_from": received_from, "received_to": received_to,
        }
        return await read.list_cases(request.user, filters, limit, cursor)

    @get("/{reference:str}", guards=[requires("case.read", case_read_by_handler=True)],
         summary="One case, personal identifiers masked")
    async def get_case(self, request: Request, reference: str) -> Response[CaseDetail]:
        body = await read.get_case(reference, request.user)
        return Response(body, headers={"ETag": core.etag(body.id, body.version)})

    @get("/{reference:str}/events", guards=[requires("case.read")], summary="The case's append-only timeline")
    async def list_case_events(self, request: Request, reference: str) -> CaseEventList:
        return await read.case_events(reference, request.user)
