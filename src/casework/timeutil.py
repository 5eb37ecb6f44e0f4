"""Dates in China Standard Time: statutory periods count Beijing dates."""

import datetime as dt

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA_TZ).date()


def today() -> dt.date:
    return local_date(now())
