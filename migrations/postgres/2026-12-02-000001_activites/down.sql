DELETE FROM journal WHERE ressource = 'activite';
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement', 'lieu',
                         'conseiller'));
DROP TABLE activites_mois;
DROP TABLE activites_jour;
DROP TABLE activites;
