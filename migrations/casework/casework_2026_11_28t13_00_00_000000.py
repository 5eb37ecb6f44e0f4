"""Records as practitioners run them: case numbers as given, confirmable
pre-filing judicial mediation, legal aid as the Legal Aid Law names it,
and labour arbitration as a linked external record.

- ``lawsuit.case_number_as_given``: the number as typed or pushed; the key
  (ASCII parentheses) stays in ``case_number``, so rows stored before keep
  being found. Their as-given form is unknown (NULL): they are shown from
  the key, with full-width parentheses.
- ``mediation_agreement``: whether a judicial mediation was a court-referred
  pre-filing one (``pre_filing``; its agreement may be judicially confirmed)
  and the court's mediation number (诉前调, as given and as key). NULL on
  rows stored before: not confirmable, as they were.
- ``legal_aid_record``: priority handling (法律援助法 art. 44) with its ground
  and the period that made it urgent, aid given before the papers
  (``papers_pending``, ``papers_completed_on``), the means-test waiver and
  its ground (arts. 32, 42), the legal-aid worker (法律援助人员: lawyer,
  grassroots legal-service worker, volunteer or the centre's staff) and the
  termination reason (art. 48). Assigned lawyers are copied into
  ``worker_name``/``worker_kind``; ``lawyer_name`` is kept for one version.
- ``arbitration``: a labour arbitration (劳动人事争议仲裁) recorded on a case,
  and ``clock.record_kind`` may now name it.

No case event is rewritten; records already open keep working.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "records: case numbers as given, pre-filing confirmation, legal aid as the law names it, arbitration"

SQL = r"""
ALTER TABLE lawsuit ADD COLUMN case_number_as_given text CHECK (length(case_number_as_given) > 0);

ALTER TABLE mediation_agreement
    ADD COLUMN pre_filing boolean,
    ADD COLUMN mediation_number text CHECK (length(mediation_number) > 0),
    ADD COLUMN mediation_number_key text,
    ADD CONSTRAINT mediation_agreement_number_pair
        CHECK ((mediation_number IS NULL) = (mediation_number_key IS NULL));

ALTER TABLE legal_aid_record
    ADD COLUMN priority boolean NOT NULL DEFAULT false,
    ADD COLUMN priority_ground text
        CHECK (priority_ground IN ('deadline_within_7_days', 'urgent_preservation', 'other_rule')),
    ADD COLUMN priority_time_limit text,
    ADD COLUMN priority_due_on date,
    ADD COLUMN papers_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN papers_completed_on date,
    ADD COLUMN means_test_waived boolean NOT NULL DEFAULT false,
    ADD COLUMN means_test_ground text,
    ADD COLUMN worker_name text,
    ADD COLUMN worker_kind text
        CHECK (worker_kind IN ('lawyer', 'grassroots_legal_worker', 'volunteer', 'centre_staff')),
    ADD COLUMN outcome_on date,
    ADD COLUMN termination_reason text,
    ADD CONSTRAINT legal_aid_record_priority_ground CHECK (priority = (priority_ground IS NOT NULL)),
    ADD CONSTRAINT legal_aid_record_means_ground CHECK (means_test_waived = (means_test_ground IS NOT NULL)),
    ADD CONSTRAINT legal_aid_record_worker_pair CHECK ((worker_name IS NULL) = (worker_kind IS NULL)),
    ADD CONSTRAINT legal_aid_record_termination CHECK (termination_reason IS NULL OR outcome = 'terminated'),
    ADD CONSTRAINT legal_aid_record_papers
        CHECK (NOT papers_pending OR (priority AND decision = 'granted')),
    ADD CONSTRAINT legal_aid_record_papers_completed CHECK (papers_completed_on >= applied_on),
    ADD CONSTRAINT legal_aid_record_outcome_on CHECK (outcome_on >= applied_on);

UPDATE legal_aid_record SET worker_name = lawyer_name, worker_kind = 'lawyer' WHERE lawyer_name IS NOT NULL;

-- An assigned worker need not be a lawyer: the old pairing of lawyer_name
-- with assigned_on (an unnamed CHECK) gives way to the worker's.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT conname FROM pg_constraint
                WHERE conrelid = 'legal_aid_record'::regclass AND contype = 'c'
                  AND pg_get_constraintdef(oid) LIKE '%lawyer_name IS NULL%' LOOP
        EXECUTE format('ALTER TABLE legal_aid_record DROP CONSTRAINT %I', name);
    END LOOP;
END $$;
ALTER TABLE legal_aid_record ADD CONSTRAINT legal_aid_record_worker_assigned
    CHECK ((worker_name IS NULL) = (assigned_on IS NULL));

-- A labour arbitration (劳动人事争议仲裁) recorded on a case: the commission's
-- steps are tracked here, its record is the commission's.
CREATE TABLE arbitration (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id   bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    commission      text NOT NULL CHECK (length(commission) > 0),
    -- the commission's number as given (no national format), and its key
    case_number     text CHECK (length(case_number) > 0),
    case_number_key text,
    applied_on      date NOT NULL,
    cause           text NOT NULL DEFAULT '',
    accepted_on     date CHECK (accepted_on >= applied_on),
    not_accepted_on date CHECK (not_accepted_on >= applied_on),
    result          text CHECK (result IN ('award', 'mediation', 'withdrawal')),
    result_on       date CHECK (result_on >= applied_on),
    -- a final award (终局裁决, 劳动争议调解仲裁法 art. 47)
    final_award     boolean,
    served_on       date CHECK (served_on >= result_on),
    recorded_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at     timestamptz NOT NULL DEFAULT casework_now(),
    updated_at      timestamptz NOT NULL DEFAULT casework_now(),
    CHECK ((case_number IS NULL) = (case_number_key IS NULL)),
    CHECK (accepted_on IS NULL OR not_accepted_on IS NULL),
    CHECK ((result IS NULL) = (result_on IS NULL)),
    CHECK (final_award IS NULL OR result = 'award'),
    CHECK (served_on IS NULL OR result IN ('award', 'mediation'))
);
CREATE INDEX arbitration_case_idx ON arbitration (case_id, id);
CREATE UNIQUE INDEX arbitration_case_number_idx ON arbitration (case_id, case_number_key)
    WHERE case_number_key IS NOT NULL;

ALTER TABLE clock DROP CONSTRAINT clock_record_kind_check;
ALTER TABLE clock ADD CONSTRAINT clock_record_kind_check
    CHECK (record_kind IN ('agreement', 'judicial_confirmation', 'legal_aid', 'lawsuit', 'arbitration'));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
