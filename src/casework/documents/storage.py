"""Where files are kept, behind one small interface (``Storage``).

- ``LocalStorage``: a folder beside the embedded database's (``<data
  dir>/files``, zero set-up). A file is written to a ``.part`` name and
  renamed into place once whole and flushed, so a reader never sees half a
  file and a crash leaves at most a ``.part`` the sweep removes.
- ``S3Storage``: S3-compatible object storage (MinIO, Ceph RGW, a cloud
  OSS) through obstore, whose multipart upload streams what it is given and
  aborts the upload when the stream fails.

Both take the bytes as an async iterator and hand them back as one: no
whole file is held in memory. Keys are opaque (``files/<uuid>``); what a
key means is in PostgreSQL, never in the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from casework.settings import Settings, get_settings

READ_CHUNK = 256 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: dt.datetime


class Storage(Protocol):
    name: str

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Write the object from the chunks; on any failure nothing is left under ``key``."""

    def get(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, a chunk at a time (FileNotFoundError when missing)."""

    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    def listing(self, prefix: str) -> AsyncIterator[StoredObject]:
        """Every object whose key starts with ``prefix``."""


def new_key(kind: str = "files") -> str:
    return f"{kind}/{uuid.uuid4().hex}"


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if ".." in key.split("/") or key.startswith("/"):
            raise ValueError("bad storage key")
        return self.root / key

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        path = self._path(key)
        part = path.with_name(path.name + ".part")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True, mode=0o700)
        handle = await asyncio.to_thread(open, part, "xb")
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.flush)
            await asyncio.to_thread(os.fsync, handle.fileno())
        except BaseException:
            handle.close()
            part.unlink(missing_ok=True)
            raise
        handle.close()
        await asyncio.to_thread(os.replace, part, path)

    async def get(self, key: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        handle = await asyncio.to_thread(open, self._path(key), "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, READ_CHUNK):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        await asyncio.to_thread(path.with_name(path.name + ".part").unlink, missing_ok=True)

    async def listing(self, prefix: str) -> AsyncIterator[StoredObject]:  # type: ignore[override]
        top = self._path(prefix.rstrip("/")) if prefix else self.root
        found = await asyncio.to_thread(lambda: sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir()
                                        else [])
        for path in found:
            stat = path.stat()
            key = str(path.relative_to(self.root)).removesuffix(".part")
            yield StoredObject(key, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))


class S3Storage:
    name = "s3"

    def __init__(self, settings: Settings) -> None:
        from obstore.store import S3Store

        options = {"allow_http": True} if settings.s3_endpoint.startswith("http://") else {}
        self.prefix = settings.s3_prefix.strip("/")
        self.store = S3Store(
            settings.s3_bucket, region=settings.s3_region,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
            **({"endpoint": settings.s3_endpoint, "virtual_hosted_style_request": False}
               if settings.s3_endpoint else {}),
            client_options=options,
        )

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        import obstore

        await obstore.put_async(self.store, self._key(key), chunks)

    async def get(self, key: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        import obstore

        result = await obstore.get_async(self.store, self._key(key))
        async for chunk in result.stream(min_chunk_size=READ_CHUNK):
            yield bytes(chunk)

    async def delete(self, key: str) -> None:
        import obstore

        try:
            await obstore.delete_async(self.store, self._key(key))
        except FileNotFoundError:
            pass

    async def listing(self, prefix: str) -> AsyncIterator[StoredObject]:  # type: ignore[override]
        import obstore

        skip = len(self.prefix) + 1 if self.prefix else 0
        async for batch in obstore.list(self.store, self._key(prefix)):
            for meta in batch:
                yield StoredObject(meta["path"][skip:], meta["size"], meta["last_modified"])


def storage_for(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise RuntimeError("CASEWORK_STORAGE=s3 needs CASEWORK_S3_BUCKET")
        return S3Storage(settings)
    if settings.storage_backend != "local":
        raise RuntimeError(f"CASEWORK_STORAGE must be local or s3, not {settings.storage_backend!r}")
    return LocalStorage(settings.files_root)


@lru_cache(maxsize=1)
def _default() -> Storage:
    return storage_for(get_settings())


_override: list[Storage] = []


def storage() -> Storage:
    """The configured store (tests may put another in front: ``use_storage``)."""
    return _override[-1] if _override else _default()


class use_storage:
    """``with use_storage(S3Storage(...)):`` every file operation goes to that store."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    def __enter__(self) -> Storage:
        _override.append(self.store)
        return self.store

    def __exit__(self, *_exc: object) -> None:
        _override.remove(self.store)
