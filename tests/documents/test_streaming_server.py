"""On a real server: a file far larger than the worker could hold twice goes
up and comes back without the worker's memory growing by its size, and a
worker killed between the object's write and the commit leaves nothing the
sweep does not remove (local folder and S3 on moto's loopback server)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import signal
import threading
import time
from typing import Self

import asyncpg
import httpx
import psutil
import pytest

from casework.documents.storage import S3Storage, storage, use_storage
from casework.documents.sweep import stray_objects, sweep_orphans
from casework.settings import get_settings
from tests.documents.servers import moto_s3, s3_env, service
from tests.documents.support import pdf
from tests.support import dispute

MiB = 1024 * 1024
FILE_MIB = 200
BOUND_MIB = 48  # the worker may grow by this much at most while 200 MiB pass through it


class PeakRss:
    """The process's resident memory, sampled every 10 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _client(users, base: str, who: str = "clerk") -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=120,
                             headers={"Authorization": users[who].headers["Authorization"]})


async def _etag(client, reference: str) -> str:
    return (await client.get(f"/api/v1/cases/{reference}")).headers["etag"]


async def test_two_hundred_mebibytes_go_up_and_come_back_within_a_small_memory_bound(users, app):
    block = hashlib.sha256(b"audio").digest() * (MiB // 32)  # 1 MiB that does not compress

    async def body():
        yield pdf()
        for _ in range(FILE_MIB):
            yield block

    expected = hashlib.sha256()
    expected.update(pdf())
    for _ in range(FILE_MIB):
        expected.update(block)
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    with service(CASEWORK_ATTACHMENT_MAX_BYTES=str(512 * MiB)) as (process, base):
        async with _client(users, base) as clerk, _client(users, base, "officer") as officer:
            warm = await clerk.post(f"/api/v1/cases/{case['reference']}/attachments", params={"filename": "w.pdf"},
                                    content=pdf(), headers={"If-Match": await _etag(clerk, case["reference"])})
            assert warm.status_code == 201, warm.text
            await officer.get(warm.json()["download"])
            baseline = psutil.Process(process.pid).memory_info().rss
            with PeakRss(process.pid) as up:
                response = await clerk.post(
                    f"/api/v1/cases/{case['reference']}/attachments", params={"filename": "探访录音.pdf"},
                    content=body(), headers={"If-Match": await _etag(clerk, case["reference"])})
            assert response.status_code == 201, response.text
            made = response.json()
            assert (made["size_bytes"], made["sha256"]) == (len(pdf()) + FILE_MIB * MiB, expected.hexdigest())
            digest, received = hashlib.sha256(), 0
            with PeakRss(process.pid) as down:
                async with officer.stream("GET", made["download"]) as got:
                    assert got.status_code == 200
                    async for piece in got.aiter_raw():
                        digest.update(piece)
                        received += len(piece)
            assert (received, digest.hexdigest()) == (made["size_bytes"], made["sha256"])
    grew_up, grew_down = (up.peak - baseline) / MiB, (down.peak - baseline) / MiB
    print(f"\nworker RSS {baseline / MiB:.0f} MiB; +{grew_up:.1f} MiB uploading, +{grew_down:.1f} MiB downloading "
          f"{FILE_MIB} MiB")
    assert grew_up < BOUND_MIB, f"the upload grew the worker by {grew_up:.0f} MiB"
    assert grew_down < BOUND_MIB, f"the download grew the worker by {grew_down:.0f} MiB"


async def _object_is_whole(store, key: str) -> bool:
    return any([obj.key == key async for obj in store.listing(key.rsplit("/", 1)[0] + "/")])


@pytest.fixture(params=["local", "s3"])
def backend(request):
    if request.param == "local":
        yield {}, storage()
        return
    bucket = "casework-crash"
    with moto_s3(bucket) as endpoint:
        env = s3_env(endpoint, bucket)
        settings = dataclasses.replace(get_settings(), storage_backend="s3", s3_bucket=bucket, s3_endpoint=endpoint,
                                       s3_access_key_id="casework-test", s3_secret_access_key="casework-test")
        with use_storage(S3Storage(settings)) as store:
            yield env, store


async def test_a_worker_killed_between_the_objects_write_and_the_commit_leaves_no_orphan_after_the_sweep(
        users, db, backend):
    env, store = backend
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    reference = case["reference"]
    with service(**env) as (process, base):
        async with _client(users, base) as clerk:
            kept = await clerk.post(f"/api/v1/cases/{reference}/attachments", params={"filename": "kept.pdf"},
                                    content=pdf("kept"), headers={"If-Match": await _etag(clerk, reference)})
            assert kept.status_code == 201, kept.text
            etag = await _etag(clerk, reference)
            blocker = await asyncpg.connect(get_settings().database_url)
            lock = blocker.transaction()
            await lock.start()
            await blocker.execute("SELECT 1 FROM case_file WHERE id = $1 FOR UPDATE", case["id"])
            upload = asyncio.create_task(clerk.post(
                f"/api/v1/cases/{reference}/attachments", params={"filename": "lost.pdf"},
                content=pdf("lost") + b"\x00" * (6 * MiB), headers={"If-Match": etag}))
            key = None
            for _ in range(600):  # the object is whole, the commit waits on the case's lock
                key = await db.fetchval("SELECT storage_key FROM stored_object_pending LIMIT 1")
                if key and await _object_is_whole(store, key):
                    break
                await asyncio.sleep(0.05)
            assert key and await _object_is_whole(store, key)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            with pytest.raises(httpx.HTTPError):
                await upload
            await lock.rollback()
            await blocker.close()
    assert await db.fetchval("SELECT count(*) FROM attachment WHERE storage_key = $1", key) == 0
    assert await db.fetchval("SELECT count(*) FROM stored_object_pending WHERE storage_key = $1", key) == 1
    assert await _object_is_whole(store, key)  # the orphan, before the sweep

    report = await sweep_orphans(grace_seconds=0)
    assert key in report.removed
    assert not await _object_is_whole(store, key)
    assert await db.fetchval("SELECT count(*) FROM stored_object_pending") == 0
    assert await stray_objects("files/") == []
    # What was acknowledged is still there, whole.
    kept_key = await db.fetchval("SELECT storage_key FROM attachment WHERE id = $1", kept.json()["id"])
    assert b"".join([c async for c in store.get(kept_key)]) == pdf("kept")
