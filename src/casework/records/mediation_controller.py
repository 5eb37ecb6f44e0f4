"""Routes for a case's mediation records: sessions, agreements and their
judicial confirmation. Read under ``case.read``; written under
``records.write`` with the case's ETag in If-Match (412 stale, 428 missing),
answering the record as it now reads and the case's new ETag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.records import mediation, read
from casework.records import schemas as s

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]
READ = [requires("case.read")]
WRITE = [requires("records.write")]


class MediationRecordController(Controller):
    """Mediation sessions and agreements, and the judicial confirmation of an agreement."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/sessions", guards=READ, summary="Mediation sessions of the case")
    async def list_sessions(self, request: Request, reference: str) -> s.SessionList:
        return await read.session_list(reference, request.user)

    @get("/sessions/{record_id:int}", guards=READ, summary="One mediation session")
    async def get_session(self, request: Request, reference: str, record_id: int) -> s.SessionRead:
        return await read.session(reference, request.user, record_id)

    @post("/sessions", guards=WRITE, status_code=201,
          summary="Record a session (the record_session action: same rules, same event)")
    async def create_session(self, request: Request, reference: str, data: s.SessionCreate,
                             if_match: IfMatch = None) -> Response[s.SessionRead]:
        session, etag = await mediation.record_session(reference, data, actor=request.user, if_match=if_match)
        return Response(session, status_code=201, headers={"ETag": etag})

    @get("/agreements", guards=READ, summary="Mediation agreements of the case")
    async def list_agreements(self, request: Request, reference: str) -> s.AgreementList:
        return await read.agreement_list(reference, request.user)

    @get("/agreements/{record_id:int}", guards=READ, summary="One mediation agreement")
    async def get_agreement(self, request: Request, reference: str, record_id: int) -> s.AgreementRead:
        return await read.agreement(reference, request.user, record_id)

    @post("/agreements", guards=WRITE, status_code=201,
          summary="Record the signed agreement (concludes an open mediation with outcome agreement)")
    async def create_agreement(self, request: Request, reference: str, data: s.AgreementCreate,
                               if_match: IfMatch = None) -> Response[s.AgreementRead]:
        agreement, etag = await mediation.record_agreement(reference, data, actor=request.user, if_match=if_match)
        return Response(agreement, status_code=201, headers={"ETag": etag})

    @post("/agreements/{record_id:int}/performance", guards=WRITE, status_code=200,
          summary="Record that the agreement was performed or breached")
    async def agreement_performance(self, request: Request, reference: str, record_id: int,
                                    data: s.PerformanceUpdate, if_match: IfMatch = None) -> Response[s.AgreementRead]:
        agreement, etag = await mediation.update_performance(reference, record_id, data, actor=request.user,
                                                             if_match=if_match)
        return Response(agreement, headers={"ETag": etag})

    @get("/judicial-confirmations", guards=READ, summary="Judicial confirmation applications")
    async def list_confirmations(self, request: Request, reference: str) -> s.ConfirmationList:
        return await read.confirmation_list(reference, request.user)

    @get("/judicial-confirmations/{record_id:int}", guards=READ, summary="One judicial confirmation application")
    async def get_confirmation(self, request: Request, reference: str, record_id: int) -> s.ConfirmationRead:
        return await read.confirmation(reference, request.user, record_id)

    @post("/judicial-confirmations", guards=WRITE, status_code=201,
          summary="Record the application for judicial confirmation (within 30 days of the agreement)")
    async def create_confirmation(self, request: Request, reference: str, data: s.ConfirmationCreate,
                                  if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        confirmation, etag = await mediation.apply_for_confirmation(reference, data, actor=request.user,
                                                                    if_match=if_match)
        return Response(confirmation, status_code=201, headers={"ETag": etag})

    @post("/judicial-confirmations/{record_id:int}/acceptance", guards=WRITE, status_code=200,
          summary="The court accepted the application: its 15-day ruling clock starts")
    async def confirmation_accepted(self, request: Request, reference: str, record_id: int,
                                    data: s.ConfirmationAccepted,
                                    if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        confirmation, etag = await mediation.confirmation_accepted(reference, record_id, data, actor=request.user,
                                                                   if_match=if_match)
        return Response(confirmation, headers={"ETag": etag})

    @post("/judicial-confirmations/{record_id:int}/ruling", guards=WRITE, status_code=200,
          summary="The court's ruling: number, date, result")
    async def confirmation_ruling(self, request: Request, reference: str, record_id: int,
                                  data: s.ConfirmationRuling, if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        confirmation, etag = await mediation.confirmation_ruled(reference, record_id, data, actor=request.user,
                                                                if_match=if_match)
        return Response(confirmation, headers={"ETag": etag})

    @post("/judicial-confirmations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The court president extends the 15-day ruling period (up to 10 days, once, within it)")
    async def confirmation_extension(self, request: Request, reference: str, record_id: int,
                                     data: s.RulingExtension, if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        confirmation, etag = await mediation.extend_ruling(reference, record_id, data, actor=request.user,
                                                           if_match=if_match)
        return Response(confirmation, headers={"ETag": etag})
