DELETE FROM journal WHERE ressource = 'poste';
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement', 'lieu',
                         'conseiller', 'activite'));
DROP TABLE postes_historique;
DROP TABLE postes;
ALTER TABLE conventions_repartition DROP COLUMN postes_coordinateur;
