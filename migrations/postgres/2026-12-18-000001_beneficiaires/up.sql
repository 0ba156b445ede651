-- Money per employer: a commitment goes to one employer of its convention (its beneficiary),
-- and a payment may name the instalment of the beneficiary's tariff it pays.
--
-- The column is filled, for the commitments already stored, by the application right after this
-- migration (`db::beneficiaires::repartir`): each convention-level commitment is split among the
-- convention's employers by largest remainders of their posts, its payments in date order by
-- what is left to pay to each. The next migration then makes it required.
ALTER TABLE engagements ADD COLUMN beneficiaire_id TEXT COLLATE "C" REFERENCES structures (id);
CREATE INDEX engagements_beneficiaire ON engagements (beneficiaire_id, id);

ALTER TABLE versements ADD COLUMN tranche BIGINT CHECK (tranche BETWEEN 1 AND 120);
-- An instalment is paid once per commitment: a cancelled payment frees it.
CREATE UNIQUE INDEX versements_tranche_unique ON versements (engagement_id, tranche)
    WHERE statut = 'effectue' AND tranche IS NOT NULL;
