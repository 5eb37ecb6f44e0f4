"""``GET /api/v1/reference``: every code a client may send or show, with its
words, the statutory time limits and the public reasons, from the data they
live in (the track registry, reference tables, notice kinds, the policy)."""

from __future__ import annotations

import msgspec

from casework.access.policy import ROLES
from casework.deadlines.service import time_limits
from casework.notices.service import kinds as notice_kinds
from casework.proceedings.tracks import registry
from casework.reference import service
from casework.reference.schemas import ReferenceData

CHANNELS = ["visit", "letter", "phone", "online", "mobile_app", "station", "grid_worker", "referral", "hotline"]
PETITION_TYPES = ["suggestion", "accusation", "appeal"]
RISK_LEVELS = ["low", "medium", "high", "critical"]


async def reference_data() -> ReferenceData:
    limits = await time_limits()
    reasons = (await service.public_reasons()).values()
    words = registry()
    answer = {
        "categories": list((await service.categories()).values()),
        "channels": CHANNELS,
        "petition_types": PETITION_TYPES,
        "risk_levels": RISK_LEVELS,
        "tracks": list(words.tracks),
        # The words practitioners use for each code (data/tracks.json).
        "terms": {
            "tracks": [{"code": t.code, "label_zh": t.label_zh, "label_en": t.label_en, "body_kind": t.body_kind,
                        "outcomes": [vars(o) for o in t.outcomes]} for t in words.tracks.values()],
            "stages": [vars(s) for s in words.states.values()],
            "statuses": [vars(s) for s in words.statuses.values()],
            "body_kinds": [vars(k) for k in words.body_kinds.values()],
            **{name: [vars(w) for w in named.values()] for name, named in words.words.items()},
            "time_limits": [{"code": lim.code, "label_zh": lim.step_zh, "label_en": lim.step_en,
                             "whose": lim.whose} for lim in limits.values()],
            "notices": [{"code": k["code"], "label_zh": k["name_zh"], "label_en": k["name_en"]}
                        for k in notice_kinds().values()],
            "public_reasons": [{"code": r["code"], "label_zh": r["label_zh"], "label_en": r["label_en"]}
                               for r in reasons],
        },
        "roles": list(ROLES),
        "time_limits": list(limits.values()),
        # decline's reason_code: what a party is told, in standard words
        "public_reasons": list(reasons),
    }
    return msgspec.convert(answer, ReferenceData)
