-- The ledger marks each account with its newest transfer in the statement that moves its balance.
-- The trigger wrote every touched row a second time after the entries: on PostgreSQL a second new
-- version of a hot reseller's row per batch, in all eight indexes of `accounts`, and twice the dead
-- versions that every read of the table steps over until vacuum removes them.
DROP TRIGGER transfers_mark_accounts ON transfers;
DROP FUNCTION transfers_mark_accounts();
