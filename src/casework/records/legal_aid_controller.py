"""The write routes for the legal-aid applications of a case's parties
(法律援助), under ``records.write`` with the case's ETag in If-Match (412
stale, 428 missing), answering the application as it now reads and the
case's new ETag. Their reads come from records/read_routes.py."""

from __future__ import annotations

from litestar import Controller, Request, Response, post

from casework.access.auth import requires
from casework.records import legal_aid
from casework.records import legal_aid_schemas as s
from casework.records.read_routes import read_routes
from casework.routes import IfMatch, with_etag

WRITE = [requires("records.write")]


class LegalAidController(Controller):
    """An application, the centre's decision, the worker assigned, objections and how it ended."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    list_legal_aid, get_legal_aid = read_routes("legal-aid")

    @post("/legal-aid", guards=WRITE, status_code=201,
          summary="Record a legal-aid application: the 7-day decision clock starts; priority when a period of "
                  "the case ends in under 7 days (art. 44)")
    async def create_legal_aid(self, request: Request, reference: str, data: s.LegalAidCreate,
                               if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.apply(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/legal-aid/{record_id:int}/decision", guards=WRITE, status_code=200,
          summary="The centre gives aid (granted, 给予) or not (refused, 不予): a grant starts the 3 days to "
                  "assign a legal-aid worker")
    async def legal_aid_decision(self, request: Request, reference: str, record_id: int,
                                 data: s.LegalAidDecision, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.decide(reference, record_id, data, actor=request.user, if_match=if_match))

    @post("/legal-aid/{record_id:int}/worker", guards=WRITE, status_code=200,
          summary="The legal-aid worker assigned (法律援助人员: lawyer, grassroots legal-service worker, "
                  "volunteer, centre staff)")
    async def legal_aid_worker(self, request: Request, reference: str, record_id: int,
                               data: s.WorkerAssignment, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.assign_worker(reference, record_id, data, actor=request.user,
                                                       if_match=if_match))

    @post("/legal-aid/{record_id:int}/lawyer", guards=WRITE, status_code=200,
          summary="The lawyer assigned (kept for one version: use .../worker)")
    async def legal_aid_lawyer(self, request: Request, reference: str, record_id: int,
                               data: s.LawyerAssignment, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.assign_worker(reference, record_id, data, actor=request.user,
                                                       if_match=if_match))

    @post("/legal-aid/{record_id:int}/papers", guards=WRITE, status_code=200,
          summary="The papers of an application granted before them (priority, art. 44) are in")
    async def legal_aid_papers(self, request: Request, reference: str, record_id: int,
                               data: s.LegalAidPapers, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.papers_completed(reference, record_id, data, actor=request.user,
                                                          if_match=if_match))

    @post("/legal-aid/{record_id:int}/objection", guards=WRITE, status_code=200,
          summary="The applicant objects to a refusal or termination: the justice bureau's 5 days start")
    async def legal_aid_objection(self, request: Request, reference: str, record_id: int,
                                  data: s.LegalAidObjection, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.object_to(reference, record_id, data, actor=request.user,
                                                   if_match=if_match))

    @post("/legal-aid/{record_id:int}/objection/decision", guards=WRITE, status_code=200,
          summary="The justice bureau decides the objection")
    async def legal_aid_objection_decision(self, request: Request, reference: str, record_id: int,
                                           data: s.ObjectionDecision,
                                           if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.decide_objection(reference, record_id, data, actor=request.user,
                                                          if_match=if_match))

    @post("/legal-aid/{record_id:int}/outcome", guards=WRITE, status_code=200,
          summary="How it ended: concluded (办结), terminated (终止, art. 48, with its reason) or withdrawn")
    async def legal_aid_outcome(self, request: Request, reference: str, record_id: int,
                                data: s.LegalAidOutcome, if_match: IfMatch = None) -> Response[s.LegalAidRead]:
        return with_etag(await legal_aid.conclude(reference, record_id, data, actor=request.user, if_match=if_match))
