DROP TABLE conseillers_lieux;
