DROP TABLE certifications;
DROP TABLE formations;
