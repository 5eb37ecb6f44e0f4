"""Documents: attachments, notices generated from templates, their service.

- ``attachment``: a file on a case, optionally on one of its proceedings or
  records. The bytes are in the store (a folder or S3, docs/documents.md);
  here are its metadata and SHA-256, written in the transaction of the case
  event. A withdrawn file stays stored and listed, marked withdrawn with
  who, when and why.
- ``stored_object_pending``: an object an upload is writing. The row
  commits before the first byte is written and is deleted in the
  transaction that commits the attachment, so an object whose upload never
  committed is always named here; the sweep deletes such objects once
  they are older than the grace period, and only while holding the row.
- ``notice_template``: a body's replacement of a shipped template; each
  upload is a new version, the older ones stay.
- ``document_numbering``: a body's own numbering (abbreviation, pattern,
  type words), over the shipped defaults; ``document_counter``: the gapless
  sequence per body, type word and year, taken row-locked in the
  transaction that stores the document.
- ``notice``: the generated document (attachment), its number and the
  template version it was made from.
- ``notice_service_attempt``: tries at service that did not (yet) serve,
  each with its proof; ``notice_service.proof_attachment_id``: the signed
  receipt or the postal return.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from casework.db import execute_script

ID = "2026-11-28T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "documents: attachments, notice templates and numbers, service attempts and proof"

SQL = r"""
CREATE TABLE attachment (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES case_file(id) ON DELETE RESTRICT,
    proceeding_id   bigint REFERENCES proceeding(id) ON DELETE RESTRICT,
    record_kind     text CHECK (record_kind IN ('session', 'agreement', 'judicial_confirmation',
                                                'reconsideration_decision', 'lawsuit', 'arbitration', 'legal_aid')),
    record_id       bigint,
    purpose         text NOT NULL DEFAULT 'document'
                    CHECK (purpose IN ('document', 'notice_document', 'service_proof')),
    storage_key     text NOT NULL UNIQUE,
    filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type    text NOT NULL,
    extension       text NOT NULL,
    size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    personal_data   boolean NOT NULL DEFAULT false,
    uploaded_by     integer REFERENCES app_user(id) ON DELETE RESTRICT,
    uploaded_at     timestamptz NOT NULL DEFAULT casework_now(),
    withdrawn_at    timestamptz,
    withdrawn_by    integer REFERENCES app_user(id) ON DELETE RESTRICT,
    withdrawn_reason text,
    CHECK ((record_kind IS NULL) = (record_id IS NULL)),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL))
);
CREATE INDEX attachment_case_idx ON attachment (case_id, id);

-- Real time (now()), not casework_now(): the grace period is about uploads
-- still streaming, which tests' travelling clock must not age.
CREATE TABLE stored_object_pending (
    storage_key text PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notice_template (
    id          bigserial PRIMARY KEY,
    body_id     integer NOT NULL REFERENCES body(id) ON DELETE RESTRICT,
    kind        text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    storage_key text NOT NULL UNIQUE,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
    note        text NOT NULL DEFAULT '',
    uploaded_by integer REFERENCES app_user(id) ON DELETE RESTRICT,
    uploaded_at timestamptz NOT NULL DEFAULT casework_now(),
    UNIQUE (body_id, kind, version)
);

CREATE TABLE document_numbering (
    body_id      integer PRIMARY KEY REFERENCES body(id) ON DELETE RESTRICT,
    abbreviation text NOT NULL CHECK (length(abbreviation) BETWEEN 1 AND 20),
    pattern      text NOT NULL CHECK (position('{seq}' IN pattern) > 0),
    type_words   jsonb NOT NULL DEFAULT '{}',
    updated_by   integer REFERENCES app_user(id) ON DELETE RESTRICT,
    updated_at   timestamptz NOT NULL DEFAULT casework_now()
);

CREATE TABLE document_counter (
    body_id   integer NOT NULL REFERENCES body(id) ON DELETE RESTRICT,
    type_word text NOT NULL,
    year      integer NOT NULL,
    last_seq  integer NOT NULL CHECK (last_seq >= 1),
    PRIMARY KEY (body_id, type_word, year)
);

ALTER TABLE notice
    ADD COLUMN document_number text,
    ADD COLUMN document_attachment_id bigint REFERENCES attachment(id) ON DELETE RESTRICT,
    ADD COLUMN template_version integer,
    ADD COLUMN template_sha256 text;

CREATE TABLE notice_service_attempt (
    id                  bigserial PRIMARY KEY,
    notice_id           bigint NOT NULL REFERENCES notice(id) ON DELETE RESTRICT,
    method              text NOT NULL CHECK (method IN ('in_person', 'post', 'electronic', 'public_notice')),
    attempted_on        date NOT NULL,
    result              text NOT NULL CHECK (result IN ('posted', 'not_found', 'refused', 'returned',
                                                        'address_unknown', 'no_consent')),
    posted_on           date,
    tracking_number     text,
    note                text NOT NULL DEFAULT '',
    proof_attachment_id bigint REFERENCES attachment(id) ON DELETE RESTRICT,
    recorded_by         integer REFERENCES app_user(id) ON DELETE RESTRICT,
    recorded_at         timestamptz NOT NULL DEFAULT casework_now(),
    CHECK (method <> 'post' OR result <> 'posted' OR posted_on IS NOT NULL)
);
CREATE INDEX notice_service_attempt_notice_idx ON notice_service_attempt (notice_id, id);

ALTER TABLE notice_service ADD COLUMN proof_attachment_id bigint REFERENCES attachment(id) ON DELETE RESTRICT;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="casework", description=DESCRIPTION)

    async def run():
        await execute_script(SQL)

    manager.add_raw(run)
    return manager
