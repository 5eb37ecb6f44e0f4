"""Chinese labels for tracks and stages, shown on the dashboard and in CSV
exports (categories, bodies and divisions carry their own names)."""

from casework.proceedings.tracks import registry, state_zh, status_zh, track_zh

# Tracks, stages and statuses: the registry's words (proceedings/data/tracks.json).
TRACK_ZH = track_zh()
STAGE_ZH = state_zh()
STATUS_ZH = status_zh()

KIND_ZH = {code: label.label_zh for code, label in registry().words["kinds"].items()}


RATING_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
