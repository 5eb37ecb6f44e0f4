"""Chinese labels for tracks and stages, shown on the dashboard and in CSV
exports (categories, bodies and divisions carry their own names)."""

TRACK_ZH = {
    "petition": "信访事项办理",
    "petition_review": "信访复查",
    "petition_re_review": "信访复核",
    "people_mediation": "人民调解",
    "administrative_mediation": "行政调解",
    "judicial_mediation": "司法调解",
    "reconsideration": "行政复议",
    "litigation": "诉讼",
    "legal_aid": "法律援助",
    "triage": "待分流",
}

STAGE_ZH = {
    "triage": "待分流",
    "registered": "已登记",
    "forwarded": "已转送交办",
    "pending_acceptance": "待受理",
    "accepted": "办理中",
    "concluded": "已办结",
    "not_accepted": "不予受理",
    "escalated": "已转入后续程序",
    "closed": "已结案",
    "terminated": "已终结",
}

KIND_ZH = {"petition": "信访", "dispute": "矛盾纠纷"}

STATUS_ZH = {"open": "在办", "concluded": "已办结", "not_accepted": "不予受理", "closed": "已结案",
             "terminated": "已终结"}

RATING_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
