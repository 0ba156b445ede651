DROP INDEX conseillers_statistiques;
DROP INDEX conventions_statistiques;
