-- Low-balance alerts, auto-replenish and signed webhooks (issue 12).

-- The rules watching an account's balance sit on the account itself, so that the debit that moves
-- the balance reads them in the same statement. `alert_below`: warn when the balance falls below it.
-- `replenish_below` / `replenish_to`: the parent tops the account up to `replenish_to` when a
-- movement takes it below `replenish_below`.
ALTER TABLE accounts ADD COLUMN alert_below BIGINT CHECK (alert_below IS NULL OR alert_below > 0);
ALTER TABLE accounts ADD COLUMN replenish_below BIGINT;
ALTER TABLE accounts ADD COLUMN replenish_to BIGINT CHECK (
    (replenish_below IS NULL) = (replenish_to IS NULL)
    AND (replenish_to IS NULL OR (replenish_below > 0 AND replenish_to > replenish_below))
);
-- The newest alert this account has seen in its alerts list: newer ones are unread.
ALTER TABLE accounts ADD COLUMN alerts_read_up_to BIGINT NOT NULL DEFAULT 0;

-- An alert is written in the transaction of the movement that caused it: nothing is announced that
-- did not commit, nothing that committed is lost. `low_balance` is shown to the account and to its
-- parent; `auto_replenish_failed` to the parent only, which lacked the credits.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT   NOT NULL CHECK (kind IN ('low_balance', 'auto_replenish_failed')),
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    parent_id   BIGINT NOT NULL REFERENCES accounts (id),
    balance     BIGINT NOT NULL,
    threshold   BIGINT NOT NULL,
    transfer_id BIGINT NOT NULL REFERENCES transfers (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX alerts_by_account ON alerts (account_id, id);
CREATE INDEX alerts_by_parent ON alerts (parent_id, id);

-- One webhook per account. The secret signs every delivery, so it is kept as issued.
CREATE TABLE webhooks (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    url        TEXT   NOT NULL,
    secret     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- The outbox: one row per event and receiving webhook, written with the movement that caused it.
-- Workers on every server claim due rows, post them, and record each attempt; the body is fixed at
-- write time, so every attempt sends the same bytes with the same event id.
CREATE TABLE webhook_deliveries (
    id                 INTEGER PRIMARY KEY,
    account_id         BIGINT NOT NULL REFERENCES accounts (id),
    event_id           TEXT   NOT NULL,
    event_type         TEXT   NOT NULL,
    body               TEXT   NOT NULL,
    status             TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    give_up_at         BIGINT NOT NULL,
    last_response_code BIGINT,
    last_error         TEXT,
    created_at         BIGINT NOT NULL,
    UNIQUE (account_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_account ON webhook_deliveries (account_id, id);

CREATE TABLE webhook_attempts (
    id            INTEGER PRIMARY KEY,
    delivery_id   BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at  BIGINT NOT NULL,
    response_code BIGINT,
    error         TEXT,
    duration_ms   BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
