-- A statement that moves many balances (a group commit's batch) changes each kept total once, by
-- the sum of its sub-accounts' changes, instead of once per sub-account: the totals of a hot
-- parent's customers were one row rewritten for every member of the batch. Each changed account
-- leaves its old group (kind, status) and joins its new one, which for a balance change is the same
-- group; groups are written in key order so that concurrent statements take their locks alike.
DROP TRIGGER accounts_totals_change ON accounts;
CREATE FUNCTION accounts_move_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sub_account_totals AS totals (parent_id, kind, status, accounts, credits)
    SELECT parent_id, kind, status, SUM(accounts), SUM(credits) FROM (
        SELECT after_update.parent_id, after_update.kind, after_update.status,
               1 AS accounts, after_update.balance AS credits
        FROM after_update JOIN before_update ON before_update.id = after_update.id
        WHERE after_update.parent_id IS NOT NULL
          AND (before_update.balance <> after_update.balance OR before_update.status <> after_update.status)
        UNION ALL
        SELECT before_update.parent_id, before_update.kind, before_update.status,
               -1, -before_update.balance
        FROM after_update JOIN before_update ON before_update.id = after_update.id
        WHERE before_update.parent_id IS NOT NULL
          AND (before_update.balance <> after_update.balance OR before_update.status <> after_update.status)
    ) changes
    GROUP BY parent_id, kind, status
    HAVING SUM(accounts) <> 0 OR SUM(credits) <> 0
    ORDER BY parent_id, kind, status
    ON CONFLICT (parent_id, kind, status)
    DO UPDATE SET accounts = totals.accounts + excluded.accounts, credits = totals.credits + excluded.credits;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_totals_change AFTER UPDATE ON accounts
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_move_totals();

-- What is left of the row trigger: an account opened joins its group.
CREATE OR REPLACE FUNCTION accounts_keep_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sub_account_totals AS totals (parent_id, kind, status, accounts, credits)
    VALUES (NEW.parent_id, NEW.kind, NEW.status, 1, NEW.balance)
    ON CONFLICT (parent_id, kind, status)
    DO UPDATE SET accounts = totals.accounts + 1, credits = totals.credits + excluded.credits;
    RETURN NULL;
END
$$;
