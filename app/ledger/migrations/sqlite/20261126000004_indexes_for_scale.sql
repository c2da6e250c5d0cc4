-- Manage Customers and the transfers page at 100,000 sub-accounts and 1,000,000 transfers: every page
-- is read through an index, in an amount of work that does not grow with the size of the tables.

-- The name as the grid searches and sorts it: A-Z folded to a-z, every other character compared as
-- stored (the same rule on PostgreSQL, where the column is compared bytewise too).
ALTER TABLE accounts ADD COLUMN name_key TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL;

-- The newest transfer that moved this account's balance (kept by the trigger below). A page sorted
-- by balance carries the newest transfer id it has seen, and orders later pages by the balances as
-- of that transfer, so a row whose balance changes between pages is neither shown twice nor skipped.
ALTER TABLE accounts ADD COLUMN last_transfer_id BIGINT;
UPDATE accounts SET last_transfer_id = (
    SELECT MAX(t.id) FROM transfers t WHERE t.from_account_id = accounts.id OR t.to_account_id = accounts.id
);
CREATE TRIGGER transfers_mark_accounts AFTER INSERT ON transfers
BEGIN
    UPDATE accounts SET last_transfer_id = NEW.id WHERE id IN (NEW.from_account_id, NEW.to_account_id);
END;

-- One page of a reseller's sub-accounts in each sort order, and the ones changed since a page was read.
CREATE INDEX accounts_children_by_name ON accounts (parent_id, name_key, id);
CREATE INDEX accounts_children_by_balance ON accounts (parent_id, balance, id);
CREATE INDEX accounts_children_by_created ON accounts (parent_id, created_at, id);
CREATE INDEX accounts_children_changed ON accounts (parent_id, last_transfer_id);
-- Suspended sub-accounts are few: filtering on them reads this small index, not every sub-account.
CREATE INDEX accounts_children_suspended ON accounts (parent_id, kind) WHERE status = 'suspended';

-- How many sub-accounts of each kind and status a parent has, and the credits they hold: the grid's
-- totals without counting 100,000 rows. Triggers keep it equal to the accounts table in the same
-- transaction as every change (`server verify` checks it).
CREATE TABLE sub_account_totals (
    parent_id BIGINT NOT NULL REFERENCES accounts (id),
    kind      TEXT   NOT NULL,
    status    TEXT   NOT NULL,
    accounts  BIGINT NOT NULL,
    credits   BIGINT NOT NULL,
    PRIMARY KEY (parent_id, kind, status)
);
INSERT INTO sub_account_totals (parent_id, kind, status, accounts, credits)
SELECT parent_id, kind, status, COUNT(*), SUM(balance) FROM accounts WHERE parent_id IS NOT NULL
GROUP BY parent_id, kind, status;

CREATE TRIGGER accounts_totals_open AFTER INSERT ON accounts WHEN NEW.parent_id IS NOT NULL
BEGIN
    INSERT INTO sub_account_totals (parent_id, kind, status, accounts, credits)
    VALUES (NEW.parent_id, NEW.kind, NEW.status, 1, NEW.balance)
    ON CONFLICT (parent_id, kind, status)
    DO UPDATE SET accounts = accounts + 1, credits = credits + excluded.credits;
END;
CREATE TRIGGER accounts_totals_balance AFTER UPDATE OF balance ON accounts
WHEN NEW.parent_id IS NOT NULL AND OLD.status = NEW.status AND OLD.balance <> NEW.balance
BEGIN
    UPDATE sub_account_totals SET credits = credits + NEW.balance - OLD.balance
    WHERE parent_id = NEW.parent_id AND kind = NEW.kind AND status = NEW.status;
END;
CREATE TRIGGER accounts_totals_status AFTER UPDATE OF status ON accounts
WHEN NEW.parent_id IS NOT NULL AND OLD.status <> NEW.status
BEGIN
    UPDATE sub_account_totals SET accounts = accounts - 1, credits = credits - OLD.balance
    WHERE parent_id = OLD.parent_id AND kind = OLD.kind AND status = OLD.status;
    INSERT INTO sub_account_totals (parent_id, kind, status, accounts, credits)
    VALUES (NEW.parent_id, NEW.kind, NEW.status, 1, NEW.balance)
    ON CONFLICT (parent_id, kind, status)
    DO UPDATE SET accounts = accounts + 1, credits = credits + excluded.credits;
END;

-- An account's transfers newest first within a time range, and those with one counterparty (either
-- direction is `from = x AND to = y`).
CREATE INDEX transfers_from_by_time ON transfers (from_account_id, created_at, id);
CREATE INDEX transfers_to_by_time ON transfers (to_account_id, created_at, id);
CREATE INDEX transfers_between ON transfers (from_account_id, to_account_id, created_at, id);
