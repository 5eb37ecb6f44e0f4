"""The S3 store against moto's standalone server on loopback: a file goes up
in parts (obstore's multipart upload) through the app, is in the bucket
under an opaque key, and comes back whole."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from casework.documents.storage import S3Storage, use_storage
from casework.settings import get_settings
from tests.documents.servers import moto_s3
from tests.documents.support import pdf, upload
from tests.support import dispute

BUCKET = "casework-files"


@pytest.fixture(scope="module")
def s3_store():
    with moto_s3(BUCKET) as endpoint:
        settings = dataclasses.replace(get_settings(), storage_backend="s3", s3_bucket=BUCKET, s3_endpoint=endpoint,
                                       s3_prefix="casework", s3_access_key_id="casework-test",
                                       s3_secret_access_key="casework-test")
        yield S3Storage(settings)


async def test_a_twelve_mebibyte_file_goes_to_the_bucket_and_comes_back(users, db, s3_store):
    block = hashlib.sha256(b"scan").digest() * 32768  # 1 MiB

    async def body():
        yield pdf()
        for _ in range(12):
            yield block

    whole = pdf() + block * 12
    case = (await users["clerk"].post("/api/v1/cases", json=dispute())).json()
    with use_storage(s3_store):
        response = await upload(users["clerk"], case["reference"], body(), filename="卷宗扫描.pdf")
        assert response.status_code == 201, response.text
        made = response.json()
        key = await db.fetchval("SELECT storage_key FROM attachment WHERE id = $1", made["id"])
        listed = {obj.key: obj.size async for obj in s3_store.listing("files/")}
        assert listed[key] == len(whole)
        got = await users["officer"].get(made["download"])
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == made["sha256"]
    assert got.content == whole
    assert "卷宗" not in key and case["reference"] not in key  # keys say nothing about the file
