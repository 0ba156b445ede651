-- Every commitment and payment updates its envelope's row and its département's row; under load
-- each row gets hundreds of new versions a second. PostgreSQL prunes a page's dead versions only
-- when the page is nearly full, so with the default fill factor (100) a page of envelopes held
-- long chains of dead versions, each walked (and its multixact read) by every read, foreign-key
-- check and update of the row: 7 % of the machine in `GetMultiXactIdMembers` and
-- `heap_hot_search_buffer` under bench/load.sh's commitments. A fill factor of 10 keeps 90 % of
-- each page free, so the next access prunes: commitments 640 -> 713 /s (docs/PERFORMANCE.md).
-- Both tables are small (an envelope, or an envelope and a département, per row). SQLite keeps
-- no dead versions in its pages: nothing to do there.
ALTER TABLE enveloppes SET (fillfactor = 10);
ALTER TABLE enveloppes_departements SET (fillfactor = 10);
