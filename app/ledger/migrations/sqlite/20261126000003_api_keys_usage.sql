-- API keys: software acting for one account (or, for operator keys, for the platform). Only a SHA-256
-- of the secret is kept, so the table alone cannot be used to call the API. A revoked key keeps its
-- row (who had which key, and when it stopped) but can never be used again.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    name         TEXT   NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    scopes       TEXT   NOT NULL CHECK (length(scopes) >= 1),
    secret_hash  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX api_keys_by_secret ON api_keys (secret_hash);
-- A name picks out one live key of an account (revoking by name, reading the ledger's actor names).
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (account_id, name) WHERE revoked_at IS NULL;

-- Usage debits: credits an account spent on messages go back to the platform as transfers of the
-- new kind 'usage'. SQLite cannot widen a CHECK in place, so the ledger moves into a table with the
-- wider check, row for row with the same ids; the immutability triggers and indexes are made again.
-- (DROP TABLE removes the old table's triggers before emptying it, so they do not fire.)
CREATE TABLE transfers_with_usage (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT   NOT NULL CHECK (kind IN ('grant', 'revoke', 'top_up', 'usage')),
    from_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    to_account_id      BIGINT NOT NULL REFERENCES accounts (id),
    amount             BIGINT NOT NULL CHECK (amount > 0),
    note               TEXT   NOT NULL CHECK (length(note) >= 1),
    actor_account_id   BIGINT NOT NULL REFERENCES accounts (id),
    actor              TEXT   NOT NULL,
    idempotency_key    TEXT   NOT NULL,
    from_balance_after BIGINT NOT NULL,
    to_balance_after   BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    CHECK (from_account_id <> to_account_id)
);
INSERT INTO transfers_with_usage SELECT id, kind, from_account_id, to_account_id, amount, note,
    actor_account_id, actor, idempotency_key, from_balance_after, to_balance_after, created_at
    FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_with_usage RENAME TO transfers;

CREATE UNIQUE INDEX transfers_idempotency ON transfers (actor_account_id, idempotency_key);
CREATE INDEX transfers_by_from ON transfers (from_account_id, id);
CREATE INDEX transfers_by_to ON transfers (to_account_id, id);
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable');
END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN
    SELECT RAISE(ABORT, 'transfers are immutable');
END;
