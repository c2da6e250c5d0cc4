-- Manage Customers and the transfers page at 100,000 sub-accounts and 1,000,000 transfers: every page
-- is read through an index, in an amount of work that does not grow with the size of the tables.

-- The name as the grid searches and sorts it: A-Z folded to a-z (lower() under the "C" collation folds
-- ASCII only, like SQLite's), every other character compared as stored, bytewise as on SQLite.
ALTER TABLE accounts ADD COLUMN name_key TEXT COLLATE "C"
    GENERATED ALWAYS AS (lower(name COLLATE "C")) STORED;
-- Logins (lowercase ASCII) compare bytewise too, so a prefix is one range of the index on both backends.
ALTER TABLE users ALTER COLUMN login TYPE TEXT COLLATE "C";

-- The newest transfer that moved this account's balance (kept by the trigger below). A page sorted
-- by balance carries the newest transfer id it has seen, and orders later pages by the balances as
-- of that transfer, so a row whose balance changes between pages is neither shown twice nor skipped.
ALTER TABLE accounts ADD COLUMN last_transfer_id BIGINT;
UPDATE accounts SET last_transfer_id = (
    SELECT MAX(t.id) FROM transfers t WHERE t.from_account_id = accounts.id OR t.to_account_id = accounts.id
);
CREATE FUNCTION transfers_mark_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET last_transfer_id = NEW.id WHERE id IN (NEW.from_account_id, NEW.to_account_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER transfers_mark_accounts AFTER INSERT ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_mark_accounts();

-- One page of a reseller's sub-accounts in each sort order, and the ones changed since a page was read.
CREATE INDEX accounts_children_by_name ON accounts (parent_id, name_key, id);
CREATE INDEX accounts_children_by_balance ON accounts (parent_id, balance, id);
CREATE INDEX accounts_children_by_created ON accounts (parent_id, created_at, id);
CREATE INDEX accounts_children_changed ON accounts (parent_id, last_transfer_id);
-- Suspended sub-accounts are few: filtering on them reads this small index, not every sub-account.
CREATE INDEX accounts_children_suspended ON accounts (parent_id, kind) WHERE status = 'suspended';

-- How many sub-accounts of each kind and status a parent has, and the credits they hold: the grid's
-- totals without counting 100,000 rows. Triggers keep it equal to the accounts table in the same
-- transaction as every change (`server verify` checks it). A transfer already holds the locks of both
-- accounts when it reaches a parent's row here, so this adds no lock-order cycle.
CREATE TABLE sub_account_totals (
    parent_id BIGINT NOT NULL REFERENCES accounts (id),
    kind      TEXT   NOT NULL,
    status    TEXT   NOT NULL,
    accounts  BIGINT NOT NULL,
    credits   BIGINT NOT NULL,
    PRIMARY KEY (parent_id, kind, status)
);
INSERT INTO sub_account_totals (parent_id, kind, status, accounts, credits)
SELECT parent_id, kind, status, COUNT(*), CAST(SUM(balance) AS BIGINT) FROM accounts
WHERE parent_id IS NOT NULL GROUP BY parent_id, kind, status;

CREATE FUNCTION accounts_keep_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status = NEW.status THEN
            UPDATE sub_account_totals SET credits = credits + NEW.balance - OLD.balance
            WHERE parent_id = NEW.parent_id AND kind = NEW.kind AND status = NEW.status;
            RETURN NULL;
        END IF;
        UPDATE sub_account_totals SET accounts = accounts - 1, credits = credits - OLD.balance
        WHERE parent_id = OLD.parent_id AND kind = OLD.kind AND status = OLD.status;
    END IF;
    INSERT INTO sub_account_totals AS totals (parent_id, kind, status, accounts, credits)
    VALUES (NEW.parent_id, NEW.kind, NEW.status, 1, NEW.balance)
    ON CONFLICT (parent_id, kind, status)
    DO UPDATE SET accounts = totals.accounts + 1, credits = totals.credits + excluded.credits;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_totals_open AFTER INSERT ON accounts
    FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION accounts_keep_totals();
CREATE TRIGGER accounts_totals_change AFTER UPDATE OF balance, status ON accounts
    FOR EACH ROW
    WHEN (NEW.parent_id IS NOT NULL AND (OLD.balance <> NEW.balance OR OLD.status <> NEW.status))
    EXECUTE FUNCTION accounts_keep_totals();

-- An account's transfers newest first within a time range, and those with one counterparty (either
-- direction is `from = x AND to = y`).
CREATE INDEX transfers_from_by_time ON transfers (from_account_id, created_at, id);
CREATE INDEX transfers_to_by_time ON transfers (to_account_id, created_at, id);
CREATE INDEX transfers_between ON transfers (from_account_id, to_account_id, created_at, id);
