-- A statement that records many transfers (a group commit's batch) marks each account it touches
-- once, with its newest transfer, instead of once per transfer: a hot parent's row, and with it
-- every index of `accounts`, was written again for each entry of the batch.
DROP TRIGGER transfers_mark_accounts ON transfers;
CREATE OR REPLACE FUNCTION transfers_mark_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts SET last_transfer_id = marked.last_transfer_id
    FROM (
        SELECT account_id, MAX(id) AS last_transfer_id FROM (
            SELECT from_account_id AS account_id, id FROM recorded
            UNION ALL
            SELECT to_account_id, id FROM recorded
        ) touched GROUP BY account_id
    ) marked
    WHERE accounts.id = marked.account_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER transfers_mark_accounts AFTER INSERT ON transfers
    REFERENCING NEW TABLE AS recorded
    FOR EACH STATEMENT EXECUTE FUNCTION transfers_mark_accounts();
