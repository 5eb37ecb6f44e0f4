"""Clocks that follow the law: whose clock it is, what ended it, breaches
that stand, notices and their service, and time limits a deployed
database can be corrected to.

- ``time_limit``: ``whose`` (body, party, court), ``starts_on`` becomes a
  list of events, ``on_lapse`` (breach, close, deemed_accepted,
  deemed_withdrawn) and ``then_starts`` (limits a lapse starts), years as
  a unit, ``record`` (the record kind a limit belongs to), and ``seeded``:
  the values last written by the seed. ``casework migrate`` updates a row
  to the project's data only while it still holds what was seeded, so an
  administrator's correction is never overwritten and a deployed database
  still receives the project's corrections. Rows an administrator already
  changed (their admin_event says so) start without ``seeded``.
- ``clock``: ``whose``; ``outcome`` once stopped (met, late, lapsed,
  not_applicable, deemed); ``breached_on``, the first late day, kept when
  an extension comes after it; ``pause_reason``; ``start_ref`` (what
  started it: a notice's service, a lapse); ``lapse_handled_at``.
  Existing clocks are backfilled from ``met`` and ``breached_marked_at``.
- ``notice`` and ``notice_service``: the written notices a party must
  receive (opinions, decisions, not-accepted notices, guidance) and how and
  when each was served (in person, post with posting date and tracking
  number, electronic with consent, public notice). A party's window starts
  on the day served. Corrections are new rows (``supersedes``).
- ``legal_aid_record``: the objection to a refusal or termination and the
  justice bureau's decision (its 5 days run from receipt).
- ``case_file``: the day of the administrative act, obstacle days, whether
  the applicant was told of the right to reconsideration, immovable
  property: what the late-application rules of 行政复议法 arts. 20-21 need.
- ``supervision.closed_reason``: a breach that a corrected date shows was
  no breach closes its supervision item, saying why.
- The backlog and the queue count only running clocks of the handling
  body: a paused clock is not overdue, and a party's or a court's clock
  never counts against a body.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "clocks that follow the law"

SQL = r"""
ALTER TABLE time_limit DROP CONSTRAINT time_limit_unit_check;
ALTER TABLE time_limit ADD CONSTRAINT time_limit_unit_check CHECK (unit IN ('days', 'working_days', 'months', 'years'));
ALTER TABLE time_limit ALTER COLUMN starts_on DROP DEFAULT;
ALTER TABLE time_limit ALTER COLUMN starts_on TYPE text[] USING ARRAY[starts_on];
ALTER TABLE time_limit
    ADD COLUMN whose text NOT NULL DEFAULT 'body' CHECK (whose IN ('body', 'party', 'court')),
    ADD COLUMN on_lapse text NOT NULL DEFAULT 'breach'
        CHECK (on_lapse IN ('breach', 'close', 'deemed_accepted', 'deemed_withdrawn')),
    ADD COLUMN then_starts text[] NOT NULL DEFAULT '{}',
    ADD COLUMN record text,
    ADD COLUMN seeded jsonb;
UPDATE time_limit SET whose = 'party', on_lapse = 'close' WHERE party_window;
-- What the seed wrote, for rows no administrator has changed since.
UPDATE time_limit t SET seeded = jsonb_build_object(
        'track', t.track, 'step_zh', t.step_zh, 'step_en', t.step_en, 'length', t.length, 'unit', t.unit,
        'start_event', t.start_event, 'starts_on', to_jsonb(t.starts_on), 'stops_on', to_jsonb(t.stops_on),
        'pausable', t.pausable, 'extendable', t.extendable, 'extension_length', t.extension_length,
        'extension_unit', t.extension_unit, 'extension_approver', t.extension_approver,
        'party_window', t.party_window, 'source', t.source, 'verify', t.verify, 'note', t.note,
        'whose', t.whose, 'on_lapse', t.on_lapse, 'then_starts', to_jsonb(t.then_starts), 'record', t.record)
WHERE NOT EXISTS (SELECT 1 FROM admin_event e WHERE e.entity = 'time_limit' AND e.key = t.code
                  AND e.actor_id IS NOT NULL);

ALTER TABLE clock
    ADD COLUMN whose text NOT NULL DEFAULT 'body' CHECK (whose IN ('body', 'party', 'court')),
    ADD COLUMN outcome text CHECK (outcome IN ('met', 'late', 'lapsed', 'not_applicable', 'deemed')),
    ADD COLUMN breached_on date,
    ADD COLUMN pause_reason text,
    ADD COLUMN start_ref jsonb,
    ADD COLUMN lapse_handled_at timestamptz;
UPDATE clock k SET whose = t.whose FROM time_limit t WHERE t.code = k.time_limit_code AND t.whose <> 'body';
UPDATE clock SET outcome = CASE WHEN met THEN 'met' ELSE 'late' END WHERE state = 'stopped' AND met IS NOT NULL;
UPDATE clock SET breached_on = due_on + 1 WHERE breached_marked_at IS NOT NULL OR (state = 'stopped' AND met IS FALSE);
ALTER TABLE clock DROP CONSTRAINT clock_record_kind_check;
ALTER TABLE clock ADD CONSTRAINT clock_record_kind_check
    CHECK (record_kind IN ('agreement', 'judicial_confirmation', 'legal_aid', 'lawsuit'));
ALTER TABLE clock ADD CONSTRAINT clock_outcome_when_stopped CHECK ((state = 'stopped') = (outcome IS NOT NULL))
    NOT VALID;
CREATE INDEX clock_lapse_idx ON clock (due_on) WHERE state = 'running' AND lapse_handled_at IS NULL;
CREATE INDEX clock_start_ref_idx ON clock ((start_ref->>'service_id')) WHERE start_ref ? 'service_id';

ALTER TABLE supervision ADD COLUMN closed_reason text;

-- The applicant's objection to a refusal or termination of legal aid (法律援助法 art. 49).
ALTER TABLE legal_aid_record
    ADD COLUMN objection_received_on date,
    ADD COLUMN objection_against text CHECK (objection_against IN ('refusal', 'termination')),
    ADD COLUMN objection_bureau text,
    ADD COLUMN objection_decided_on date CHECK (objection_decided_on >= objection_received_on),
    ADD COLUMN objection_result text CHECK (objection_result IN ('upheld', 'rejected'));

-- What decides whether a reconsideration application is late (行政复议法 arts. 20-21).
ALTER TABLE case_file
    ADD COLUMN act_on date,
    ADD COLUMN obstacle_days integer NOT NULL DEFAULT 0 CHECK (obstacle_days BETWEEN 0 AND 3660),
    ADD COLUMN not_informed_of_right boolean NOT NULL DEFAULT false,
    ADD COLUMN immovable_property boolean NOT NULL DEFAULT false;

CREATE TABLE notice (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    kind          text NOT NULL,
    -- the party the notice is for (position on the case); NULL: every applicant
    party_position smallint,
    issued_on     date NOT NULL,
    record_kind   text,
    record_id     bigint,
    details       jsonb NOT NULL DEFAULT '{}',
    issued_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    created_at    timestamptz NOT NULL DEFAULT casework_now()
);
CREATE INDEX notice_case_idx ON notice (case_id, id);

CREATE TABLE notice_service (
    id              bigserial PRIMARY KEY,
    notice_id       bigint NOT NULL REFERENCES notice(id) ON DELETE RESTRICT,
    method          text NOT NULL CHECK (method IN ('in_person', 'post', 'electronic', 'public_notice')),
    posted_on       date,
    tracking_number text,
    served_on       date NOT NULL,
    consent_recorded boolean NOT NULL DEFAULT false,
    -- a correction is a new row; the row it corrects stays, for the record
    supersedes      bigint REFERENCES notice_service(id) ON DELETE RESTRICT,
    reason          text,
    recorded_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at     timestamptz NOT NULL DEFAULT casework_now(),
    CHECK (method <> 'post' OR posted_on IS NOT NULL),
    CHECK (posted_on IS NULL OR served_on >= posted_on),
    CHECK (method <> 'electronic' OR consent_recorded)
);
CREATE INDEX notice_service_notice_idx ON notice_service (notice_id, id);
CREATE UNIQUE INDEX notice_service_current_idx ON notice_service (supersedes) WHERE supersedes IS NOT NULL;

-- The backlog and the case's next due date: running clocks of the body only.
DO $$
DECLARE
    definition text;
BEGIN
    definition := pg_get_functiondef('backlog_refresh(bigint)'::regprocedure);
    IF position('WHERE k.case_id = p_case_id AND k.state <> ''stopped''' IN definition) = 0 THEN
        RAISE EXCEPTION 'backlog_refresh is not the function this migration expects';
    END IF;
    EXECUTE replace(definition, 'WHERE k.case_id = p_case_id AND k.state <> ''stopped''',
                    'WHERE k.case_id = p_case_id AND k.state = ''running'' AND k.whose = ''body''');
    definition := pg_get_functiondef('backlog_rebuild()'::regprocedure);
    IF position('FROM clock WHERE state <> ''stopped'' GROUP BY case_id' IN definition) = 0 THEN
        RAISE EXCEPTION 'backlog_rebuild is not the function this migration expects';
    END IF;
    EXECUTE replace(definition, 'FROM clock WHERE state <> ''stopped'' GROUP BY case_id',
                    'FROM clock WHERE state = ''running'' AND whose = ''body'' GROUP BY case_id');
END $$;

-- A clock's whose changes with its refresh (paused, resumed, stopped already trigger it).
DROP TRIGGER backlog_clock_update ON clock;
CREATE CONSTRAINT TRIGGER backlog_clock_update AFTER UPDATE OF state, due_on, case_id, whose ON clock
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.due_on IS DISTINCT FROM NEW.due_on
          OR OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.whose IS DISTINCT FROM NEW.whose)
    EXECUTE FUNCTION backlog_clock_changed();

SELECT backlog_rebuild();
UPDATE case_file c SET next_due_on = (SELECT min(k.due_on) FROM clock k
                                      WHERE k.proceeding_id = c.current_proceeding_id AND k.state = 'running'
                                        AND k.whose = 'body')
WHERE c.status = 'open';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
