"""Initial schema: reference data, users, cases, parties, proceedings,
clocks, routing decisions, the append-only event timeline and the outbox.

Written as SQL rather than auto-generated so that the constraints the
domain depends on (checks, partial indexes, the trigger that refuses UPDATE
and DELETE on events) are stated where a reviewer sees them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "initial schema"

SQL = r"""
CREATE TABLE division (
    code        text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
    name_zh     text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    parent_code text REFERENCES division(code) ON DELETE RESTRICT,
    -- the significant prefix: 2/4/6/9/12 digits by level
    prefix      text NOT NULL
);
CREATE INDEX division_parent_idx ON division (parent_code);

CREATE TABLE category (
    code        text PRIMARY KEY,
    label_zh    text NOT NULL,
    label_en    text NOT NULL,
    civil       boolean NOT NULL DEFAULT false,
    law_related boolean NOT NULL DEFAULT false,
    position    integer NOT NULL DEFAULT 0,
    source      text NOT NULL DEFAULT ''
);

CREATE TABLE body (
    id            serial PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    name_zh       text NOT NULL,
    name_en       text NOT NULL DEFAULT '',
    kind          text NOT NULL,
    division_code text NOT NULL REFERENCES division(code) ON DELETE RESTRICT,
    level         smallint NOT NULL,
    -- categories within this body's remit; empty means any
    remit         text[] NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true
);
CREATE INDEX body_kind_idx ON body (kind, division_code);

CREATE TABLE routing_rule (
    id          serial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    position    integer NOT NULL,
    conditions  jsonb NOT NULL DEFAULT '{}',
    track       text NOT NULL,
    body_kind   text NOT NULL,
    -- the deepest level the body may be at (4: township or above), or any
    body_max_level smallint CHECK (body_max_level BETWEEN 1 AND 5),
    reason_zh   text NOT NULL,
    reason_en   text NOT NULL,
    source      text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE time_limit (
    code               text PRIMARY KEY,
    track              text NOT NULL,
    step_zh            text NOT NULL,
    step_en            text NOT NULL,
    length             integer NOT NULL CHECK (length > 0),
    unit               text NOT NULL CHECK (unit IN ('days', 'working_days', 'months')),
    start_event        text NOT NULL,
    starts_on          text NOT NULL,
    stops_on           text[] NOT NULL DEFAULT '{}',
    pausable           boolean NOT NULL DEFAULT false,
    extendable         boolean NOT NULL DEFAULT false,
    extension_length   integer NOT NULL DEFAULT 0,
    extension_unit     text NOT NULL DEFAULT 'days' CHECK (extension_unit IN ('days', 'working_days', 'months')),
    extension_approver text NOT NULL DEFAULT '',
    party_window       boolean NOT NULL DEFAULT false,
    source             text NOT NULL,
    verify             boolean NOT NULL DEFAULT false,
    note               text NOT NULL DEFAULT ''
);

CREATE TABLE calendar_year (
    year     integer PRIMARY KEY,
    source   text NOT NULL,
    complete boolean NOT NULL DEFAULT true
);

CREATE TABLE calendar_day (
    day    date PRIMARY KEY,
    kind   text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name   text NOT NULL DEFAULT '',
    source text NOT NULL DEFAULT ''
);

CREATE TABLE app_user (
    id            serial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('clerk', 'mediator', 'officer', 'supervisor', 'admin', 'auditor')),
    body_id       integer REFERENCES body(id) ON DELETE RESTRICT,
    jurisdiction  text NOT NULL CHECK (jurisdiction ~ '^[0-9]{0,12}$'),
    active        boolean NOT NULL DEFAULT true,
    token_version integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reference_counter (
    county_code text NOT NULL,
    year        integer NOT NULL,
    last_seq    integer NOT NULL,
    PRIMARY KEY (county_code, year)
);

CREATE TABLE case_file (
    id                    bigserial PRIMARY KEY,
    reference             text NOT NULL UNIQUE,
    county_code           text NOT NULL,
    year                  integer NOT NULL,
    seq                   integer NOT NULL,
    kind                  text NOT NULL CHECK (kind IN ('petition', 'dispute')),
    channel               text NOT NULL,
    petition_type         text CHECK (petition_type IN ('suggestion', 'accusation', 'appeal')),
    category_code         text NOT NULL REFERENCES category(code) ON DELETE RESTRICT,
    summary               text NOT NULL,
    description           text NOT NULL DEFAULT '',
    -- "C" collation: prefix ranges (code >= p AND code < p || ':') use the index
    division_code         text COLLATE "C" NOT NULL REFERENCES division(code) ON DELETE RESTRICT,
    occurred_on           date,
    received_at           timestamptz NOT NULL,
    headcount             integer NOT NULL CHECK (headcount >= 1),
    collective            boolean NOT NULL CHECK (collective = (headcount >= 5)),
    amount_in_dispute     numeric(16, 2),
    act_known_on          date,
    pending_litigation    boolean NOT NULL DEFAULT false,
    risk_level            text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status                text NOT NULL,
    track                 text NOT NULL,
    stage                 text NOT NULL,
    body_id               integer REFERENCES body(id) ON DELETE RESTRICT,
    assignee_id           integer REFERENCES app_user(id) ON DELETE RESTRICT,
    current_proceeding_id bigint,
    next_due_on           date,
    receipt_code_hash     text NOT NULL,
    created_by            integer REFERENCES app_user(id) ON DELETE RESTRICT,
    related_case_id       bigint REFERENCES case_file(id) ON DELETE RESTRICT,
    possible_repeats      jsonb NOT NULL DEFAULT '[]',
    not_accepted_reason   text,
    terminated            boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    closed_at             timestamptz,
    version               integer NOT NULL DEFAULT 1,
    UNIQUE (county_code, year, seq),
    CHECK ((kind = 'petition') = (petition_type IS NOT NULL))
);
CREATE INDEX case_file_division_idx ON case_file (division_code, id);
CREATE INDEX case_file_received_idx ON case_file (received_at, id);
CREATE INDEX case_file_body_idx ON case_file (body_id, status);
CREATE INDEX case_file_due_idx ON case_file (next_due_on) WHERE closed_at IS NULL;

CREATE TABLE party (
    id               bigserial PRIMARY KEY,
    case_id          bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    position         smallint NOT NULL,
    role             text NOT NULL CHECK (role IN ('applicant', 'respondent', 'third_party', 'agent')),
    kind             text NOT NULL CHECK (kind IN ('person', 'organization', 'agency')),
    name             text NOT NULL,
    id_number_enc    text,
    id_number_hash   text,
    id_number_masked text,
    phone_enc        text,
    phone_hash       text,
    phone_masked     text,
    address_enc      text,
    UNIQUE (case_id, position)
);
CREATE INDEX party_id_hash_idx ON party (id_number_hash) WHERE id_number_hash IS NOT NULL;
CREATE INDEX party_phone_hash_idx ON party (phone_hash, name) WHERE phone_hash IS NOT NULL;
CREATE INDEX party_name_idx ON party (name);

CREATE TABLE proceeding (
    id           bigserial PRIMARY KEY,
    case_id      bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    seq          smallint NOT NULL,
    track        text NOT NULL,
    body_id      integer REFERENCES body(id) ON DELETE RESTRICT,
    assignee_id  integer REFERENCES app_user(id) ON DELETE RESTRICT,
    state        text NOT NULL,
    outcome      text,
    previous_id  bigint REFERENCES proceeding(id) ON DELETE RESTRICT,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    accepted_at  timestamptz,
    concluded_at timestamptz,
    opened_reason text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}',
    UNIQUE (case_id, seq)
);
ALTER TABLE case_file ADD CONSTRAINT case_file_current_proceeding_fk
    FOREIGN KEY (current_proceeding_id) REFERENCES proceeding(id) ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX proceeding_queue_idx ON proceeding (body_id, state);

CREATE TABLE clock (
    id                  bigserial PRIMARY KEY,
    case_id             bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id       bigint NOT NULL REFERENCES proceeding(id) ON DELETE RESTRICT,
    time_limit_code     text NOT NULL REFERENCES time_limit(code) ON DELETE RESTRICT,
    started_on          date NOT NULL,
    due_on              date NOT NULL,
    state               text NOT NULL CHECK (state IN ('running', 'paused', 'stopped')),
    paused_since        date,
    paused_days         integer NOT NULL DEFAULT 0,
    extended_by         integer NOT NULL DEFAULT 0,
    extension           jsonb,
    calendar_incomplete boolean NOT NULL DEFAULT false,
    stopped_on          date,
    met                 boolean,
    due_soon_marked_at  timestamptz,
    breached_marked_at  timestamptz
);
CREATE INDEX clock_open_idx ON clock (due_on) WHERE state <> 'stopped';
CREATE INDEX clock_case_idx ON clock (case_id);

CREATE TABLE routing_decision (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    rule_id         integer REFERENCES routing_rule(id) ON DELETE RESTRICT,
    rule_code       text,
    track           text NOT NULL,
    body_id         integer REFERENCES body(id) ON DELETE RESTRICT,
    reason          text NOT NULL,
    suggested_track text,
    overridden      boolean NOT NULL DEFAULT false,
    override_reason text,
    decided_by      integer REFERENCES app_user(id) ON DELETE RESTRICT,
    decided_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_decision_case_idx ON routing_decision (case_id);

CREATE TABLE case_event (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id bigint REFERENCES proceeding(id) ON DELETE RESTRICT,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      integer REFERENCES app_user(id) ON DELETE RESTRICT,
    actor_role    text,
    type          text NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_event_case_idx ON case_event (case_id, id);

CREATE FUNCTION case_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER case_event_no_update BEFORE UPDATE OR DELETE ON case_event
    FOR EACH ROW EXECUTE FUNCTION case_event_append_only();
CREATE TRIGGER case_event_no_truncate BEFORE TRUNCATE ON case_event
    FOR EACH STATEMENT EXECUTE FUNCTION case_event_append_only();

CREATE TABLE admin_event (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   integer REFERENCES app_user(id) ON DELETE RESTRICT,
    actor_role text,
    entity     text NOT NULL,
    key        text NOT NULL,
    action     text NOT NULL,
    before     jsonb,
    after      jsonb
);
CREATE TRIGGER admin_event_no_update BEFORE UPDATE OR DELETE ON admin_event
    FOR EACH ROW EXECUTE FUNCTION case_event_append_only();

-- A retried intake (same user, same Idempotency-Key) replays the first
-- response, receipt code included, from here; rows expire after a day.
CREATE TABLE idempotency_record (
    user_id       integer NOT NULL REFERENCES app_user(id) ON DELETE RESTRICT,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  text NOT NULL,
    case_id       bigint REFERENCES case_file(id) ON DELETE RESTRICT,
    response_enc  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    event_id   bigint NOT NULL REFERENCES case_event(id) ON DELETE RESTRICT,
    case_id    bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    type       text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_case_idx ON outbox (case_id, id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def create_schema():
        await execute_script(SQL)

    manager.add_raw(create_schema)
    return manager
