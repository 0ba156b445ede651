-- Whether a host structure is in a priority territory (QPV or ZRR): its tariff depends on it.
-- Set by the préfecture of its département or an administrator; false until then.
ALTER TABLE structures ADD COLUMN territoire_prioritaire BOOLEAN NOT NULL DEFAULT FALSE
    CHECK (territoire_prioritaire IN (0, 1));
