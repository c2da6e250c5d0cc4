-- The tree is fixed. Who may move credits to whom is decided from `parent_id` and `kind` (a grant
-- goes to a direct child, a top-up to a direct reseller), and every past transfer was checked
-- against them: an account that moved or changed kind would make the ledger's history lie.
CREATE TRIGGER accounts_tree_is_fixed BEFORE UPDATE OF parent_id, kind ON accounts
WHEN NEW.parent_id IS NOT OLD.parent_id OR NEW.kind IS NOT OLD.kind
BEGIN
    SELECT RAISE(ABORT, 'accounts never move or change kind');
END;

-- A request id has one answer: the transfer it made (kept in `transfers`) or the refusal it got
-- (kept here). A retry, on any server and however the balances have changed since, gets that first
-- answer, so no one is told "refused" for an id that moved credits, or the other way round.
CREATE TABLE refused_requests (
    actor_account_id BIGINT NOT NULL REFERENCES accounts (id),
    idempotency_key  TEXT   NOT NULL,
    -- What was asked, to tell a retry from a different request under the same id.
    kind             TEXT   NOT NULL CHECK (kind IN ('grant', 'revoke', 'top_up', 'usage')),
    from_account_id  BIGINT NOT NULL REFERENCES accounts (id),
    to_account_id    BIGINT NOT NULL REFERENCES accounts (id),
    amount           BIGINT NOT NULL,
    note             TEXT   NOT NULL,
    -- Why, in the words of the first answer: the balance that was short and the account named.
    reason           TEXT   NOT NULL CHECK (reason IN
                         ('not_enough_credits', 'sub_account_short', 'usage_short', 'suspended',
                          'own_account_suspended')),
    available        BIGINT,
    name             TEXT,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (actor_account_id, idempotency_key)
);
