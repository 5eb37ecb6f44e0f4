"""Outcome records (agreements, judicial confirmations, reconsideration
decisions), litigation and legal-aid records, and inbound status events.

Record clocks live in ``clock`` like every other clock (same sweep, same
views) with ``record_kind``/``record_id`` naming the record that owns them:
proceeding actions stop only the proceeding's own clocks (deadlines.service
``stop_clocks``), a record's clocks are stopped by that record's steps.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outcome, litigation and legal-aid records; inbound events"

SQL = r"""
ALTER TABLE clock ADD COLUMN record_kind text
    CHECK (record_kind IN ('agreement', 'judicial_confirmation', 'legal_aid'));
ALTER TABLE clock ADD COLUMN record_id bigint;
ALTER TABLE clock ADD CONSTRAINT clock_record_pair CHECK ((record_kind IS NULL) = (record_id IS NULL));
CREATE INDEX clock_record_idx ON clock (record_kind, record_id) WHERE record_kind IS NOT NULL;

CREATE TABLE mediation_agreement (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    terms         text NOT NULL CHECK (length(terms) > 0),
    signed_on     date NOT NULL,
    effective_on  date NOT NULL CHECK (effective_on >= signed_on),
    performance   text NOT NULL DEFAULT 'performing'
                  CHECK (performance IN ('performing', 'performed', 'breached')),
    recorded_by   integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mediation_agreement_case_idx ON mediation_agreement (case_id, id);

CREATE TABLE judicial_confirmation (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    agreement_id  bigint NOT NULL REFERENCES mediation_agreement(id) ON DELETE RESTRICT,
    court         text NOT NULL CHECK (length(court) > 0),
    applied_on    date NOT NULL,
    -- applied after the 30-day window (People's Mediation Law art. 33)
    late          boolean NOT NULL DEFAULT false,
    accepted_on   date CHECK (accepted_on >= applied_on),
    ruling_number text,
    ruled_on      date CHECK (ruled_on >= applied_on),
    result        text CHECK (result IN ('confirmed', 'rejected')),
    recorded_by   integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((result IS NULL) = (ruled_on IS NULL) AND (result IS NULL) = (ruling_number IS NULL))
);
-- One application per agreement (a rejected one ends the matter in court).
CREATE UNIQUE INDEX judicial_confirmation_agreement_idx ON judicial_confirmation (agreement_id);
CREATE INDEX judicial_confirmation_case_idx ON judicial_confirmation (case_id, id);

-- The decision type is the reconsideration proceeding's outcome
-- (proceeding.outcome): one source of truth; this row adds its number and dates.
CREATE TABLE reconsideration_decision (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id   bigint NOT NULL UNIQUE REFERENCES proceeding(id) ON DELETE RESTRICT,
    decision_number text NOT NULL CHECK (length(decision_number) > 0),
    decided_on      date NOT NULL,
    received_on     date NOT NULL CHECK (received_on >= decided_on),
    recorded_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconsideration_decision_case_idx ON reconsideration_decision (case_id);

CREATE TABLE lawsuit (
    id            bigserial PRIMARY KEY,
    court         text NOT NULL CHECK (length(court) > 0),
    -- normalised with ASCII parentheses: (2026)晋0403民初123号
    case_number   text NOT NULL UNIQUE,
    case_type     text NOT NULL
                  CHECK (case_type IN ('civil', 'administrative', 'enforcement', 'criminal')),
    cause         text NOT NULL DEFAULT '',
    stage         text NOT NULL
                  CHECK (stage IN ('filed', 'first_instance', 'second_instance', 'retrial', 'enforcement')),
    filed_on      date NOT NULL,
    result        text CHECK (result IN ('judgment', 'mediation', 'withdrawal', 'dismissed')),
    result_on     date CHECK (result_on >= filed_on),
    -- administrative suits: did the sued agency's head appear in court
    head_appeared boolean CHECK (case_type = 'administrative' OR head_appeared IS NULL),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((result IS NULL) = (result_on IS NULL))
);

-- One lawsuit can concern several cases; a case can have several lawsuits.
CREATE TABLE lawsuit_case (
    lawsuit_id bigint NOT NULL REFERENCES lawsuit(id) ON DELETE RESTRICT,
    case_id    bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    linked_by  integer REFERENCES app_user(id) ON DELETE RESTRICT,
    linked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lawsuit_id, case_id)
);
CREATE INDEX lawsuit_case_case_idx ON lawsuit_case (case_id, lawsuit_id);

CREATE TABLE lawsuit_hearing (
    id          bigserial PRIMARY KEY,
    lawsuit_id  bigint NOT NULL REFERENCES lawsuit(id) ON DELETE RESTRICT,
    held_on     date NOT NULL,
    kind        text NOT NULL DEFAULT 'hearing'
                CHECK (kind IN ('hearing', 'pre_trial', 'mediation', 'pronouncement')),
    notes       text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lawsuit_hearing_idx ON lawsuit_hearing (lawsuit_id, held_on);

CREATE TABLE legal_aid_record (
    id             bigserial PRIMARY KEY,
    case_id        bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id  bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    party_id       bigint NOT NULL REFERENCES party(id) ON DELETE RESTRICT,
    lawsuit_id     bigint REFERENCES lawsuit(id) ON DELETE RESTRICT,
    centre         text NOT NULL CHECK (length(centre) > 0),
    -- the centre's own application number, used by its status pushes
    external_id    text UNIQUE,
    applied_on     date NOT NULL,
    aid_type       text NOT NULL CHECK (aid_type IN (
                       'legal_advice', 'document_drafting', 'litigation_representation',
                       'non_litigation_representation', 'arbitration_representation',
                       'criminal_defence', 'duty_lawyer')),
    decision       text CHECK (decision IN ('granted', 'refused')),
    decided_on     date CHECK (decided_on >= applied_on),
    refusal_reason text,
    lawyer_name    text,
    law_firm       text,
    assigned_on    date CHECK (assigned_on >= decided_on),
    outcome        text CHECK (outcome IN ('concluded', 'terminated', 'withdrawn')),
    recorded_by    integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((decision IS NULL) = (decided_on IS NULL)),
    CHECK (decision IS DISTINCT FROM 'refused' OR length(refusal_reason) > 0),
    CHECK (assigned_on IS NULL OR decision = 'granted'),
    CHECK ((lawyer_name IS NULL) = (assigned_on IS NULL))
);
CREATE INDEX legal_aid_record_case_idx ON legal_aid_record (case_id, id);

-- Status pushes from courts and legal-aid centres; the unique key makes a
-- replayed event a no-op (inserted in the transaction that applies it).
CREATE TABLE inbound_event (
    id          bigserial PRIMARY KEY,
    system      text NOT NULL CHECK (system IN ('court', 'legal_aid')),
    event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb NOT NULL,
    applied     jsonb NOT NULL DEFAULT '{}',
    UNIQUE (system, event_id)
);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
