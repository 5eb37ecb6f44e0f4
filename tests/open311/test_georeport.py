"""Civic apps speak Open311 GeoReport v2: an admin issues an app its key, the
app files with the specification's example request, and anyone reads the
request back with a GeoReport client library (georeport, from PyPI) against
the running service, in JSON and XML, without a name, phone or address
finer than the township."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import pytest
from georeport import GeoReport

from tests.support import phone
from tests.support_access import client_from

pytestmark = pytest.mark.asyncio

NAME, SECRET_TEXT = "欧阳网报", "村东头第三户的排水沟"


def spec_example(api_key: str, **ours) -> dict:
    """The specification's example POST (wiki.open311.org/GeoReport_v2), with
    our service code, phone and attributes where its values mean nothing here."""
    form = {"api_key": api_key, "service_code": "001", "lat": "37.76524078", "long": "-122.4212043",
            "address_string": "1234 5th street", "email": "smit222@sfgov.edu", "device_id": "tt222111",
            "account_id": "123456", "first_name": "john", "last_name": "smith", "phone": "111111111",
            "description": "A large sinkhole is destroying the street",
            "media_url": "http://media.city.gov/media/image.jpg",
            "attribute[WHISPAWN]": "123456", "attribute[WHISDORN]": "COISL001"}
    form.update(ours)
    return form


async def issue(users, name="街道通 app") -> dict:
    response = await users["admin"].post("/api/v1/open311/apps", json={"name": name, "contact": "dev@example.cn"})
    assert response.status_code == 201, response.text
    return response.json()


async def post(app, fmt: str, form: dict):
    async with client_from(app) as civic_app:
        return await civic_app.post(f"/open311/v2/requests.{fmt}", data=form)


def ours(**extra) -> dict:
    return {"service_code": "dispute.neighbour", "phone": phone(), "first_name": "网报", "last_name": "欧阳",
            "description": f"{SECRET_TEXT}堵塞，雨水倒灌进院子。", "attribute[division_code]": "140403100201",
            "attribute[summary]": "排水沟堵塞纠纷", "attribute[respondent_name]": "隔壁王家",
            "attribute[sms_consent]": "yes", **extra}


async def test_the_specification_s_example_post_gets_the_specification_s_errors(app, users):
    verbatim = await post(app, "xml", spec_example("xyz"))
    assert verbatim.status_code == 403 and verbatim.headers["content-type"].startswith("text/xml")
    error = ET.fromstring(verbatim.content).find("error")
    assert error.findtext("code") == "403" and "api_key" in error.findtext("description")
    key = (await issue(users))["api_key"]
    unknown = await post(app, "json", spec_example(key))
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    bad_phone = await post(app, "json", spec_example(key, service_code="dispute.neighbour",
                                                     **{"attribute[division_code]": "140403100201"}))
    assert bad_phone.status_code == 400 and "phone" in bad_phone.json()[0]["description"]


async def test_an_app_files_with_the_example_request_and_the_clerk_sees_it_awaiting_registration(app, users):
    key = (await issue(users))["api_key"]
    response = await post(app, "xml", spec_example(key, **ours()))
    assert response.status_code == 201, response.text
    created = ET.fromstring(response.content).find("request")
    reference = created.findtext("service_request_id")
    assert reference.startswith("140403-") and "查询码" in created.findtext("service_notice")
    station = users["village_mediator"]
    case = (await station.get(f"/api/v1/cases/{reference}")).json()
    assert case["channel"] == "mobile_app" and case["proceeding"]["state"] == "submitted_online"
    events = (await station.get(f"/api/v1/cases/{reference}/events")).json()["items"]
    assert events[0]["data"]["via"] == "open311:街道通 app"


async def test_a_revoked_key_files_nothing(app, users):
    issued = await issue(users, "已停用的 app")
    revoked = await users["admin"].post(f"/api/v1/open311/apps/{issued['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await users["admin"].post(f"/api/v1/open311/apps/{issued['id']}/revoke")).status_code == 409
    response = await post(app, "json", spec_example(issued["api_key"], **ours()))
    assert response.status_code == 403
    listed = (await users["admin"].get("/api/v1/open311/apps")).json()["items"]
    assert "api_key" not in str(listed) and issued["api_key"] not in str(listed)
    assert (await users["clerk"].get("/api/v1/open311/apps")).status_code == 403


async def test_a_georeport_client_reads_services_and_requests_in_json_and_xml(app, users, live_server):
    key = (await issue(users))["api_key"]
    created = (await post(app, "json", spec_example(key, **ours()))).json()[0]
    reference = created["service_request_id"]
    for fmt in ("json", "xml"):
        client = GeoReport(live_server + "/open311/v2", output_format=fmt)
        services = await asyncio.to_thread(client.get_service_list)
        by_code = {s["service_code"]: s for s in services}
        assert by_code["dispute.neighbour"]["group"] == "矛盾纠纷调解"
        assert by_code["petition.social_security"]["group"] == "信访事项"
        definition = await asyncio.to_thread(client.get_service_definition, "petition.social_security")
        attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert {"division_code", "petition_type"} <= {a["code"] for a in attributes}
        one = await asyncio.to_thread(client.get_service_request, reference)
        assert one["service_request_id"] == reference and one["status"] == "open"
        assert one["status_notes"] == "网上提交待登记" and one["address"] == "老顶山镇"
        assert one["agency_responsible"] == "老顶山镇村（居）人民调解委员会"  # not the village's own name
        several = await asyncio.to_thread(client.get_service_requests, service_code="dispute.neighbour",
                                          status="open")
        several = several if isinstance(several, list) else [several]
        assert reference in [r["service_request_id"] for r in several]
        text = str(services) + str(one) + str(several)
        for secret in (NAME, "欧阳", SECRET_TEXT, "关村", "隔壁王家", "140403100201"):
            assert secret not in text, (fmt, secret)


async def test_reads_answer_unknown_requests_and_bad_ranges_in_the_specification_s_format(app, users):
    async with client_from(app) as anyone:
        missing = await anyone.get("/open311/v2/requests/140403-1999-999999.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        wide = await anyone.get("/open311/v2/requests.xml", params={"start_date": "2026-01-01T00:00:00Z",
                                                                    "end_date": "2026-11-01T00:00:00Z"})
        assert wide.status_code == 400 and ET.fromstring(wide.content).tag == "errors"
        no_format = await anyone.get("/open311/v2/services/dispute.neighbour")
        assert no_format.status_code == 404
        discovery = (await anyone.get("/open311/v2/discovery.json")).json()
        assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"


async def test_a_token_names_its_request(app, users):
    key = (await issue(users))["api_key"]
    created = (await post(app, "json", spec_example(key, **ours()))).json()[0]
    async with client_from(app) as anyone:
        answer = await anyone.get(f"/open311/v2/tokens/{created['token']}.json")
    assert answer.status_code == 200 and answer.json()[0]["service_request_id"] == created["service_request_id"]


async def test_a_key_still_works_after_the_personal_data_key_is_rotated(app, users, db):
    from casework.settings import get_settings
    from tests.support_settings import settings_from_env

    issued = await issue(users, "轮换前的 app")
    before = await db.fetchval("SELECT key_hash FROM open311_app WHERE id = $1", issued["id"])
    old = get_settings().personal_data_key
    with settings_from_env(CASEWORK_PERSONAL_DATA_KEY="rotated-" + old, CASEWORK_PERSONAL_DATA_OLD_KEYS=old):
        # The key is checked first; the unknown service then stops the request before anything is
        # stored under a key the rest of the session does not have.
        response = await post(app, "json", spec_example(issued["api_key"], **ours(service_code="dispute.none")))
    assert response.status_code == 404, response.text  # not 403: the key was accepted
    assert await db.fetchval("SELECT key_hash FROM open311_app WHERE id = $1", issued["id"]) != before


async def test_every_refusal_on_the_open311_routes_is_in_the_specification_s_format(app, users):
    """Refusals from outside the Open311 service itself (the body limit, a
    malformed form, a value PostgreSQL cannot store) and a date whose 90-day
    window falls before year 1 are answered as the specification's errors in
    the format the path asks for, with a single charset: not problem+json,
    not a 500."""
    key = (await issue(users, "边界测试 app"))["api_key"]
    async with client_from(app) as civic_app:
        too_big = await civic_app.post("/open311/v2/requests.xml", data={"api_key": key, "description": "长" * 12000})
        torn = await civic_app.post("/open311/v2/requests.json", content=b"--a\r\nContent-Disposition: form-data",
                                    headers={"content-type": "multipart/form-data; boundary=b"})
        nul = await civic_app.get("/open311/v2/requests/140403-2026-%00.json")
        year_one = await civic_app.get("/open311/v2/requests.xml", params={"end_date": "0001-01-01T00:00:00Z"})
    assert too_big.status_code == 413 and too_big.headers["content-type"] == "text/xml; charset=utf-8"
    assert ET.fromstring(too_big.content).find("error").findtext("code") == "413"
    assert torn.status_code == 400 and torn.json()[0]["code"] == 400
    assert nul.status_code == 422 and nul.json() == [{"code": 422, "description": nul.json()[0]["description"]}]
    assert year_one.status_code == 400, year_one.text
    assert "end_date" in ET.fromstring(year_one.content).find("error").findtext("description")
