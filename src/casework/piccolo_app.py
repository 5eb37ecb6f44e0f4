"""The Piccolo app: its tables and the migrations folder at the top level."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from casework.access.tables import AppUser
from casework.cases.tables import CaseEvent, CaseFile, Outbox, Party, ReferenceCounter
from casework.deadlines.tables import CalendarDay, CalendarYear, Clock, TimeLimit
from casework.proceedings.tables import Proceeding
from casework.records.tables import (
    InboundEvent, JudicialConfirmation, Lawsuit, LawsuitCase, LawsuitHearing, LegalAidRecord, MediationAgreement,
    ReconsiderationDecision,
)
from casework.reference.tables import Body, Category, Division
from casework.routing.tables import RoutingDecision, RoutingRule
from casework.supervision.tables import Supervision
from casework.webhooks.tables import WebhookDelivery, WebhookSubscription


def _migrations_folder() -> str:
    # Top-level migrations/ of the repository (the package is installed
    # editable; see README). Fall back to a copy inside the package.
    repo = Path(__file__).resolve().parents[2] / "migrations" / "casework"
    return str(repo if repo.exists() else Path(__file__).parent / "_migrations")


APP_CONFIG = AppConfig(
    app_name="casework",
    migrations_folder_path=_migrations_folder(),
    table_classes=[
        Division, Body, Category, RoutingRule, TimeLimit, CalendarYear, CalendarDay,
        AppUser, CaseFile, Party, CaseEvent, Outbox, ReferenceCounter,
        Proceeding, Clock, RoutingDecision,
        WebhookSubscription, WebhookDelivery,
        MediationAgreement, JudicialConfirmation, ReconsiderationDecision, Lawsuit, LawsuitCase, LawsuitHearing,
        LegalAidRecord, InboundEvent, Supervision,
    ],
    migration_dependencies=[],
    commands=[],
)
