"""The write routes for a case's mediation records: sessions, agreements
and their judicial confirmation, under ``records.write`` with the case's
ETag in If-Match (412 stale, 428 missing), answering the record as it now
reads and the case's new ETag. Their reads come from
records/read_routes.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, post

from casework.access.auth import requires
from casework.records import mediation
from casework.records import schemas as s
from casework.records.read_routes import read_routes
from casework.routes import IfMatch, with_etag

WRITE = [requires("records.write")]


class MediationRecordController(Controller):
    """Mediation sessions and agreements, and the judicial confirmation of an agreement."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    list_sessions, get_session = read_routes("sessions")
    list_agreements, get_agreement = read_routes("agreements")
    list_confirmations, get_confirmation = read_routes("judicial-confirmations")

    @post("/sessions", guards=WRITE, status_code=201,
          summary="Record a session (the record_session action: same rules, same event)")
    async def create_session(self, request: Request, reference: str, data: s.SessionCreate,
                             if_match: IfMatch = None) -> Response[s.SessionRead]:
        return with_etag(await mediation.record_session(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/agreements", guards=WRITE, status_code=201,
          summary="Record the signed agreement (concludes an open mediation with outcome agreement)")
    async def create_agreement(self, request: Request, reference: str, data: s.AgreementCreate,
                               if_match: IfMatch = None) -> Response[s.AgreementRead]:
        return with_etag(await mediation.record_agreement(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/agreements/{record_id:int}/performance", guards=WRITE, status_code=200,
          summary="Record that the agreement was performed or breached")
    async def agreement_performance(self, request: Request, reference: str, record_id: int,
                                    data: s.PerformanceUpdate, if_match: IfMatch = None) -> Response[s.AgreementRead]:
        return with_etag(await mediation.update_performance(reference, record_id, data, actor=request.user,
                                                            if_match=if_match))

    @post("/judicial-confirmations", guards=WRITE, status_code=201,
          summary="Record the application for judicial confirmation (within 30 days of the agreement)")
    async def create_confirmation(self, request: Request, reference: str, data: s.ConfirmationCreate,
                                  if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        return with_etag(await mediation.apply_for_confirmation(reference, data, actor=request.user,
                                                                if_match=if_match), 201)

    @post("/judicial-confirmations/{record_id:int}/acceptance", guards=WRITE, status_code=200,
          summary="The court accepted the application: its 15-day ruling clock starts")
    async def confirmation_accepted(self, request: Request, reference: str, record_id: int,
                                    data: s.ConfirmationAccepted,
                                    if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        return with_etag(await mediation.confirmation_accepted(reference, record_id, data, actor=request.user,
                                                               if_match=if_match))

    @post("/judicial-confirmations/{record_id:int}/ruling", guards=WRITE, status_code=200,
          summary="The court's ruling: number, date, result")
    async def confirmation_ruling(self, request: Request, reference: str, record_id: int,
                                  data: s.ConfirmationRuling, if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        return with_etag(await mediation.confirmation_ruled(reference, record_id, data, actor=request.user,
                                                            if_match=if_match))

    @post("/judicial-confirmations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The court president extends the 15-day ruling period (up to 10 days, once, within it)")
    async def confirmation_extension(self, request: Request, reference: str, record_id: int,
                                     data: s.RulingExtension, if_match: IfMatch = None) -> Response[s.ConfirmationRead]:
        return with_etag(await mediation.extend_ruling(reference, record_id, data, actor=request.user,
                                                       if_match=if_match))
