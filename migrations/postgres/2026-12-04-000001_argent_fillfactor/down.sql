ALTER TABLE enveloppes RESET (fillfactor);
ALTER TABLE enveloppes_departements RESET (fillfactor);
