DELETE FROM journal WHERE ressource IN ('lieu', 'conseiller');
ALTER TABLE journal DROP CONSTRAINT journal_ressource_check;
ALTER TABLE journal ADD CONSTRAINT journal_ressource_check
    CHECK (ressource IN ('structure', 'convention', 'enveloppe', 'engagement', 'versement'));
DROP TABLE conseillers;
DROP TABLE lieux;
