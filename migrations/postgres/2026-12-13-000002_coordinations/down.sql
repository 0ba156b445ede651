DROP TABLE coordinations;
