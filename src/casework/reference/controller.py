"""Reference data over the API: read by every role, corrected by admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post, put
from litestar.params import Parameter

from casework.access.auth import requires
from casework.reference import admin, service
from casework.reference.catalogue import reference_data
from casework.reference.schemas import (
    BodyList,
    BodyRead,
    BodyWrite,
    CategoryRead,
    CategoryWrite,
    DivisionList,
    DivisionRead,
    DivisionWrite,
    ReferenceData,
)


class ReferenceController(Controller):
    path = "/api/v1"
    tags = ["reference"]
    guards = [requires("reference.read")]

    @get("/reference", summary="Categories, channels, tracks, roles and time limits")
    async def reference(self) -> ReferenceData:
        return await reference_data()

    @get("/divisions", summary="Administrative divisions, optionally under a prefix")
    async def list_divisions(
        self, prefix: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None
    ) -> DivisionList:
        return await service.divisions(prefix)

    @get("/bodies", summary="Handling bodies")
    async def list_bodies(
        self,
        kind: str | None = None,
        division: Annotated[str | None, Parameter(pattern=r"^[0-9]{1,12}$")] = None,
    ) -> BodyList:
        return await service.bodies(kind, division)

    @get("/bodies/{body_id:int}")
    async def get_body(self, body_id: int) -> BodyRead:
        return await service.body_by_id(body_id)

    @post("/divisions", guards=[requires("reference.write")], summary="Add a division (admin)")
    async def add_division(self, request: Request, data: DivisionWrite) -> DivisionRead:
        return await admin.add_division(data, request.user)

    @put("/bodies/{code:str}", guards=[requires("reference.write")], summary="Create or correct a body (admin)")
    async def put_body(self, request: Request, code: str, data: BodyWrite) -> BodyRead:
        return await admin.put_body(code, data, request.user)

    @put("/categories/{code:str}", guards=[requires("reference.write")],
         summary="Create or correct a category (admin)")
    async def put_category(self, request: Request, code: str, data: CategoryWrite) -> CategoryRead:
        return await admin.put_category(code, data, request.user)
