"""Files to upload: small real ones of each kind, and uploading helpers."""

from __future__ import annotations

import io
import struct
import zlib


def pdf(text: str = "来信") -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text.encode('unicode_escape').decode()}) Tj ET".encode()
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"3 0 obj << /Length " + str(len(body)).encode() + b" >> stream\n" + body + b"\nendstream endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def docx(text: str = "调解协议书") -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


async def upload(client, reference: str, content, *, filename: str = "来信.pdf", etag: str | None = None,
                 **params):
    """POST the bytes as the request body (streamed when ``content`` is an async iterator)."""
    if etag is None:
        etag = (await client.get(f"/api/v1/cases/{reference}")).headers["etag"]
    query = {"filename": filename, **{k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}}
    return await client.post(f"/api/v1/cases/{reference}/attachments", params=query, content=content,
                             headers={"If-Match": etag, "Content-Type": "application/octet-stream"})
