"""Notices as documents: generating a notice's document from its body's
template (``notices.generate``, If-Match), a body's templates and their
versions (read under ``reference.read``, replaced under
``templates.manage``), and a body's document numbering."""

from __future__ import annotations

import hashlib
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from casework.access.auth import requires
from casework.documents import generate, templates
from casework.documents.download import file_headers
from casework.documents.schemas import (
    NoticeDocumentRead,
    NumberingRead,
    NumberingUpdate,
    TemplateList,
    TemplateRead,
)
from casework.openapi_shapes import operation_with_file_answer, operation_with_file_body
from casework.routes import IfMatch

Kind = Annotated[str, Parameter(max_length=64)]


class NoticeDocumentController(Controller):
    path = "/api/v1/cases/{reference:str}/notices/{notice_id:int}/document"
    tags = ["documents"]

    @post("/", guards=[requires("notices.generate")], status_code=201,
          summary="Make the notice's document from the body's template: numbered, filled, stored on the "
                  "proceeding (the parties' addresses are read: recorded)")
    async def generate(self, request: Request, reference: str, notice_id: int,
                       if_match: IfMatch = None) -> Response[NoticeDocumentRead]:
        made, etag = await generate.generate(reference, notice_id, actor=request.user, if_match=if_match,
                                             settings=request.app.state.settings)
        return Response(made, status_code=201, headers={"ETag": etag, "Location": made.attachment.download})


class BodyDocumentController(Controller):
    path = "/api/v1/bodies/{code:str}"
    tags = ["documents"]

    @get("/notice-templates/{kind:str}", guards=[requires("reference.read")],
         summary="The body's template for a notice kind: every version, newest first (0: shipped)")
    async def template_versions(self, code: str, kind: Kind) -> TemplateList:
        return await templates.versions(code, kind)

    @put("/notice-templates/{kind:str}", guards=[requires("templates.manage")], status_code=201,
         request_max_body_size=templates.TEMPLATE_MAX_BYTES, opt={"upload": True},
         summary="Upload the body's own template for a notice kind (a DOCX; a new version, the old ones kept)",
         operation_class=operation_with_file_body("the DOCX template; tags as in docs/documents.md"))
    async def upload_template(self, request: Request, code: str, kind: Kind,
                              note: Annotated[str, Parameter(query="note", max_length=500)] = "") -> TemplateRead:
        return await templates.upload(code, kind, request.stream(), note=note, actor=request.user)

    @get("/notice-templates/{kind:str}/{version:int}/content", guards=[requires("reference.read")],
         opt={"skip_compression": True}, summary="Download one version of a template (start a new one from it)",
         operation_class=operation_with_file_answer(templates.DOCX, "The template, a DOCX file"))
    async def template_content(self, code: str, kind: Kind, version: int) -> Response[bytes]:
        blob = await templates.version_bytes(code, kind, version)
        headers = file_headers(filename=f"{code}-{kind}-v{version}.docx", extension="docx", size=len(blob),
                               sha256=hashlib.sha256(blob).hexdigest(), private=False)
        return Response(blob, media_type=templates.DOCX, headers=headers)

    @get("/numbering", guards=[requires("reference.read")], summary="How the body numbers its documents")
    async def get_numbering(self, code: str) -> NumberingRead:
        return await templates.numbering_of(code)

    @put("/numbering", guards=[requires("templates.manage")], summary="Set the body's document numbering")
    async def set_numbering(self, request: Request, code: str, data: NumberingUpdate) -> NumberingRead:
        return await templates.set_numbering(code, data, request.user)
