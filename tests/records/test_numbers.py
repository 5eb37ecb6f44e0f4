"""Court case numbers: the (2026)晋0403民初123号 form."""

import pytest

from casework.records import numbers


@pytest.mark.parametrize("raw, court, type_code, case_type", [
    ("(2026)晋0403民初123号", "晋0403", "民初", "civil"),
    ("（2025）晋04民终7号", "晋04", "民终", "civil"),
    ("(2026)晋0403行初5号", "晋0403", "行初", "administrative"),
    ("(2024)晋0403执1234号", "晋0403", "执", "enforcement"),
    ("(2023)最高法民申88号", "最高法", "民申", "civil"),
])
def test_valid_numbers_parse(raw, court, type_code, case_type):
    number = numbers.parse(raw, max_year=2026)
    assert (number.court, number.type_code, number.case_type) == (court, type_code, case_type)
    assert number.text.startswith("(")


@pytest.mark.parametrize("raw", [
    "2026晋0403民初123号", "(2026)晋0403民初123", "(2026)XX0403民初123号", "(2027)晋0403民初1号",
    "(2026)晋0403民初0号", "(2026)晋0403某某1号", "(1980)晋0403民初1号", "(2026)晋040300民初1号",
])
def test_malformed_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        numbers.parse(raw, max_year=2026)
