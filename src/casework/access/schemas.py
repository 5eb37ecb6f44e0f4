"""Request and response shapes of sign-in and user management."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

Password = Annotated[str, Meta(min_length=8, max_length=200)]
# Through the API a jurisdiction is never empty: "everything" exists only
# for the bootstrap account made with `casework users create` on the server.
Jurisdiction = Annotated[str, Meta(pattern=r"^[0-9]{1,12}$")]


DeviceId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:-]{1,100}$",
                                description="The client's own stable id for this device (an app install id)")]


class TokenRequest(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]
    # With a device id the answer carries a refresh token for that device.
    device_id: DeviceId | None = None


class RefreshRequest(Struct, forbid_unknown_fields=True):
    """The refresh token from sign-in or from the last refresh (each is good once)."""

    refresh_token: Annotated[str, Meta(min_length=20, max_length=200)]


class UserCreate(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.-]{3,50}$")]
    password: Password
    role: Annotated[str, Meta(max_length=20)]
    jurisdiction: Jurisdiction
    body_code: Annotated[str, Meta(max_length=64)] | None = None
    display_name: Annotated[str, Meta(max_length=100)] = ""


class UserUpdate(Struct, forbid_unknown_fields=True):
    role: Annotated[str, Meta(max_length=20)] | None = None
    active: bool | None = None
    jurisdiction: Jurisdiction | None = None
    # An administrator sets a new password (the user's tokens end; audited
    # without the hash).
    password: Password | None = None


class PasswordChange(Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, Meta(min_length=1, max_length=200)]
    new_password: Password


class UserRead(Struct):
    id: int
    username: str
    display_name: str
    role: str
    body_id: int | None
    jurisdiction: str
    active: bool
    created_at: dt.datetime


class UserList(Struct):
    items: list[UserRead]


class Me(Struct):
    """Who a token belongs to."""

    id: int
    username: str
    role: str
    jurisdiction: str
    body_id: int | None


class TokenAnswer(Struct):
    """A bearer token (send it as ``Authorization: Bearer …``) and whom it is for.
    ``refresh_token`` (sign-in with a ``device_id``, and every refresh with
    one): keep it on the device and spend it once at ``/auth/refresh``;
    unused it lapses at ``refresh_expires_at``."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: Me
    refresh_token: str | None = None
    refresh_expires_at: dt.datetime | None = None


class DeviceRead(Struct):
    """A device signed in with a refresh token; ``current``: the one asking."""

    device_id: str
    signed_in_at: dt.datetime
    last_used_at: dt.datetime
    lapses_at: dt.datetime
    current: bool


class DeviceList(Struct):
    items: list[DeviceRead]
