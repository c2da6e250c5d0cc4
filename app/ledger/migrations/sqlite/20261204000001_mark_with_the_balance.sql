-- The ledger marks each account with its newest transfer in the statement that moves its balance
-- (one write of the row per batch), so the trigger that marked it after every entry goes.
DROP TRIGGER transfers_mark_accounts;
