-- Accounts form one tree. The platform issues every credit and is the only account without a parent;
-- it is also the only one allowed below zero, because its balance is minus all credits in circulation.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    parent_id  BIGINT REFERENCES accounts (id),
    kind       TEXT   NOT NULL CHECK (kind IN ('platform', 'direct_reseller', 'reseller', 'customer')),
    name       TEXT   NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    balance    BIGINT NOT NULL DEFAULT 0,
    status     TEXT   NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at BIGINT NOT NULL,
    CHECK (balance >= 0 OR kind = 'platform'),
    CHECK ((parent_id IS NULL) = (kind = 'platform'))
);
CREATE UNIQUE INDEX accounts_one_platform ON accounts (kind) WHERE kind = 'platform';
CREATE INDEX accounts_by_parent ON accounts (parent_id, name);

INSERT INTO accounts (kind, name, created_at) VALUES ('platform', 'Platform', 0);

-- The ledger: one row per movement, never updated or deleted. Every balance equals credits in minus
-- credits out here, and the balances after the move are kept so that a retry can return the first result.
CREATE TABLE transfers (
    id                 INTEGER PRIMARY KEY,
    kind               TEXT   NOT NULL CHECK (kind IN ('grant', 'revoke', 'top_up')),
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
-- The arbiter of "the same request twice moves credits once": keys are scoped to the acting account,
-- so one account's key can never reveal or replay another's transfer.
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
