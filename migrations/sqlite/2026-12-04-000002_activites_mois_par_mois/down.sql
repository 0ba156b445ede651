DROP INDEX activites_mois_par_mois;
