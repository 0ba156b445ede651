-- The beneficiary stays filled; only its NOT NULL would go, which SQLite drops by rebuilding the
-- table again: the previous migration's down removes the column altogether.
SELECT 1;
