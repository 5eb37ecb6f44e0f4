"""Backlog monitoring, the mobile change feed and the audit of admin edits.

All three are kept by database triggers, not by service code, so every
writer is covered: intake, the proceedings actions being written in
parallel, piccolo_admin (which writes tables directly) and anything a DBA
runs by hand.

- ``backlog_case``: one narrow row per case (open or not, division, body,
  track, stage, category, kind, the earliest due date of its unstopped
  clocks, when it was received and when it last left the open status).
- ``backlog_tally``: counts of open cases rolled up per scope (every level
  prefix of the case's division: '', province, city, county, township,
  village) x dimension (track, stage, category, body, child division,
  received date) x earliest due date. A city-wide summary reads a few
  thousand tally rows instead of aggregating the case table.
- Both are brought up to date by ``backlog_refresh(case_id)``, fired by
  DEFERRED constraint triggers on ``case_file`` and ``clock``: it runs once
  per touched case at COMMIT, from the committed-to-be state, so the hot
  tally rows are locked only for the last instant of a transaction, and the
  rows of one refresh are always upserted in key order (no deadlocks
  between two refreshes).
- ``case_change``: (transaction id, case) for every insert or update of a
  case; the sync cursor hands out only transactions older than the oldest
  one still running (see casework/sync/service.py).
- Reference tables and users: every insert, update and delete is written to
  ``admin_event`` with before and after, the actor taken from the
  transaction setting ``casework.actor_id`` (set by the /admin mount);
  when the API already recorded the change in the same transaction
  (``record_admin_change``), the trigger does not record it twice.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-27T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "backlog counters, sync change feed, admin audit triggers"

SQL = r"""
-- ------------------------------------------------------------------ backlog

CREATE TABLE backlog_case (
    case_id       bigint PRIMARY KEY REFERENCES case_file(id) ON DELETE CASCADE,
    open          boolean NOT NULL,
    division_code text COLLATE "C" NOT NULL,
    kind          text NOT NULL,
    body_id       integer,
    track         text NOT NULL,
    stage         text NOT NULL,
    category_code text NOT NULL,
    -- earliest due date of the case's clocks that are not stopped
    due_on        date,
    received_on   date NOT NULL,
    -- when the case last left the open status (NULL while open)
    left_open_at  timestamptz
);
CREATE INDEX backlog_case_open_idx ON backlog_case (division_code, due_on) WHERE open;
CREATE INDEX backlog_case_due_idx ON backlog_case (due_on, case_id) WHERE open;
CREATE INDEX backlog_case_left_idx ON backlog_case (left_open_at) WHERE left_open_at IS NOT NULL;

CREATE TABLE backlog_tally (
    scope   text COLLATE "C" NOT NULL,   -- '', '14', '1404', '140403', '140403100', 12 digits
    dim     text NOT NULL,               -- track, stage, category, body, division, received
    value   text COLLATE "C" NOT NULL,
    -- the case's earliest due date; 'infinity' = no running clock; dates long
    -- past are folded into '-infinity' by backlog_compact() (overdue stays overdue)
    due_on  date NOT NULL,
    n       integer NOT NULL,
    PRIMARY KEY (scope, dim, value, due_on)
);

-- The tally rows one case contributes (sign = +1 or -1).
CREATE FUNCTION backlog_keys(c backlog_case, sign integer)
RETURNS TABLE (scope text, dim text, value text, due_on date, n integer)
LANGUAGE sql IMMUTABLE AS $$
    SELECT left(c.division_code, l.len), d.dim, d.value,
           CASE WHEN d.dim = 'received' THEN 'infinity'::date ELSE coalesce(c.due_on, 'infinity'::date) END,
           sign
    FROM (VALUES (0, 2), (2, 4), (4, 6), (6, 9), (9, 12), (12, NULL)) AS l(len, child)
    CROSS JOIN LATERAL (VALUES
        ('track', c.track), ('stage', c.stage), ('category', c.category_code),
        ('body', coalesce(c.body_id::text, '')), ('received', c.received_on::text),
        ('division', CASE WHEN l.child IS NULL THEN NULL ELSE left(c.division_code, l.child) END)
    ) AS d(dim, value)
    WHERE c.open AND d.value IS NOT NULL
$$;

CREATE FUNCTION backlog_refresh(p_case_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    was backlog_case;
    now_ backlog_case;
    cur record;
BEGIN
    SELECT * INTO was FROM backlog_case WHERE case_id = p_case_id FOR UPDATE;
    SELECT id, division_code, kind, body_id, track, stage, category_code, status, received_at
      INTO cur FROM case_file WHERE id = p_case_id;
    IF NOT FOUND THEN
        RETURN;  -- rows of case_file are never deleted (ON DELETE RESTRICT everywhere)
    END IF;
    now_.case_id := cur.id;
    now_.open := cur.status = 'open';
    now_.division_code := cur.division_code;
    now_.kind := cur.kind;
    now_.body_id := cur.body_id;
    now_.track := cur.track;
    now_.stage := cur.stage;
    now_.category_code := cur.category_code;
    now_.received_on := (cur.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date;
    SELECT min(k.due_on) INTO now_.due_on FROM clock k WHERE k.case_id = p_case_id AND k.state <> 'stopped';
    IF was.case_id IS NULL THEN
        now_.left_open_at := CASE WHEN now_.open THEN NULL ELSE cur.received_at END;
    ELSIF was.open AND NOT now_.open THEN
        now_.left_open_at := now();
    ELSIF now_.open THEN
        now_.left_open_at := NULL;
    ELSE
        now_.left_open_at := was.left_open_at;
    END IF;
    IF was.case_id IS NOT NULL AND was IS NOT DISTINCT FROM now_ THEN
        RETURN;
    END IF;
    INSERT INTO backlog_tally AS t (scope, dim, value, due_on, n)
    SELECT k.scope, k.dim, k.value, k.due_on, sum(k.n)
    FROM (SELECT * FROM backlog_keys(was, -1) WHERE was.case_id IS NOT NULL
          UNION ALL SELECT * FROM backlog_keys(now_, 1)) k
    GROUP BY k.scope, k.dim, k.value, k.due_on
    HAVING sum(k.n) <> 0
    ORDER BY k.scope, k.dim, k.value, k.due_on
    ON CONFLICT (scope, dim, value, due_on) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO backlog_case VALUES (now_.*)
    ON CONFLICT (case_id) DO UPDATE SET
        open = EXCLUDED.open, division_code = EXCLUDED.division_code, kind = EXCLUDED.kind,
        body_id = EXCLUDED.body_id, track = EXCLUDED.track, stage = EXCLUDED.stage,
        category_code = EXCLUDED.category_code, due_on = EXCLUDED.due_on,
        received_on = EXCLUDED.received_on, left_open_at = EXCLUDED.left_open_at;
END $$;

CREATE FUNCTION backlog_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM backlog_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END $$;

CREATE FUNCTION backlog_clock_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM backlog_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.case_id ELSE NEW.case_id END);
    RETURN NULL;
END $$;

-- DEFERRED: the refresh runs at COMMIT, once the writer has finished with
-- the case (intake inserts the case, then its clocks, then updates it).
CREATE CONSTRAINT TRIGGER backlog_case_insert AFTER INSERT ON case_file
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION backlog_case_changed();
CREATE CONSTRAINT TRIGGER backlog_case_update
    AFTER UPDATE OF status, stage, track, body_id, division_code, category_code, kind, received_at ON case_file
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.stage IS DISTINCT FROM NEW.stage
          OR OLD.track IS DISTINCT FROM NEW.track OR OLD.body_id IS DISTINCT FROM NEW.body_id
          OR OLD.division_code IS DISTINCT FROM NEW.division_code
          OR OLD.category_code IS DISTINCT FROM NEW.category_code OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.received_at IS DISTINCT FROM NEW.received_at)
    EXECUTE FUNCTION backlog_case_changed();
CREATE CONSTRAINT TRIGGER backlog_clock_insert AFTER INSERT ON clock
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION backlog_clock_changed();
CREATE CONSTRAINT TRIGGER backlog_clock_update AFTER UPDATE OF state, due_on, case_id ON clock
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.due_on IS DISTINCT FROM NEW.due_on
          OR OLD.case_id IS DISTINCT FROM NEW.case_id)
    EXECUTE FUNCTION backlog_clock_changed();
CREATE CONSTRAINT TRIGGER backlog_clock_delete AFTER DELETE ON clock
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION backlog_clock_changed();

-- Rebuild both tables from case_file and clock in one set-based pass: for
-- the migration's backfill, after a bulk load with triggers off (the bench
-- seed), or to repair. Locks the tables so no refresh interleaves.
CREATE FUNCTION backlog_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE backlog_case, backlog_tally IN EXCLUSIVE MODE;
    DELETE FROM backlog_tally;
    DELETE FROM backlog_case;
    INSERT INTO backlog_case (case_id, open, division_code, kind, body_id, track, stage, category_code,
                              due_on, received_on, left_open_at)
    SELECT c.id, c.status = 'open', c.division_code, c.kind, c.body_id, c.track, c.stage, c.category_code,
           d.due_on, (c.received_at AT TIME ZONE 'UTC' + interval '8 hours')::date,
           CASE WHEN c.status = 'open' THEN NULL ELSE coalesce(c.closed_at, c.updated_at) END
    FROM case_file c
    LEFT JOIN (SELECT case_id, min(due_on) AS due_on FROM clock WHERE state <> 'stopped' GROUP BY case_id) d
           ON d.case_id = c.id;
    INSERT INTO backlog_tally (scope, dim, value, due_on, n)
    SELECT k.scope, k.dim, k.value, k.due_on, sum(k.n)
    FROM backlog_case b CROSS JOIN LATERAL backlog_keys(b, 1) k
    WHERE b.open
    GROUP BY 1, 2, 3, 4;
END $$;

-- Fold tally rows whose due date is before p_before into '-infinity'.
-- Safe at any time: counts are additive, and a date in the past stays in
-- the past, so "overdue" sums are unchanged. Keeps the city-wide summary
-- reading only as many rows as there are dates still ahead.
CREATE FUNCTION backlog_compact(p_before date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
BEGIN
    WITH gone AS (
        DELETE FROM backlog_tally
        WHERE (due_on < p_before AND due_on > '-infinity'::date) OR n = 0
        RETURNING scope, dim, value, due_on, n
    )
    INSERT INTO backlog_tally AS t (scope, dim, value, due_on, n)
    SELECT scope, dim, value, '-infinity'::date, sum(n) FROM gone
    WHERE due_on < p_before
    GROUP BY 1, 2, 3 HAVING sum(n) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (scope, dim, value, due_on) DO UPDATE SET n = t.n + EXCLUDED.n;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END $$;

SELECT backlog_rebuild();

-- ------------------------------------------------------------------ sync

CREATE TABLE case_change (
    txid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    case_id       bigint NOT NULL,
    division_code text COLLATE "C" NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (txid, case_id)
);

CREATE FUNCTION case_change_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_change (case_id, division_code) VALUES (NEW.id, NEW.division_code)
    ON CONFLICT (txid, case_id) DO NOTHING;
    IF TG_OP = 'UPDATE' AND OLD.division_code IS DISTINCT FROM NEW.division_code THEN
        -- a case moved: its old jurisdiction hears about it too (as "gone")
        INSERT INTO case_change (case_id, division_code, txid)
        VALUES (NEW.id, OLD.division_code, pg_current_xact_id())
        ON CONFLICT (txid, case_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER case_change_feed AFTER INSERT OR UPDATE ON case_file
    FOR EACH ROW EXECUTE FUNCTION case_change_record();

-- Cases that exist before this migration are one "change" of the
-- migrating transaction, so a first sync from the start sees them all.
INSERT INTO case_change (case_id, division_code) SELECT id, division_code FROM case_file;

-- ------------------------------------------------------------------ admin audit

-- piccolo_admin never takes a primary key from its forms, so tables keyed
-- by a code, a year or a day get a surrogate key for the admin screen
-- (casework/admin/tables.py); the natural keys stay the primary keys.
ALTER TABLE division ADD COLUMN admin_id integer GENERATED BY DEFAULT AS IDENTITY UNIQUE;
ALTER TABLE category ADD COLUMN admin_id integer GENERATED BY DEFAULT AS IDENTITY UNIQUE;
ALTER TABLE time_limit ADD COLUMN admin_id integer GENERATED BY DEFAULT AS IDENTITY UNIQUE;
ALTER TABLE calendar_year ADD COLUMN admin_id integer GENERATED BY DEFAULT AS IDENTITY UNIQUE;
ALTER TABLE calendar_day ADD COLUMN admin_id integer GENERATED BY DEFAULT AS IDENTITY UNIQUE;

CREATE INDEX admin_event_at_idx ON admin_event (at);

CREATE FUNCTION admin_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_entity text := TG_ARGV[0];
    v_before jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'password_hash' END;
    v_after jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'password_hash' END;
    v_key text := coalesce(v_after, v_before) ->> TG_ARGV[1];
    v_actor integer := nullif(current_setting('casework.actor_id', true), '')::integer;
BEGIN
    IF TG_OP = 'UPDATE' AND v_before = v_after THEN
        RETURN NULL;
    END IF;
    -- The API writes its own admin_event rows (record_admin_change) in the
    -- same transaction: do not record the same change twice.
    IF EXISTS (SELECT 1 FROM admin_event e
               WHERE e.at = now() AND e.entity = v_entity AND e.key = v_key) THEN
        RETURN NULL;
    END IF;
    INSERT INTO admin_event (actor_id, actor_role, entity, key, action, before, after)
    VALUES (v_actor, CASE WHEN v_actor IS NULL THEN 'database' ELSE
                   coalesce(nullif(current_setting('casework.actor_role', true), ''), 'admin') END,
            v_entity, v_key,
            CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'DELETE' THEN 'delete' ELSE 'update' END,
            v_before, v_after);
    RETURN NULL;
END $$;

-- DEFERRED so that the API's own record (written after its UPDATE) is seen.
CREATE CONSTRAINT TRIGGER division_audit AFTER INSERT OR UPDATE OR DELETE ON division
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('division', 'code');
CREATE CONSTRAINT TRIGGER body_audit AFTER INSERT OR UPDATE OR DELETE ON body
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('body', 'code');
CREATE CONSTRAINT TRIGGER category_audit AFTER INSERT OR UPDATE OR DELETE ON category
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('category', 'code');
CREATE CONSTRAINT TRIGGER routing_rule_audit AFTER INSERT OR UPDATE OR DELETE ON routing_rule
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('routing_rule', 'code');
CREATE CONSTRAINT TRIGGER time_limit_audit AFTER INSERT OR UPDATE OR DELETE ON time_limit
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('time_limit', 'code');
CREATE CONSTRAINT TRIGGER calendar_year_audit AFTER INSERT OR UPDATE OR DELETE ON calendar_year
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('calendar_year', 'year');
CREATE CONSTRAINT TRIGGER calendar_day_audit AFTER INSERT OR UPDATE OR DELETE ON calendar_day
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('calendar_day', 'day');
CREATE CONSTRAINT TRIGGER app_user_audit AFTER INSERT OR UPDATE OR DELETE ON app_user
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION admin_audit('user', 'username');

-- A role, jurisdiction or activity change made anywhere (piccolo_admin
-- included) ends the user's tokens, as the API's PATCH does; a user who is
-- no longer an active admin loses the /admin screen at once.
CREATE FUNCTION app_user_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.role, OLD.active, OLD.jurisdiction, OLD.body_id) IS DISTINCT FROM
       (NEW.role, NEW.active, NEW.jurisdiction, NEW.body_id)
       AND NEW.token_version = OLD.token_version THEN
        NEW.token_version := OLD.token_version + 1;
    END IF;
    IF (NEW.role <> 'admin' OR NOT NEW.active) AND to_regclass('piccolo_user') IS NOT NULL THEN
        EXECUTE 'UPDATE piccolo_user SET active = false, admin = false WHERE username = $1 AND (active OR admin)'
            USING NEW.username;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER app_user_guard BEFORE UPDATE ON app_user FOR EACH ROW EXECUTE FUNCTION app_user_guard();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def create_schema():
        await execute_script(SQL)

    manager.add_raw(create_schema)
    return manager
