-- An account's history, in time order, is read as the merge of its per-type ranges
-- (`transfers_from_by_kind`, `transfers_to_by_kind`): a page still reads a page of rows, and every
-- movement writes two index entries fewer, each on a page of its own when receivers are spread.
DROP INDEX transfers_from_by_time;
DROP INDEX transfers_to_by_time;
