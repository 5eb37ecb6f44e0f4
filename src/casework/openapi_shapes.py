"""Request bodies the OpenAPI document names though Litestar does not decode them.

A proceeding action's body is decoded by ``proceedings.service.decode_body``
(its 422 names every field the action needs), so its handler takes no
``data`` parameter and Litestar would document no body. ``operation_with_body``
gives such a handler an ``operation_class`` (Litestar's public hook for
customising an operation) that carries the body's JSON Schema, made by
msgspec from the same struct the service decodes with: the document cannot
drift from the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody


def inline_schema(shape: type) -> dict[str, Any]:
    """``shape``'s JSON Schema with every ``$ref`` replaced by what it names
    (Litestar keeps only its own component schemas, so a body schema must
    stand alone)."""
    (top,), components = msgspec.json.schema_components([shape], ref_template="#/$defs/{name}")

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(components[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(top)


def operation_with_body(shape: type, description: str) -> type[Operation]:
    schema = inline_schema(shape)

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
                description=description, required=False,
            )

    WithBody.__name__ = f"{shape.__name__}Operation"
    return WithBody


def operation_with_file_body(description: str) -> type[Operation]:
    """A route that streams its body as a file (``request.stream()``): the
    document says the body is the file's bytes, whatever their type."""

    @dataclass
    class WithFile(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/octet-stream": OpenAPIMediaType(
                    schema={"type": "string", "format": "binary"})},  # type: ignore[arg-type]
                description=description, required=True,
            )

    return WithFile


def operation_with_file_answer(media_type: str, description: str, *, binary: bool = True) -> type[Operation]:
    """A route that answers a file or a text export (a ``Stream`` or bytes):
    the document says the 200 body is ``media_type`` and a string (binary for
    a file, text for a CSV), not an empty JSON schema."""

    schema: dict[str, Any] = {"type": "string", "format": "binary"} if binary else {"type": "string"}

    @dataclass
    class WithFileAnswer(Operation):
        def __post_init__(self) -> None:
            answer = (self.responses or {}).get("200")
            if answer is not None and not isinstance(answer, Reference):
                answer.description = description
                answer.content = {media_type: OpenAPIMediaType(schema=schema)}  # type: ignore[arg-type]

    return WithFileAnswer
