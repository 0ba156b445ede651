DELETE FROM journal WHERE ressource = 'contrat';
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement', 'lieu',
                         'conseiller', 'activite', 'poste'));
ALTER TABLE postes DROP CONSTRAINT postes_occupe_contrat;
ALTER TABLE postes DROP COLUMN contrat_id;
DROP TABLE contrats;
