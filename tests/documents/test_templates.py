"""Notice templates: shipped ones that rebuild byte for byte, a body's own
replacement (the old version kept, each document naming the version it
used), and a body's numbering as data."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from docxtpl import DocxTemplate

from casework.documents import make_templates
from casework.documents.templates import VARIABLES
from casework.notices.service import kinds
from tests.documents.support import pdf
from tests.support import act, on, petition
from tests.support_access import ensure_user

TEMPLATES = Path(make_templates.__file__).parent / "templates"


def template(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_shipped_templates_are_what_the_script_makes():
    built = make_templates.build_all()
    assert sorted(built) == sorted(p.stem for p in TEMPLATES.glob("*.docx"))
    for code, blob in built.items():
        assert (TEMPLATES / f"{code}.docx").read_bytes() == blob, f"{code}: run python -m casework.documents.make_templates"


def test_every_notice_kind_has_a_legal_basis_and_every_generated_one_a_template_casework_can_fill():
    for code, kind in kinds().items():
        assert kind["legal_basis"], code
        if kind.get("generated", True):
            tags = DocxTemplate(str(TEMPLATES / f"{code}.docx")).get_undeclared_template_variables()
            assert tags <= VARIABLES, (code, tags - VARIABLES)
    assert {k for k, v in kinds().items() if not v["generated"]} == {"judgment", "ruling"}


async def test_a_body_replaces_its_template_and_its_documents_say_which_version_they_used(users, db):
    admin = users["admin"]
    path = "/api/v1/bodies/140404-PB/notice-templates/petition_opinion"
    refused = await users["officer"].put(path, content=template("{{ number }}"))
    assert refused.status_code == 403
    typo = await admin.put(path, content=template("{{ nmuber }} {{ addressee_name }}"))
    assert typo.status_code == 422 and typo.json()["errors"][0]["message"] == "unknown tag {{ nmuber }}"
    not_docx = await admin.put(path, content=pdf())
    assert not_docx.status_code == 415
    assert await db.fetchval("SELECT count(*) FROM stored_object_pending") == 0
    mine = await admin.put(path, params={"note": "上党区格式"},
                           content=template("{{ body_name }}\n上党区专用格式\n{{ number }}\n{{ addressee_name }}："
                                            "\n{{ legal_basis }}"))
    assert mine.status_code == 201, mine.text
    assert (mine.json()["version"], mine.json()["current"], mine.json()["uploaded_by"]) == (1, True, "admin")
    listed = (await users["clerk"].get(path)).json()["items"]
    assert [(t["version"], t["current"]) for t in listed] == [(1, True), (0, False)]
    shipped = await users["clerk"].get(f"{path}/0/content")
    assert shipped.content == (TEMPLATES / "petition_opinion.docx").read_bytes()
    assert shipped.headers["content-disposition"].startswith("attachment;")

    officer = await ensure_user(users, "officer_shangdang", "officer", "140404", "140404-PB")
    with on("2026-09-01"):
        case = (await users["clerk_other"].post("/api/v1/cases", json=petition(division_code="140404100201"))).json()
        assert case["proceeding"]["body"]["code"] == "140404-PB", case["proceeding"]
        assert (await act(officer, case["reference"], "accept")).status_code == 200
    with on("2026-11-10"):
        concluded = await act(officer, case["reference"], "conclude", {"outcome": "opinion_issued"})
        notice = next(n for n in concluded.json()["notices"] if n["kind"] == "petition_opinion")
        made = await officer.post(f"/api/v1/cases/{case['reference']}/notices/{notice['id']}/document",
                                  headers={"If-Match": concluded.headers["etag"]})
    assert made.status_code == 201, made.text
    assert made.json()["template_version"] == 1 and made.json()["template_sha256"] == mine.json()["sha256"]
    assert made.json()["document_number"].startswith("上党信处〔2026〕")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(
        (await officer.get(made.json()["attachment"]["download"])).content)).paragraphs)
    assert "上党区专用格式" in text and "上党区信访局" in text and made.json()["document_number"] in text
    audit = (await admin.get("/api/v1/audit/events", params={"source": "admin", "limit": 50})).json()["items"]
    assert any(e.get("entity") == "notice_template" or "notice_template" in str(e) for e in audit)


async def test_a_bodys_numbering_is_data_an_administrator_sets(users):
    path = "/api/v1/bodies/140431-PB/numbering"
    shown = (await users["clerk"].get(path)).json()
    assert (shown["abbreviation"], shown["configured"], shown["example"]) == ("沁源信", False, "沁源信复〔2026〕12号")
    bad = await users["admin"].put(path, json={"abbreviation": "沁源信", "pattern": "{abbreviation}{what}号"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "pattern"
    assert (await users["officer"].put(path, json={"abbreviation": "x"})).status_code == 403
    changed = await users["admin"].put(path, json={"abbreviation": "沁源县信", "type_words": {"review_opinion": "复查"}})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["configured"], changed.json()["example"]) == (True, "沁源县信复查〔2026〕12号")
