"""A case's files: upload (the body is the file, streamed), list, read,
download (always as a download), withdraw. Reads under ``case.read`` (and
``attachments.personal.read`` for a file that carries personal data);
writes under ``attachments.write`` with the case's ETag in If-Match."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Stream

from casework.access.auth import requires
from casework.documents import attachments, download
from casework.documents.attachments import Target
from casework.documents.schemas import AttachmentPage, AttachmentRead, RecordKind, Withdrawal
from casework.openapi_shapes import operation_with_file_answer, operation_with_file_body
from casework.routes import Cursor, IfMatch, with_etag

_UPLOAD = ("The request body is the file itself (any Content-Type; the type is told from its first bytes "
           "and must be one of docs/documents.md's list: 415 otherwise). 413 past the per-file or per-case "
           "limit. Name the file in `filename`; attach it to a proceeding (`proceeding`, its number on the "
           "case) or a record (`record_kind` and `record_id`), or to the case when neither is given.")


class AttachmentController(Controller):
    path = "/api/v1/cases/{reference:str}/attachments"
    tags = ["documents"]

    @post("/", guards=[requires("attachments.write")], status_code=201, request_max_body_size=None,
          opt={"upload": True, "skip_compression": True}, summary="Upload a file (streamed) to the case",
          description=_UPLOAD, operation_class=operation_with_file_body("the file's bytes"))
    async def upload(
        self, request: Request, reference: str,
        filename: Annotated[str, Parameter(query="filename", min_length=1, max_length=1000)],
        personal_data: Annotated[bool, Parameter(query="personal_data")] = False,
        proceeding: Annotated[int | None, Parameter(query="proceeding", ge=1, le=1000)] = None,
        record_kind: Annotated[RecordKind | None, Parameter(query="record_kind")] = None,
        record_id: Annotated[int | None, Parameter(query="record_id", ge=1)] = None,
        if_match: IfMatch = None,
    ) -> Response[AttachmentRead]:
        settings = request.app.state.settings
        answer, etag = await attachments.upload(
            reference, request.stream(), actor=request.user, if_match=if_match, filename=filename,
            personal_data=personal_data, target=Target(proceeding, record_kind, record_id),
            content_length=request.content_length, settings=settings)
        return Response(answer, status_code=201, headers={"ETag": etag, "Location": answer.download})

    @get("/", guards=[requires("case.read")], summary="The case's files, oldest first (withdrawn ones marked)")
    async def list_attachments(
        self, request: Request, reference: str,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Cursor = None,
    ) -> AttachmentPage:
        return await attachments.list_page(reference, request.user, limit, cursor)

    @get("/{attachment_id:int}", guards=[requires("case.read")], summary="One file's metadata")
    async def get_attachment(self, request: Request, reference: str, attachment_id: int) -> AttachmentRead:
        return await attachments.read_one(reference, attachment_id, request.user)

    @get("/{attachment_id:int}/content", guards=[requires("case.read")], opt={"skip_compression": True},
         summary="Download the file (streamed, never inline; a file with personal data needs "
                 "attachments.personal.read and its download is recorded)",
         operation_class=operation_with_file_answer(
             "application/octet-stream", "The file's bytes, sent as an attachment with the file's own "
             "Content-Type (the type its content was recognised as on upload)"))
    async def content(self, request: Request, reference: str, attachment_id: int) -> Stream:
        found = await download.open_download(reference, attachment_id, request.user)
        return Stream(found.chunks, media_type=found.media_type, headers=found.headers)

    @post("/{attachment_id:int}/withdrawal", guards=[requires("attachments.write")], status_code=200,
          summary="Withdraw a file, saying why: it stays stored and listed, marked withdrawn")
    async def withdraw(self, request: Request, reference: str, attachment_id: int, data: Withdrawal,
                       if_match: IfMatch = None) -> Response[AttachmentRead]:
        return with_etag(await attachments.withdraw(reference, attachment_id, data.reason, actor=request.user,
                                                     if_match=if_match))
