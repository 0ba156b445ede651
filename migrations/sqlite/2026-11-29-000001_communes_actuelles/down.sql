ALTER TABLE communes DROP COLUMN actuelle;
