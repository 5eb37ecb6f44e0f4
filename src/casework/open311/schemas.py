"""Open311 GeoReport v2 answers (http://wiki.open311.org/GeoReport_v2), and
the admin's registered apps. Field names are the specification's."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct


class Endpoint(Struct):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(Struct):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(Struct):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValue(Struct):
    key: str
    name: str


class Attribute(Struct):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(Struct):
    service_code: str
    attributes: list[Attribute]


class RequestCreated(Struct):
    service_request_id: str
    token: str
    service_notice: str
    account_id: str | None = None


class ServiceRequest(Struct):
    """A request as anyone may read it: no names, phones, ID numbers, text
    or addresses finer than the township."""

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class TokenAnswer(Struct):
    token: str
    service_request_id: str


class Open311Error(Struct):
    code: int
    description: str


# ---------------------------------------------------------------- admins

class AppCreate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    contact: Annotated[str, Meta(max_length=200)] = ""


class AppRead(Struct):
    id: int
    name: str
    contact: str
    key_prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class AppIssued(AppRead, kw_only=True):
    """The app and its api_key, shown this once (stored only as a keyed hash)."""

    api_key: str


class AppList(Struct):
    items: list[AppRead]
