"""Court case numbers: （2026）晋0403民初123号, its type codes as data, and the
three forms of a number (as given, the key, as printed)."""

import json
from importlib import resources

import pytest

from casework.records import numbers


@pytest.mark.parametrize("raw, court, type_code, case_type", [
    ("(2026)晋0403民初123号", "晋0403", "民初", "civil"),
    ("（2025）晋04民终7号", "晋04", "民终", "civil"),
    ("(2026)晋0403行初5号", "晋0403", "行初", "administrative"),
    ("(2024)晋0403执1234号", "晋0403", "执", "enforcement"),
    ("(2023)最高法民申88号", "最高法", "民申", "civil"),
    ("（2026）晋0403行赔初3号", "晋0403", "行赔初", "administrative"),
    ("（2026）晋0403民督21号", "晋0403", "民督", "civil"),
    ("（2026）晋0403民特88号", "晋0403", "民特", "civil"),
    ("（2026）晋0403执恢9号", "晋0403", "执恢", "enforcement"),
    ("（2026）晋0403财保4号", "晋0403", "财保", "civil"),
    ("（2026）晋04民辖终2号", "晋04", "民辖终", "civil"),
    ("（2026）晋0403民诉前调12号", "晋0403", "民诉前调", "civil"),
])
def test_valid_numbers_parse(raw, court, type_code, case_type):
    number = numbers.parse(raw, max_year=2026)
    assert (number.court, number.type_code, number.case_type) == (court, type_code, case_type)
    assert number.key.startswith("(") and number.display.startswith("（")
    assert number.given == raw


def test_a_number_is_kept_as_given_matched_by_its_key_and_shown_as_printed():
    for given in ("（2026）晋0403民初123号", "(2026)晋0403民初123号", " (2026) 晋0403民初123号 ",
                  "〔2026〕晋0403民初123号", "（２０２６）晋０４０３民初１２３号"):
        number = numbers.parse(given, max_year=2026)
        assert number.key == "(2026)晋0403民初123号", given
        assert number.display == "（2026）晋0403民初123号"
        assert number.given == given.strip()


def test_only_the_pre_filing_mediation_codes_are_pre_filing():
    assert numbers.parse("（2026）晋0403民诉前调12号", max_year=2026).pre_filing_mediation
    assert not numbers.parse("（2026）晋0403民初12号", max_year=2026).pre_filing_mediation


def test_the_type_codes_are_data_with_their_source():
    raw = json.loads(resources.files("casework.records").joinpath("data", "case_type_codes.json")
                     .read_text("utf-8"))
    assert "关于人民法院案件案号的若干规定" in raw["source"] and "案件类型及其代字标准" in raw["source"]
    assert raw["checked"].strip()
    codes = [row["code"] for row in raw["codes"]]
    assert len(codes) == len(set(codes))
    for row in raw["codes"]:
        assert row["case_type"] in ("civil", "administrative", "enforcement", "criminal"), row
        assert row["use"] in ("lawsuit", "pre_filing_mediation"), row
        assert isinstance(row["verify"], bool) and row["name_zh"], row
    # Every code accepted before the list became data is still accepted.
    for code in ("民初", "民终", "民再", "民申", "民特", "民辖", "民撤", "行初", "行终", "行再", "行申", "行审",
                 "执", "执恢", "执异", "执复", "执保", "执监", "刑初", "刑终", "刑再", "刑申"):
        assert code in numbers.type_codes(), code


@pytest.mark.parametrize("raw", [
    "2026晋0403民初123号", "(2026)晋0403民初123", "(2026)XX0403民初123号", "(2027)晋0403民初1号",
    "(2026)晋0403民初0号", "(2026)晋0403某某1号", "(1980)晋0403民初1号", "(2026)晋040300民初1号",
    "(2026)晋0403民诉前调解1号",
])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        numbers.parse(raw, max_year=2026)
