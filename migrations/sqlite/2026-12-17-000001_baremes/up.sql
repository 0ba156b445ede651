-- Tariffs (barèmes): what an envelope pays per post, by employer category and priority
-- territory (QPV/ZRR), over how many months, in which instalments. At most one per pair.
-- `tranches` is the schedule as JSON: [{"rang", "montant_centimes", "mois_apres_debut"}], checked
-- by the application (ranks 1..n, within the duration, in time order, adding up to the amount).
CREATE TABLE baremes (
    enveloppe_id               TEXT NOT NULL REFERENCES enveloppes (id),
    categorie                  TEXT NOT NULL CHECK (categorie IN ('public', 'prive')),
    territoire_prioritaire     BOOLEAN NOT NULL CHECK (territoire_prioritaire IN (0, 1)),
    montant_par_poste_centimes BIGINT NOT NULL
                               CHECK (montant_par_poste_centimes BETWEEN 1 AND 1000000000000000),
    duree_mois                 BIGINT NOT NULL CHECK (duree_mois BETWEEN 1 AND 120),
    tranches                   TEXT NOT NULL CHECK (json_valid(tranches) AND tranches LIKE '[%]'),
    PRIMARY KEY (enveloppe_id, categorie, territoire_prioritaire)
);

-- The single amount per post of each envelope becomes the same tariff for every pair, paid at
-- once at the start, over 24 months (the first phase's funding period of a public employer).
INSERT INTO baremes (enveloppe_id, categorie, territoire_prioritaire, montant_par_poste_centimes,
                     duree_mois, tranches)
SELECT e.id, p.categorie, p.territoire_prioritaire, e.montant_par_poste_centimes, 24,
       '[{"rang":1,"montant_centimes":' || CAST(e.montant_par_poste_centimes AS TEXT)
           || ',"mois_apres_debut":0}]'
FROM enveloppes e
CROSS JOIN (SELECT 'public' AS categorie, 0 AS territoire_prioritaire
            UNION ALL SELECT 'public', 1
            UNION ALL SELECT 'prive', 0
            UNION ALL SELECT 'prive', 1) AS p
WHERE e.montant_par_poste_centimes IS NOT NULL;

ALTER TABLE enveloppes DROP COLUMN montant_par_poste_centimes;
