"""Chinese labels for tracks and stages, shown on the dashboard and in CSV
exports (categories, bodies and divisions carry their own names)."""

from casework.proceedings.tracks import state_zh, status_zh, track_zh

# Tracks, stages and statuses: the registry's words (proceedings/data/tracks.json).
TRACK_ZH = track_zh()
STAGE_ZH = state_zh()
STATUS_ZH = status_zh()

KIND_ZH = {"petition": "信访", "dispute": "矛盾纠纷"}


RATING_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
