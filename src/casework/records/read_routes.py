"""The read routes of a case's records, two a kind (the list, one record),
made from ``records.read.KINDS`` under ``case.read``. Each kind's controller
takes its pair (``list_sessions, get_session = read_routes("sessions")``),
so a path's reads and writes stay one route: a new kind of record is a row
in KINDS, a row here and that line."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.handlers import HTTPRouteHandler

from casework.access.auth import requires
from casework.records import read

# kind: (the list's summary, one record's summary, the list's operation id, one record's)
_WORDS = {
    "sessions": ("Mediation sessions of the case", "One mediation session", "listSessions", "getSession"),
    "agreements": ("Mediation agreements of the case", "One mediation agreement", "listAgreements",
                   "getAgreement"),
    "judicial-confirmations": ("Judicial confirmation applications", "One judicial confirmation application",
                               "listConfirmations", "getConfirmation"),
    "reconsideration-decisions": ("Reconsideration decisions of the case", "One reconsideration decision",
                                  "listDecisions", "getDecision"),
    "lawsuits": ("Lawsuits linked to the case", "One linked lawsuit", "listLawsuits", "getLawsuit"),
    "arbitrations": ("Labour arbitrations (劳动人事争议仲裁) of the case", "One labour arbitration",
                     "listArbitrations", "getArbitration"),
    "legal-aid": ("Legal-aid applications of the case's parties", "One legal-aid application", "listLegalAid",
                  "getLegalAid"),
}


def read_routes(path: str) -> tuple[HTTPRouteHandler, HTTPRouteHandler]:
    """GET /{path} and GET /{path}/{record_id}, for a controller at the case's path."""
    kind = read.KINDS[path]
    list_summary, one_summary, list_id, one_id = _WORDS[path]

    async def list_records(self: Controller, request: Request, reference: str) -> Any:
        return await read.listing(kind, reference, request.user)

    async def one_record(self: Controller, request: Request, reference: str, record_id: int) -> Any:
        return await read.one(kind, reference, request.user, record_id)

    # The answer's type, for the OpenAPI document and the serializer.
    list_records.__annotations__["return"] = kind.listing
    one_record.__annotations__["return"] = kind.record
    guards = [requires("case.read")]
    return (get(f"/{path}", guards=guards, summary=list_summary, operation_id=list_id)(list_records),
            get(f"/{path}/{{record_id:int}}", guards=guards, summary=one_summary, operation_id=one_id)(one_record))
