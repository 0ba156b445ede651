-- Back to one amount per post: the public, non-priority tariff's.
ALTER TABLE enveloppes ADD COLUMN montant_par_poste_centimes BIGINT
    CHECK (montant_par_poste_centimes BETWEEN 1 AND 1000000000000000);
UPDATE enveloppes SET montant_par_poste_centimes = (
    SELECT b.montant_par_poste_centimes FROM baremes b
    WHERE b.enveloppe_id = enveloppes.id AND b.categorie = 'public'
      AND NOT b.territoire_prioritaire);
DROP TABLE baremes;
