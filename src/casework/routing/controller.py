"""Routing preview and the routing rules (read by all, changed by admins)."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put

from casework.access.auth import requires
from casework.cases import validation as cases
from casework.cases.schemas import CaseCreate
from casework.routing import admin
from casework.routing.schemas import (
    RoutingPreview,
    RoutingRuleList,
    RoutingRuleRead,
    RoutingRuleWrite,
)


class RoutingController(Controller):
    path = "/api/v1"
    tags = ["routing"]

    @post("/routing/preview", guards=[requires("routing.preview")], status_code=200,
          summary="The routing decision for a draft case; nothing is saved")
    async def preview(self, request: Request, data: CaseCreate) -> RoutingPreview:
        return await cases.preview_route(data, request.user)

    @get("/routing-rules", guards=[requires("reference.read")], summary="Routing rules in order")
    async def list_rules(self) -> RoutingRuleList:
        return await admin.routing_rules()

    @put("/routing-rules/{code:str}", guards=[requires("reference.write")],
         summary="Create or correct a routing rule (admin)")
    async def put_rule(self, request: Request, code: str, data: RoutingRuleWrite) -> RoutingRuleRead:
        return await admin.put_routing_rule(code, data, request.user)

    @get("/routing-rules/{code:str}", guards=[requires("reference.read")])
    async def get_rule(self, code: str) -> RoutingRuleRead:
        return await admin.routing_rule(code)
