-- Reads that measured over 20 ms at 100,000 sub-accounts and 1,000,000 transfers.

-- A transfers page filtered by type reads, on each side of the account, the range of that type
-- within the dates: with the time indexes alone, a type one side never holds (grants to a direct
-- reseller) meant testing every transfer on that side, 300,000 rows for an empty answer.
CREATE INDEX transfers_from_by_kind ON transfers (from_account_id, kind, created_at, id);
CREATE INDEX transfers_to_by_kind ON transfers (to_account_id, kind, created_at, id);
