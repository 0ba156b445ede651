ALTER TABLE structures DROP COLUMN territoire_prioritaire;
