"""Read routing on the loopback cluster (casework.reads): heavy reads land
on the standby (its pg_stat_activity shows the instances' ``casework-read``
connections, their /metrics count the reads); with the standby's replay held
back by ``recovery_min_apply_delay``, a clerk who has just registered a case
through one instance lists it at once through the other, while a supervisor
who wrote nothing is served the standby's older view; held back beyond
``CASEWORK_READ_MAX_LAG_SECONDS``, the standby is dropped by both instances
and every read goes to the primary, until it has caught up."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.reliability import harness
from tests.reliability.load import client, draft

pytestmark = pytest.mark.cluster

READ_APP = "casework-read"  # casework.reads.APPLICATION_NAME


async def figures(cluster, service) -> dict[str, Any]:
    """What an instance's /metrics says of read routing."""
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(service.base_url + "/metrics",
                                  headers={"Authorization": f"Bearer {cluster.metrics_token}"})
    response.raise_for_status()
    out: dict[str, Any] = {"reads": Counter(), "in_rotation": None, "lag_seconds": None}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "casework_db_reads_total":
                out["reads"][(sample.labels["target"], sample.labels["reason"])] += sample.value
            elif sample.name == "casework_read_standby_in_rotation":
                out["in_rotation"] = sample.value
            elif sample.name == "casework_read_standby_lag_seconds":
                out["lag_seconds"] = sample.value
    return out


async def wait_until(condition, timeout: float, what: str, state=None) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await condition():
            return round(time.monotonic() - started, 1)
        await asyncio.sleep(0.25)
    raise AssertionError(f"no {what} within {timeout}s" + (f": {await state()}" if state else ""))


async def all_in_rotation(cluster, wanted: float) -> bool:
    return all([(await figures(cluster, s))["in_rotation"] == wanted for s in cluster.services[:2]])


async def in_rotation_everywhere(cluster, wanted: int, timeout: float, what: str) -> float:
    """Wait until both instances say the standby is in (1) or out (0) of rotation."""
    async def state() -> list[dict[str, Any]]:
        return [await figures(cluster, s) for s in cluster.services[:2]]

    return await wait_until(lambda: all_in_rotation(cluster, wanted), timeout, what, state)


async def set_apply_delay(cluster, standby_conn, value: str) -> None:
    await asyncio.to_thread(cluster.set_parameter, "recovery_min_apply_delay", value)

    async def applied() -> bool:
        return await standby_conn.fetchval("SHOW recovery_min_apply_delay") == value

    await wait_until(applied, 30, f"recovery_min_apply_delay = {value} on the standby")


def references(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["reference"] for item in response.json()["items"]]


async def test_reads_go_to_the_standby_without_going_back_in_time_and_a_lagging_standby_is_dropped(
        healthy_cluster, request):
    cluster = healthy_cluster
    first, second = cluster.services[:2]
    primary_name, standby_name = cluster.leader(), cluster.standby()
    assert primary_name and standby_name
    clerk_token, supervisor_token = first.token("clerk"), second.token("supervisor")
    primary = await asyncpg.connect(cluster.node_dsn(primary_name))
    standby = await asyncpg.connect(cluster.node_dsn(standby_name))
    found: dict[str, Any] = {"primary": primary_name, "standby": standby_name}
    try:
        # The supervisor has written nothing this session: no position to wait for.
        await primary.execute("DELETE FROM read_position WHERE user_id = (SELECT id FROM app_user "
                              "WHERE username = 'supervisor')")
        await in_rotation_everywhere(cluster, 1, 30, "standby in rotation on both instances")

        # 1. Reads land on the standby.
        before = [await figures(cluster, s) for s in (first, second)]
        async with client(cluster.base_url, supervisor_token) as supervisor:
            for n in range(20):
                path = ("/api/v1/cases?limit=20", "/api/v1/backlog/summary?group_by=track")[n % 2]
                assert (await supervisor.get(path)).status_code == 200
        after = [await figures(cluster, s) for s in (first, second)]
        found["reads_on_standby"] = sum(a["reads"][("standby", "in_rotation")] - b["reads"][("standby", "in_rotation")]
                                        for a, b in zip(after, before, strict=True))
        count_readers = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        found["read_connections_on_standby"] = await standby.fetchval(count_readers, READ_APP)
        found["read_connections_on_primary"] = await primary.fetchval(count_readers, READ_APP)

        # 2. The standby's replay held back 3 s (under the 5 s lag limit: it stays in rotation).
        await set_apply_delay(cluster, standby, "3s")
        await in_rotation_everywhere(cluster, 1, 30, "standby in rotation with a 3 s delay")
        behind_before = (await figures(cluster, second))["reads"][("primary", "behind_caller")]
        async with (client(first.base_url, clerk_token) as clerk_on_first,
                    client(second.base_url, clerk_token) as clerk_on_second,
                    client(second.base_url, supervisor_token) as supervisor_on_second):
            created = await clerk_on_first.post("/api/v1/cases", json=draft("写后即读"))
            assert created.status_code == 201, created.text
            reference = created.json()["reference"]
            on_standby = "SELECT count(*) FROM case_file WHERE reference = $1"
            found["standby_had_it_before_the_read"] = await standby.fetchval(on_standby, reference)
            found["writer_saw_it_at_once_on_the_other_instance"] = reference in references(
                await clerk_on_second.get("/api/v1/cases?limit=50"))
            found["other_user_saw_it_at_once"] = reference in references(
                await supervisor_on_second.get("/api/v1/cases?limit=50"))
            found["standby_had_it_after_the_reads"] = await standby.fetchval(on_standby, reference)

            async def supervisor_sees_it() -> bool:
                return reference in references(await supervisor_on_second.get("/api/v1/cases?limit=50"))

            found["other_user_saw_it_after_seconds"] = await wait_until(supervisor_sees_it, 20, "the case replayed")
        found["reads_sent_to_primary_behind_caller"] = (
            (await figures(cluster, second))["reads"][("primary", "behind_caller")] - behind_before)

        # 3. Held back 8 s while a clerk keeps writing: beyond the limit, dropped by both instances.
        await set_apply_delay(cluster, standby, "8s")
        written: list[str] = []
        stop = asyncio.Event()

        async def keep_writing() -> None:
            async with client(first.base_url, clerk_token) as clerk:
                while not stop.is_set():
                    response = await clerk.post("/api/v1/cases", json=draft("滞后备库"))
                    if response.status_code == 201:
                        written.append(response.json()["reference"])
                    await asyncio.sleep(0.3)

        writer = asyncio.create_task(keep_writing())
        try:
            found["dropped_after_seconds"] = await in_rotation_everywhere(cluster, 0, 40, "standby dropped by both")
            found["lag_seen_seconds"] = [(await figures(cluster, s))["lag_seconds"] for s in (first, second)]
            out_before = (await figures(cluster, second))["reads"][("primary", "out_of_rotation")]
            await asyncio.sleep(0.5)
            newest = written[-1]
            async with client(second.base_url, supervisor_token) as supervisor_on_second:
                found["other_user_saw_a_fresh_write_while_dropped"] = newest in references(
                    await supervisor_on_second.get("/api/v1/cases?limit=50"))
            found["standby_had_that_write"] = await standby.fetchval(on_standby, newest)
            found["reads_sent_to_primary_out_of_rotation"] = (
                (await figures(cluster, second))["reads"][("primary", "out_of_rotation")] - out_before)
        finally:
            stop.set()
            await writer
        await set_apply_delay(cluster, standby, "0")
        found["back_in_rotation_after_seconds"] = await in_rotation_everywhere(cluster, 1, 60, "standby back")
    finally:
        try:
            if await standby.fetchval("SHOW recovery_min_apply_delay") != "0":
                await set_apply_delay(cluster, standby, "0")
        finally:
            await primary.close()
            await standby.close()

    ok = (found["reads_on_standby"] >= 20 and found["read_connections_on_standby"] >= 1
          and found["read_connections_on_primary"] == 0
          and found["standby_had_it_before_the_read"] == 0 and found["standby_had_it_after_the_reads"] == 0
          and found["writer_saw_it_at_once_on_the_other_instance"] and not found["other_user_saw_it_at_once"]
          and found["reads_sent_to_primary_behind_caller"] >= 1
          and found["other_user_saw_a_fresh_write_while_dropped"] and found["standby_had_that_write"] == 0
          and found["reads_sent_to_primary_out_of_rotation"] >= 1)
    harness.record(harness.Row(
        check="Cluster: read routing",
        tried="heavy reads through HAProxy with the standby in rotation; the standby's replay held back 3 s "
              "(recovery_min_apply_delay) while a clerk registered a case on one instance and listed cases on "
              "the other; then held back 8 s (the limit is 5 s) under writes",
        amount=f"{found['reads_on_standby']:.0f} of 20 reads on the standby "
               f"({found['read_connections_on_standby']} casework-read connections there, "
               f"{found['read_connections_on_primary']} on the primary)",
        held=f"the writer saw the case at once: {found['writer_saw_it_at_once_on_the_other_instance']} "
             f"(another user after {found['other_user_saw_it_after_seconds']} s); standby dropped by both "
             f"instances after {found['dropped_after_seconds']} s, back {found['back_in_rotation_after_seconds']} s "
             f"after the delay was lifted; a fresh write read while dropped: "
             f"{found['other_user_saw_a_fresh_write_while_dropped']}",
        lost="nothing read older than the reader's own write", ok=ok,
        figures={"nodeid": request.node.nodeid, **found},
    ))
    assert found["reads_on_standby"] >= 20, found
    assert found["read_connections_on_standby"] >= 1 and found["read_connections_on_primary"] == 0, found
    assert found["standby_had_it_before_the_read"] == 0 and found["standby_had_it_after_the_reads"] == 0, found
    assert found["writer_saw_it_at_once_on_the_other_instance"], found
    assert not found["other_user_saw_it_at_once"], found
    assert found["reads_sent_to_primary_behind_caller"] >= 1, found
    assert found["other_user_saw_a_fresh_write_while_dropped"] and found["standby_had_that_write"] == 0, found
    assert found["reads_sent_to_primary_out_of_rotation"] >= 1, found
