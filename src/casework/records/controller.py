"""Routes for a case's records: read under ``case.read``, write under
``records.write`` with the case's ETag in If-Match (412 stale, 428 missing).
Every write answers with the record and the case's new ETag."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from casework.access.auth import requires
from casework.records import arbitration, legal_aid, litigation, mediation, reconsideration, service
from casework.records import schemas as s

IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False)]
READ = [requires("case.read")]
WRITE = [requires("records.write")]


def written(result: tuple[Any, str], status: int = 200) -> Response[Any]:
    record, etag = result
    return Response(record, status_code=status, headers={"ETag": etag})


class OutcomeRecordController(Controller):
    """Mediation sessions and agreements, judicial confirmation, reconsideration decisions."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/sessions", guards=READ, summary="Mediation sessions of the case")
    async def list_sessions(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "sessions", request.user)

    @get("/sessions/{record_id:int}", guards=READ, summary="One mediation session")
    async def get_session(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "sessions", request.user, record_id)

    @post("/sessions", guards=WRITE, status_code=201,
          summary="Record a session (the record_session action: same rules, same event)")
    async def create_session(self, request: Request, reference: str, data: s.SessionCreate,
                             if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.record_session(reference, data, actor=request.user, if_match=if_match), 201)

    @get("/agreements", guards=READ, summary="Mediation agreements of the case")
    async def list_agreements(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "agreements", request.user)

    @get("/agreements/{record_id:int}", guards=READ, summary="One mediation agreement")
    async def get_agreement(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "agreements", request.user, record_id)

    @post("/agreements", guards=WRITE, status_code=201,
          summary="Record the signed agreement (concludes an open mediation with outcome agreement)")
    async def create_agreement(self, request: Request, reference: str, data: s.AgreementCreate,
                               if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.record_agreement(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/agreements/{record_id:int}/performance", guards=WRITE, status_code=200,
          summary="Record that the agreement was performed or breached")
    async def agreement_performance(self, request: Request, reference: str, record_id: int,
                                    data: s.PerformanceUpdate, if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.update_performance(reference, record_id, data, actor=request.user,
                                                          if_match=if_match))

    @get("/judicial-confirmations", guards=READ, summary="Judicial confirmation applications")
    async def list_confirmations(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "judicial_confirmations", request.user)

    @get("/judicial-confirmations/{record_id:int}", guards=READ, summary="One judicial confirmation application")
    async def get_confirmation(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "judicial_confirmations", request.user, record_id)

    @post("/judicial-confirmations", guards=WRITE, status_code=201,
          summary="Record the application for judicial confirmation (within 30 days of the agreement)")
    async def create_confirmation(self, request: Request, reference: str, data: s.ConfirmationCreate,
                                  if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.apply_for_confirmation(reference, data, actor=request.user,
                                                              if_match=if_match), 201)

    @post("/judicial-confirmations/{record_id:int}/acceptance", guards=WRITE, status_code=200,
          summary="The court accepted the application: its 15-day ruling clock starts")
    async def confirmation_accepted(self, request: Request, reference: str, record_id: int,
                                    data: s.ConfirmationAccepted, if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.confirmation_accepted(reference, record_id, data, actor=request.user,
                                                             if_match=if_match))

    @post("/judicial-confirmations/{record_id:int}/ruling", guards=WRITE, status_code=200,
          summary="The court's ruling: number, date, result")
    async def confirmation_ruling(self, request: Request, reference: str, record_id: int,
                                  data: s.ConfirmationRuling, if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.confirmation_ruled(reference, record_id, data, actor=request.user,
                                                          if_match=if_match))

    @post("/judicial-confirmations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The court president extends the 15-day ruling period (up to 10 days, once, within it)")
    async def confirmation_extension(self, request: Request, reference: str, record_id: int,
                                     data: s.RulingExtension, if_match: IfMatch = None) -> Response[Any]:
        return written(await mediation.extend_ruling(reference, record_id, data, actor=request.user,
                                                     if_match=if_match))

    @get("/reconsideration-decisions", guards=READ, summary="Reconsideration decisions of the case")
    async def list_decisions(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "reconsideration_decisions", request.user)

    @get("/reconsideration-decisions/{record_id:int}", guards=READ, summary="One reconsideration decision")
    async def get_decision(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "reconsideration_decisions", request.user, record_id)

    @post("/reconsideration-decisions", guards=WRITE, status_code=201,
          summary="Record the decision (concludes an accepted reconsideration with the decision type)")
    async def create_decision(self, request: Request, reference: str, data: s.DecisionCreate,
                              if_match: IfMatch = None) -> Response[Any]:
        return written(await reconsideration.record_decision(reference, data, actor=request.user,
                                                             if_match=if_match), 201)


class LitigationRecordController(Controller):
    """Linked external records: lawsuits by court case number, labour
    arbitrations, and legal-aid applications."""

    path = "/api/v1/cases/{reference:str}"
    tags = ["records"]

    @get("/lawsuits", guards=READ, summary="Lawsuits linked to the case")
    async def list_lawsuits(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "lawsuits", request.user)

    @get("/lawsuits/{record_id:int}", guards=READ, summary="One linked lawsuit")
    async def get_lawsuit(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "lawsuits", request.user, record_id)

    @post("/lawsuits", guards=WRITE, status_code=201,
          summary="Link a lawsuit by its case number, e.g. （2026）晋0403民初123号 (recorded once, shared by cases)")
    async def link_lawsuit(self, request: Request, reference: str, data: s.LawsuitCreate,
                           if_match: IfMatch = None) -> Response[Any]:
        return written(await litigation.link_lawsuit(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/lawsuits/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="Record the suit's stage or result (every linked case is updated)")
    async def lawsuit_progress(self, request: Request, reference: str, record_id: int, data: s.LawsuitProgress,
                               if_match: IfMatch = None) -> Response[Any]:
        return written(await litigation.record_progress(reference, record_id, data, actor=request.user,
                                                        if_match=if_match))

    @post("/lawsuits/{record_id:int}/hearings", guards=WRITE, status_code=201, summary="Record a hearing")
    async def lawsuit_hearing(self, request: Request, reference: str, record_id: int, data: s.HearingCreate,
                              if_match: IfMatch = None) -> Response[Any]:
        return written(await litigation.record_hearing(reference, record_id, data, actor=request.user,
                                                       if_match=if_match), 201)

    @get("/arbitrations", guards=READ, summary="Labour arbitrations (劳动人事争议仲裁) of the case")
    async def list_arbitrations(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "arbitrations", request.user)

    @get("/arbitrations/{record_id:int}", guards=READ, summary="One labour arbitration")
    async def get_arbitration(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "arbitrations", request.user, record_id)

    @post("/arbitrations", guards=WRITE, status_code=201,
          summary="Record the application the arbitration commission received: its 5 days to accept start")
    async def create_arbitration(self, request: Request, reference: str, data: s.ArbitrationCreate,
                                 if_match: IfMatch = None) -> Response[Any]:
        return written(await arbitration.record_application(reference, data, actor=request.user,
                                                            if_match=if_match), 201)

    @post("/arbitrations/{record_id:int}/progress", guards=WRITE, status_code=200,
          summary="The commission's steps: accepted or not, award (or mediation, withdrawal), award served")
    async def arbitration_progress(self, request: Request, reference: str, record_id: int,
                                   data: s.ArbitrationProgress, if_match: IfMatch = None) -> Response[Any]:
        return written(await arbitration.record_progress(reference, record_id, data, actor=request.user,
                                                         if_match=if_match))

    @post("/arbitrations/{record_id:int}/extension", guards=WRITE, status_code=200,
          summary="The commission's chair extends the 45 days to the award (up to 15 days, once, within them)")
    async def arbitration_extension(self, request: Request, reference: str, record_id: int,
                                    data: s.ArbitrationExtension, if_match: IfMatch = None) -> Response[Any]:
        return written(await arbitration.extend_award(reference, record_id, data, actor=request.user,
                                                      if_match=if_match))

    @get("/legal-aid", guards=READ, summary="Legal-aid applications of the case's parties")
    async def list_legal_aid(self, request: Request, reference: str) -> dict[str, Any]:
        return await service.read(reference, "legal_aid", request.user)

    @get("/legal-aid/{record_id:int}", guards=READ, summary="One legal-aid application")
    async def get_legal_aid(self, request: Request, reference: str, record_id: int) -> Any:
        return await service.read(reference, "legal_aid", request.user, record_id)

    @post("/legal-aid", guards=WRITE, status_code=201,
          summary="Record a legal-aid application: the 7-day decision clock starts; priority when a period of "
                  "the case ends in under 7 days (art. 44)")
    async def create_legal_aid(self, request: Request, reference: str, data: s.LegalAidCreate,
                               if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.apply(reference, data, actor=request.user, if_match=if_match), 201)

    @post("/legal-aid/{record_id:int}/decision", guards=WRITE, status_code=200,
          summary="The centre gives aid (granted, 给予) or not (refused, 不予): a grant starts the 3 days to "
                  "assign a legal-aid worker")
    async def legal_aid_decision(self, request: Request, reference: str, record_id: int,
                                 data: s.LegalAidDecision, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.decide(reference, record_id, data, actor=request.user, if_match=if_match))

    @post("/legal-aid/{record_id:int}/worker", guards=WRITE, status_code=200,
          summary="The legal-aid worker assigned (法律援助人员: lawyer, grassroots legal-service worker, "
                  "volunteer, centre staff)")
    async def legal_aid_worker(self, request: Request, reference: str, record_id: int,
                               data: s.WorkerAssignment, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.assign_worker(reference, record_id, data, actor=request.user,
                                                     if_match=if_match))

    @post("/legal-aid/{record_id:int}/lawyer", guards=WRITE, status_code=200,
          summary="The lawyer assigned (kept for one version: use .../worker)")
    async def legal_aid_lawyer(self, request: Request, reference: str, record_id: int,
                               data: s.LawyerAssignment, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.assign_worker(reference, record_id, data, actor=request.user,
                                                     if_match=if_match))

    @post("/legal-aid/{record_id:int}/papers", guards=WRITE, status_code=200,
          summary="The papers of an application granted before them (priority, art. 44) are in")
    async def legal_aid_papers(self, request: Request, reference: str, record_id: int,
                               data: s.LegalAidPapers, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.papers_completed(reference, record_id, data, actor=request.user,
                                                        if_match=if_match))

    @post("/legal-aid/{record_id:int}/objection", guards=WRITE, status_code=200,
          summary="The applicant objects to a refusal or termination: the justice bureau's 5 days start")
    async def legal_aid_objection(self, request: Request, reference: str, record_id: int,
                                  data: s.LegalAidObjection, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.object_to(reference, record_id, data, actor=request.user, if_match=if_match))

    @post("/legal-aid/{record_id:int}/objection/decision", guards=WRITE, status_code=200,
          summary="The justice bureau decides the objection")
    async def legal_aid_objection_decision(self, request: Request, reference: str, record_id: int,
                                           data: s.ObjectionDecision, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.decide_objection(reference, record_id, data, actor=request.user,
                                                        if_match=if_match))

    @post("/legal-aid/{record_id:int}/outcome", guards=WRITE, status_code=200,
          summary="How it ended: concluded (办结), terminated (终止, art. 48, with its reason) or withdrawn")
    async def legal_aid_outcome(self, request: Request, reference: str, record_id: int,
                                data: s.LegalAidOutcome, if_match: IfMatch = None) -> Response[Any]:
        return written(await legal_aid.conclude(reference, record_id, data, actor=request.user, if_match=if_match))
