"""The inbound events route: signature checked, then applied once."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, post
from litestar.params import Parameter

from casework.integrations import inbound
from casework.integrations.schemas import InboundResult


class InboundEventController(Controller):
    path = "/api/v1/integrations"
    tags = ["integrations"]

    @post(
        "/{system:str}/events",
        status_code=200,
        security=[],
        summary="A status event pushed by a court or legal-aid centre (HMAC-signed, idempotent by event_id)",
        description=(
            "Headers: X-Casework-Timestamp (Unix seconds) and X-Casework-Signature: sha256=<hex HMAC-SHA256 of "
            "'<timestamp>.<raw body>' with the system's shared secret>. Body: {event_id, type, data}. Types: "
            "court litigation.updated {case_number, stage, result, result_on, head_appeared, hearing}; legal_aid "
            "legal_aid.decided {external_id, decision, decided_on, refusal_reason}, legal_aid.lawyer_assigned "
            "{external_id, lawyer_name, law_firm, assigned_on}. A replayed event_id answers duplicate: true."
        ),
    )
    async def receive(
        self,
        request: Request,
        system: str,
        timestamp: Annotated[str | None, Parameter(header="X-Casework-Timestamp", required=False)] = None,
        signature: Annotated[str | None, Parameter(header="X-Casework-Signature", required=False)] = None,
    ) -> InboundResult:
        return await inbound.receive(system, await request.body(), timestamp=timestamp, signature=signature)
