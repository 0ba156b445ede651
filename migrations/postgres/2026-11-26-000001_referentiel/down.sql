DROP TABLE referentiel_chargements;
DROP TABLE epci_membres;
DROP TABLE epci;
DROP TABLE communes_codes_postaux;
DROP TABLE communes;
DROP TABLE departements;
DROP TABLE regions;
