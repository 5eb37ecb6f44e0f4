"""Checks for resident identity numbers and phone numbers.

``stdnum.cn.ric.validate`` also ties the region code to the birth year and
refuses real numbers issued under codes since retired (DOMAIN.md), so only
its pieces are used here: the check character and the birth date.
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Mainland mobile numbers (1[3-9]x, 11 digits) or landlines with an area code.
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[0-9]{7,8}$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_problem(value: str, today: dt.date | None = None) -> str | None:
    """Return why ``value`` is not a valid 18-character ID number, or None."""
    number = normalize_id_number(value)
    if len(number) != 18:
        return "must have 18 characters"
    if not _ID_SHAPE.match(number):
        return "must be 17 digits and a check character (0-9 or X)"
    try:
        born = ric.get_birth_date(number)
    except Exception:
        return "contains an impossible birth date"
    if born > (today or dt.date.today()) or born.year < 1880:
        return "contains an impossible birth date"
    if ric.calc_check_digit(number) != number[-1]:
        return "check character does not match"
    return None


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def phone_problem(value: str) -> str | None:
    phone = normalize_phone(value)
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return "must be an 11-digit mobile number or a landline with its area code"


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * 8 + number[-4:]


def mask_phone(phone: str) -> str:
    if len(phone) == 11 and phone.startswith("1"):
        return phone[:3] + "****" + phone[-4:]
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:]
