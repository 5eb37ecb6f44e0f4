"""Shapes the routing and reference routes share."""

from __future__ import annotations

from typing import Literal

from casework.proceedings.tracks import body_kind_codes

# The registry's body kinds (proceedings/data/tracks.json), as a type for the API.
BodyKind = Literal.__getitem__(body_kind_codes())  # type: ignore[misc]
