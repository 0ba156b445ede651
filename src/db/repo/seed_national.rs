//! The national seed's storage (`cnfs-api seed --scale national`, see [`crate::seed::national`]): what it
//! reads (the référentiel, what the database already holds) and its bulk writes, one function per
//! table, through [`bulk_insert!`](crate::bulk_insert) (`COPY` on PostgreSQL, multi-row
//! `INSERT`s on SQLite) inside the caller's write transaction.
//!
//! The rows are plain structs built by the generator, already checked against the domain's
//! rules; the migrations' `CHECK`s and foreign keys check them once more as they go in.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::date_text;
use crate::db::schema::{
    activites, communes, conseillers, conventions, conventions_numeros, departements, engagements,
    enveloppes, epci, epci_membres, lieux, structures,
};
use crate::db::{DbConn, WriteTx};
use crate::domain::activite::{Apport, Thematique, TypeLieu};
use crate::domain::bareme::Bareme;
use crate::domain::conseiller::{MotifSortie, TypeContrat};
use crate::domain::contrat::Contrat;
use crate::domain::convention::StatutConvention;
use crate::domain::lieu::{Itinerance, ModaliteAcces, Service};
use crate::domain::poste::Poste;
use crate::domain::referentiel::search_key;
use crate::domain::statistiques::SoldeStat;
use crate::domain::structure::TypeStructure;
use crate::{bulk_insert, upsert};

/// A current commune of the référentiel, as the seed uses it.
#[derive(Debug, Clone)]
pub struct CommuneSource {
    /// INSEE code.
    pub code_insee: String,
    /// Name.
    pub nom: String,
    /// Département.
    pub departement: String,
    /// Its SIREN, when the référentiel gives one.
    pub siren: Option<String>,
    /// Population (0 when unknown).
    pub population: i64,
    /// Its postcodes, in order (possibly none).
    pub codes_postaux: Vec<String>,
}

/// An EPCI or EPT of the référentiel with its member communes.
#[derive(Debug, Clone)]
pub struct EpciSource {
    /// SIREN.
    pub siren: String,
    /// Name.
    pub nom: String,
    /// Population (0 when unknown).
    pub population: i64,
    /// INSEE codes of its member communes, in order.
    pub membres: Vec<String>,
}

/// The référentiel as the seed reads it, every list in key order.
#[derive(Debug, Clone, Default)]
pub struct ReferentielSource {
    /// Every département: code and name.
    pub departements: Vec<(String, String)>,
    /// Every current commune.
    pub communes: Vec<CommuneSource>,
    /// Every EPCI and EPT.
    pub epci: Vec<EpciSource>,
}

/// Reads the référentiel (current communes only), in key order.
pub fn referentiel(conn: &mut DbConn) -> QueryResult<ReferentielSource> {
    let departements: Vec<(String, String)> = departements::table
        .select((departements::code, departements::nom))
        .order(departements::code)
        .load(conn)?;
    type CommuneRow = (String, String, String, Option<String>, Option<i64>);
    let rows: Vec<CommuneRow> = communes::table
        .filter(communes::actuelle.eq(true))
        .select((
            communes::code_insee,
            communes::nom,
            communes::departement,
            communes::siren,
            communes::population,
        ))
        .order(communes::code_insee)
        .load(conn)?;
    let mut postcodes = super::referentiel::codes_postaux_by_commune(conn, None)?;
    let communes = rows
        .into_iter()
        .map(
            |(code_insee, nom, departement, siren, population)| CommuneSource {
                codes_postaux: postcodes.remove(&code_insee).unwrap_or_default(),
                code_insee,
                nom,
                departement,
                siren,
                population: population.unwrap_or(0),
            },
        )
        .collect();
    let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let pairs: Vec<(String, String)> = epci_membres::table
        .select((epci_membres::epci_siren, epci_membres::code_insee))
        .order((epci_membres::epci_siren, epci_membres::code_insee))
        .load(conn)?;
    for (siren, code_insee) in pairs {
        members.entry(siren).or_default().push(code_insee);
    }
    let epci = epci::table
        .select((epci::siren, epci::nom, epci::population))
        .order(epci::siren)
        .load::<(String, String, Option<i64>)>(conn)?
        .into_iter()
        .map(|(siren, nom, population)| EpciSource {
            membres: members.remove(&siren).unwrap_or_default(),
            siren,
            nom,
            population: population.unwrap_or(0),
        })
        .collect();
    Ok(ReferentielSource {
        departements,
        communes,
        epci,
    })
}

/// What the database already holds of the programme, for the refusal without `--force` and for
/// adding to it without collisions.
#[derive(Debug, Clone, Default)]
pub struct Existant {
    /// Rows of each programme table that has some (table name, count), in a fixed order.
    pub tables: Vec<(&'static str, i64)>,
    /// The SIRETs already taken.
    pub sirets: HashSet<String>,
    /// The last convention number of each département.
    pub numeros: BTreeMap<String, i64>,
}

impl Existant {
    /// Whether any programme data is there.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The number of rows of `table` (0 when absent from [`Existant::tables`]).
    pub fn rows(&self, table: &str) -> i64 {
        self.tables
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// Reads what the database holds of the programme: the tables with rows (structures,
/// conventions, envelopes, commitments, lieux, advisors, activities), the SIRETs taken and the
/// convention numbers' counters.
pub fn existant(conn: &mut DbConn) -> QueryResult<Existant> {
    let counts = [
        (
            "structures",
            structures::table.count().get_result::<i64>(conn)?,
        ),
        (
            "conventions",
            conventions::table.count().get_result::<i64>(conn)?,
        ),
        (
            "enveloppes",
            enveloppes::table.count().get_result::<i64>(conn)?,
        ),
        (
            "engagements",
            engagements::table.count().get_result::<i64>(conn)?,
        ),
        ("lieux", lieux::table.count().get_result::<i64>(conn)?),
        (
            "conseillers",
            conseillers::table.count().get_result::<i64>(conn)?,
        ),
        (
            "activites",
            activites::table.count().get_result::<i64>(conn)?,
        ),
    ];
    let sirets = structures::table
        .select(structures::siret)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let numeros = conventions_numeros::table
        .select((
            conventions_numeros::departement,
            conventions_numeros::dernier,
        ))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(Existant {
        tables: counts.into_iter().filter(|(_, n)| *n > 0).collect(),
        sirets,
        numeros,
    })
}

/// A structure to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureSeed {
    /// Its id.
    pub id: String,
    /// Its SIRET (Luhn-valid).
    pub siret: String,
    /// Its name.
    pub nom: String,
    /// Its legal nature.
    pub type_structure: TypeStructure,
    /// Its seat.
    pub code_insee: String,
    /// The seat's département.
    pub departement: String,
    /// Creation time (RFC 3339, also its last change).
    pub cree_le: String,
}

/// Writes structures.
pub fn write_structures(tx: &mut WriteTx<'_>, rows: &[StructureSeed]) -> QueryResult<usize> {
    bulk_insert!(
        tx,
        structures(
            id,
            siret,
            siren,
            nom,
            nom_recherche,
            type_,
            code_insee,
            departement,
            version,
            cree_le,
            modifie_le
        ),
        rows,
        |s, out| {
            out.text(&s.id);
            out.text(&s.siret);
            out.text(&s.siret[..9]);
            out.text(&s.nom);
            out.text(&search_key(&s.nom));
            out.text(s.type_structure.as_str());
            out.text(&s.code_insee);
            out.text(&s.departement);
            out.int(1);
            out.text(&s.cree_le);
            out.text(&s.cree_le);
        }
    )
}

/// A convention to write, with its signatories and split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConventionSeed {
    /// Its id.
    pub id: String,
    /// Its number (`CNFS-93-2021-0001`).
    pub numero: String,
    /// Its département.
    pub departement: String,
    /// Its title.
    pub intitule: String,
    /// Posts granted.
    pub postes_attribues: i64,
    /// Posts held by active advisors.
    pub postes_pourvus: i64,
    /// Months given for the hosting project.
    pub delai_projet_mois: i64,
    /// Its status.
    pub statut: StatutConvention,
    /// Signed on.
    pub date_signature: Option<NaiveDate>,
    /// Deadline of the hosting project.
    pub date_limite_projet: Option<NaiveDate>,
    /// Project filed on.
    pub date_depot: Option<NaiveDate>,
    /// Lieux planned by the project.
    pub lieux_prevus: Option<i64>,
    /// Project validated on.
    pub date_validation: Option<NaiveDate>,
    /// Closed on.
    pub date_cloture: Option<NaiveDate>,
    /// Signatory structures' ids.
    pub signataires: Vec<String>,
    /// The split: host structure id and its posts (empty before a project is filed).
    pub repartition: Vec<(String, i64)>,
    /// Row version.
    pub version: i64,
    /// Created at.
    pub cree_le: String,
    /// Last changed at.
    pub modifie_le: String,
}

fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

/// Writes conventions, their signatories and splits (the tables and their JSON copies), and
/// sets each département's number counter to `numeros` (département, last number).
pub fn write_conventions(
    tx: &mut WriteTx<'_>,
    rows: &[ConventionSeed],
    numeros: &[(String, i64)],
) -> QueryResult<usize> {
    let date = |d: Option<NaiveDate>| d.map(date_text);
    let written = bulk_insert!(
        tx,
        conventions(
            id,
            numero,
            departement,
            intitule,
            postes_attribues,
            postes_pourvus,
            delai_projet_mois,
            statut,
            date_signature,
            date_limite_projet,
            date_depot,
            lieux_prevus,
            date_validation,
            date_cloture,
            date_resiliation,
            motif_resiliation,
            signataires,
            repartition,
            version,
            cree_le,
            modifie_le
        ),
        rows,
        |c, out| {
            out.text(&c.id);
            out.text(&c.numero);
            out.text(&c.departement);
            out.text(&c.intitule);
            out.int(c.postes_attribues);
            out.int(c.postes_pourvus);
            out.int(c.delai_projet_mois);
            out.text(c.statut.as_str());
            out.opt_text(date(c.date_signature).as_deref());
            out.opt_text(date(c.date_limite_projet).as_deref());
            out.opt_text(date(c.date_depot).as_deref());
            out.opt_int(c.lieux_prevus);
            out.opt_text(date(c.date_validation).as_deref());
            out.opt_text(date(c.date_cloture).as_deref());
            out.null();
            out.null();
            out.text(&json_text(&serde_json::json!(c.signataires)));
            let parts: Vec<serde_json::Value> = c
                .repartition
                .iter()
                .map(|(structure_id, postes)| {
                    serde_json::json!({"structure_id": structure_id, "postes": postes})
                })
                .collect();
            out.text(&json_text(&serde_json::Value::Array(parts)));
            out.int(c.version);
            out.text(&c.cree_le);
            out.text(&c.modifie_le);
        }
    )?;
    let signataires: Vec<(&str, &str)> = rows
        .iter()
        .flat_map(|c| c.signataires.iter().map(|s| (c.id.as_str(), s.as_str())))
        .collect();
    bulk_insert!(
        tx,
        conventions_signataires(convention_id, structure_id),
        &signataires,
        |(convention, structure), out| {
            out.text(convention);
            out.text(structure);
        }
    )?;
    let parts: Vec<(&str, &str, i64)> = rows
        .iter()
        .flat_map(|c| {
            c.repartition
                .iter()
                .map(|(s, postes)| (c.id.as_str(), s.as_str(), *postes))
        })
        .collect();
    bulk_insert!(
        tx,
        conventions_repartition(convention_id, structure_id, postes),
        &parts,
        |(convention, structure, postes), out| {
            out.text(convention);
            out.text(structure);
            out.int(*postes);
        }
    )?;
    for (departement, dernier) in numeros {
        let values = (
            conventions_numeros::departement.eq(departement),
            conventions_numeros::dernier.eq(dernier),
        );
        upsert!(
            tx,
            conventions_numeros::table,
            &values,
            conventions_numeros::departement,
            conventions_numeros::dernier.eq(diesel::upsert::excluded(conventions_numeros::dernier))
        )?;
    }
    Ok(written)
}

/// An envelope to write, with its running sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnveloppeSeed {
    /// Its id.
    pub id: String,
    /// Its label.
    pub libelle: String,
    /// The funder.
    pub financeur: String,
    /// Budget programme.
    pub programme_budgetaire: Option<String>,
    /// Nature (`postes_conseillers`…).
    pub nature: &'static str,
    /// Amount.
    pub montant_centimes: i64,
    /// Start of its period.
    pub date_debut: NaiveDate,
    /// End of its period.
    pub date_fin: NaiveDate,
    /// Target number of posts.
    pub objectif_postes: Option<i64>,
    /// Its tariffs.
    pub baremes: Vec<Bareme>,
    /// Engaged (live commitments).
    pub engage_centimes: i64,
    /// Paid.
    pub verse_centimes: i64,
    /// Created at.
    pub cree_le: String,
    /// Last changed at.
    pub modifie_le: String,
}

/// A commitment to write (live).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementSeed {
    /// Its id.
    pub id: String,
    /// The envelope.
    pub enveloppe_id: String,
    /// The convention.
    pub convention_id: String,
    /// The convention's département.
    pub departement: String,
    /// The employer it goes to.
    pub beneficiaire_id: String,
    /// Amount.
    pub montant_centimes: i64,
    /// Paid on it.
    pub verse_centimes: i64,
    /// Its date.
    pub date_engagement: NaiveDate,
    /// What it is for.
    pub objet: String,
    /// Created at.
    pub cree_le: String,
    /// Last changed at (its last payment).
    pub modifie_le: String,
}

/// A payment to write (made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersementSeed {
    /// Its id.
    pub id: String,
    /// The commitment.
    pub engagement_id: String,
    /// Amount.
    pub montant_centimes: i64,
    /// Its date.
    pub date_versement: NaiveDate,
    /// The payment order's reference.
    pub reference: String,
    /// Created at.
    pub cree_le: String,
}

/// The money of the seed: envelopes, their départements, commitments and payments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinancementSeed {
    /// Envelopes.
    pub enveloppes: Vec<EnveloppeSeed>,
    /// Ceilings and sums per département.
    pub plafonds: Vec<SoldeStat>,
    /// Commitments.
    pub engagements: Vec<EngagementSeed>,
    /// Payments.
    pub versements: Vec<VersementSeed>,
}

/// Writes envelopes, their départements' rows, commitments and payments; returns the rows
/// written.
pub fn write_financement(tx: &mut WriteTx<'_>, money: &FinancementSeed) -> QueryResult<usize> {
    let mut written = bulk_insert!(
        tx,
        enveloppes(
            id,
            libelle,
            financeur,
            programme_budgetaire,
            nature,
            montant_centimes,
            date_debut,
            date_fin,
            perimetre_departement,
            objectif_postes,
            engage_centimes,
            verse_centimes,
            version,
            cree_le,
            modifie_le
        ),
        &money.enveloppes,
        |e, out| {
            out.text(&e.id);
            out.text(&e.libelle);
            out.text(&e.financeur);
            out.opt_text(e.programme_budgetaire.as_deref());
            out.text(e.nature);
            out.int(e.montant_centimes);
            out.text(&date_text(e.date_debut));
            out.text(&date_text(e.date_fin));
            out.null();
            out.opt_int(e.objectif_postes);
            out.int(e.engage_centimes);
            out.int(e.verse_centimes);
            out.int(1);
            out.text(&e.cree_le);
            out.text(&e.modifie_le);
        }
    )?;
    let baremes: Vec<(&str, &Bareme, String)> = money
        .enveloppes
        .iter()
        .flat_map(|e| e.baremes.iter().map(move |b| (e.id.as_str(), b)))
        .map(|(id, b)| {
            serde_json::to_string(&b.tranches)
                .map(|tranches| (id, b, tranches))
                .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))
        })
        .collect::<QueryResult<_>>()?;
    written += bulk_insert!(
        tx,
        baremes(
            enveloppe_id,
            categorie,
            territoire_prioritaire,
            montant_par_poste_centimes,
            duree_mois,
            tranches
        ),
        &baremes,
        |(id, b, tranches): &(&str, &Bareme, String), out| {
            out.text(id);
            out.text(b.categorie.as_str());
            out.boolean(b.territoire_prioritaire);
            out.int(b.montant_par_poste_centimes);
            out.int(b.duree_mois);
            out.text(tranches);
        }
    )?;
    written += bulk_insert!(
        tx,
        enveloppes_departements(
            enveloppe_id,
            departement,
            plafond_centimes,
            engage_centimes,
            verse_centimes
        ),
        &money.plafonds,
        |p, out| {
            out.text(&p.enveloppe_id);
            out.text(&p.departement);
            out.opt_int(p.plafond_centimes);
            out.int(p.engage_centimes);
            out.int(p.verse_centimes);
        }
    )?;
    written += bulk_insert!(
        tx,
        engagements(
            id,
            enveloppe_id,
            convention_id,
            departement,
            montant_centimes,
            verse_centimes,
            date_engagement,
            objet,
            statut,
            date_annulation,
            motif_annulation,
            version,
            cree_le,
            modifie_le,
            beneficiaire_id
        ),
        &money.engagements,
        |e, out| {
            out.text(&e.id);
            out.text(&e.enveloppe_id);
            out.text(&e.convention_id);
            out.text(&e.departement);
            out.int(e.montant_centimes);
            out.int(e.verse_centimes);
            out.text(&date_text(e.date_engagement));
            out.text(&e.objet);
            out.text("actif");
            out.null();
            out.null();
            out.int(1);
            out.text(&e.cree_le);
            out.text(&e.modifie_le);
            out.text(&e.beneficiaire_id);
        }
    )?;
    written += bulk_insert!(
        tx,
        versements(
            id,
            engagement_id,
            montant_centimes,
            date_versement,
            reference,
            statut,
            date_annulation,
            motif_annulation,
            cree_le
        ),
        &money.versements,
        |v, out| {
            out.text(&v.id);
            out.text(&v.engagement_id);
            out.int(v.montant_centimes);
            out.text(&date_text(v.date_versement));
            out.text(&v.reference);
            out.text("effectue");
            out.null();
            out.null();
            out.text(&v.cree_le);
        }
    )?;
    Ok(written)
}

/// A lieu to write (fields of the lieux de médiation numérique standard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LieuSeed {
    /// Its id.
    pub id: String,
    /// The structure that runs it.
    pub structure_id: String,
    /// Its name.
    pub nom: String,
    /// Street address.
    pub adresse: String,
    /// Postcode (one of the commune's).
    pub code_postal: String,
    /// Commune.
    pub code_insee: String,
    /// The commune's département.
    pub departement: String,
    /// Opening hours.
    pub horaires: String,
    /// Fixed or itinerant.
    pub itinerance: Vec<Itinerance>,
    /// Services offered.
    pub services: Vec<Service>,
    /// How to come.
    pub modalites_acces: Vec<ModaliteAcces>,
    /// Created at (also its last change).
    pub cree_le: String,
}

/// A closed list as the JSON array of its texts.
fn texts_json<'a>(values: impl Iterator<Item = &'a str>) -> String {
    json_text(&serde_json::Value::Array(
        values.map(serde_json::Value::from).collect(),
    ))
}

/// Writes lieux.
pub fn write_lieux(tx: &mut WriteTx<'_>, rows: &[LieuSeed]) -> QueryResult<usize> {
    bulk_insert!(
        tx,
        lieux(
            id,
            structure_id,
            nom,
            adresse,
            code_postal,
            code_insee,
            departement,
            latitude,
            longitude,
            horaires,
            telephone,
            courriels,
            site_web,
            itinerance,
            services,
            modalites_acces,
            publics_specifiquement_adresses,
            version,
            cree_le,
            modifie_le
        ),
        rows,
        |l, out| {
            out.text(&l.id);
            out.text(&l.structure_id);
            out.text(&l.nom);
            out.text(&l.adresse);
            out.text(&l.code_postal);
            out.text(&l.code_insee);
            out.text(&l.departement);
            out.null();
            out.null();
            out.text(&l.horaires);
            out.null();
            out.text("[]");
            out.text("[]");
            out.text(&texts_json(l.itinerance.iter().map(|v| v.as_str())));
            out.text(&texts_json(l.services.iter().map(|v| v.as_str())));
            out.text(&texts_json(l.modalites_acces.iter().map(|v| v.as_str())));
            out.text("[]");
            out.int(1);
            out.text(&l.cree_le);
            out.text(&l.cree_le);
        }
    )
}

/// An advisor to write, with fictitious personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConseillerSeed {
    /// Its id.
    pub id: String,
    /// The convention whose post it holds.
    pub convention_id: String,
    /// The convention's département.
    pub departement: String,
    /// The employer (a host of the split).
    pub structure_id: String,
    /// Family name.
    pub nom: String,
    /// Given name.
    pub prenom: String,
    /// E-mail (`@example.org`).
    pub email: String,
    /// Commune of residence.
    pub commune_residence: String,
    /// Whether it lives in the convention's département.
    pub recrutement_local: bool,
    /// Contract.
    pub type_contrat: TypeContrat,
    /// In post when the seed is generated (else it left on `date_sortie`).
    pub actif: bool,
    /// Recruited on.
    pub date_recrutement: NaiveDate,
    /// Training started on.
    pub date_debut_formation: Option<NaiveDate>,
    /// Training organisation.
    pub organisme_formation: Option<String>,
    /// Certified on.
    pub date_certification: Option<NaiveDate>,
    /// Took up the post on.
    pub date_prise_poste: Option<NaiveDate>,
    /// Its lieu (from the post's start).
    pub lieu_id: Option<String>,
    /// Left on.
    pub date_sortie: Option<NaiveDate>,
    /// Why it left.
    pub motif_sortie: Option<MotifSortie>,
    /// Row version.
    pub version: i64,
    /// Created at.
    pub cree_le: String,
    /// Last changed at.
    pub modifie_le: String,
}

/// Writes advisors.
pub fn write_conseillers(tx: &mut WriteTx<'_>, rows: &[ConseillerSeed]) -> QueryResult<usize> {
    let date = |d: Option<NaiveDate>| d.map(date_text);
    bulk_insert!(
        tx,
        conseillers(
            id,
            convention_id,
            departement,
            structure_id,
            nom,
            prenom,
            email,
            commune_residence,
            anonymise_le,
            recrutement_local,
            type_contrat,
            date_recrutement,
            date_debut_formation,
            organisme_formation,
            date_certification,
            date_prise_poste,
            lieu_id,
            version,
            cree_le,
            modifie_le,
            fin_contrats
        ),
        rows,
        |c, out| {
            out.text(&c.id);
            out.text(&c.convention_id);
            out.text(&c.departement);
            out.text(&c.structure_id);
            out.text(&c.nom);
            out.text(&c.prenom);
            out.text(&c.email);
            out.text(&c.commune_residence);
            out.null();
            out.boolean(c.recrutement_local);
            out.text(c.type_contrat.as_str());
            out.text(&date_text(c.date_recrutement));
            out.opt_text(date(c.date_debut_formation).as_deref());
            out.opt_text(c.organisme_formation.as_deref());
            out.opt_text(date(c.date_certification).as_deref());
            out.opt_text(date(c.date_prise_poste).as_deref());
            out.opt_text(c.lieu_id.as_deref());
            out.int(c.version);
            out.text(&c.cree_le);
            out.text(&c.modifie_le);
            // its one contract ends on its exit (`Contrat::fin_par_sortie`'s last day)
            out.opt_text(date(c.date_sortie).as_deref());
        }
    )
}

/// Writes each advisor's lieu as its principal lieu (`conseillers_lieux`), as a prise de poste
/// through the use cases records it.
pub fn write_lieux_conseillers(
    tx: &mut WriteTx<'_>,
    rows: &[ConseillerSeed],
) -> QueryResult<usize> {
    let lieux: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.lieu_id.as_deref()?)))
        .collect();
    bulk_insert!(
        tx,
        conseillers_lieux(conseiller_id, lieu_id, principal),
        &lieux,
        |(conseiller, lieu), out| {
            out.text(conseiller);
            out.text(lieu);
            out.boolean(true);
        }
    )
}

/// A contract to write: built by the domain, its id set by the seed, with its row's times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContratSeed {
    /// The contract.
    pub contrat: Contrat,
    /// Created at (the recruitment).
    pub cree_le: String,
    /// Last changed at (its end, if it ended).
    pub modifie_le: String,
}

/// Writes contracts without their posts (the posts name their contracts: they come next, then
/// [`lier_contrats_postes`] fills the contracts' side).
pub fn write_contrats(tx: &mut WriteTx<'_>, rows: &[ContratSeed]) -> QueryResult<usize> {
    bulk_insert!(
        tx,
        contrats(
            id,
            conseiller_id,
            poste_id,
            structure_id,
            convention_id,
            departement,
            typologie,
            type_contrat,
            date_debut,
            date_fin,
            date_rupture,
            motif_rupture,
            commentaire_rupture,
            salaire_brut_mensuel_centimes,
            version,
            cree_le,
            modifie_le
        ),
        rows,
        |c, out| {
            let contrat = &c.contrat;
            let rupture = contrat.rupture.as_ref();
            out.text(contrat.id.as_str());
            out.text(contrat.conseiller_id.as_str());
            out.null();
            out.text(contrat.structure_id.as_str());
            out.text(contrat.convention_id.as_str());
            out.text(contrat.departement.as_str());
            out.text(contrat.typologie.as_str());
            out.text(contrat.type_contrat.as_str());
            out.text(&date_text(contrat.date_debut));
            out.opt_text(contrat.date_fin.map(date_text).as_deref());
            out.opt_text(rupture.map(|r| date_text(r.date)).as_deref());
            out.opt_text(rupture.map(|r| r.motif.as_str()));
            out.opt_text(rupture.and_then(|r| r.commentaire.as_deref()));
            out.null();
            out.int(contrat.version);
            out.text(&c.cree_le);
            out.text(&c.modifie_le);
        }
    )
}

/// Each contract written by [`write_contrats`] names the post that names it (one statement).
pub fn lier_contrats_postes(tx: &mut WriteTx<'_>) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE contrats SET poste_id = postes.id FROM postes WHERE postes.contrat_id = contrats.id",
    )
    .execute(tx.conn())
}

/// A post to write: built by the domain with its history
/// ([`postes_reconstitues`](crate::domain::poste::postes_reconstitues)), its id and version set by
/// the seed, with its row's times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosteSeed {
    /// The post and its history.
    pub poste: Poste,
    /// Created at (the validation).
    pub cree_le: String,
    /// Last changed at (its last event).
    pub modifie_le: String,
}

/// Writes posts and their history; returns the rows written (posts and history steps).
pub fn write_postes(tx: &mut WriteTx<'_>, rows: &[PosteSeed]) -> QueryResult<usize> {
    let written = bulk_insert!(
        tx,
        postes(
            id,
            convention_id,
            structure_id,
            departement,
            typologie,
            etat,
            depuis,
            conseiller_id,
            version,
            cree_le,
            modifie_le,
            contrat_id
        ),
        rows,
        |p, out| {
            let poste = &p.poste;
            out.text(poste.id.as_str());
            out.text(poste.convention_id.as_str());
            out.text(poste.structure_id.as_str());
            out.text(poste.departement.as_str());
            out.text(poste.typologie.as_str());
            out.text(poste.etat.as_str());
            out.text(&date_text(poste.depuis));
            out.opt_text(poste.conseiller_id.as_ref().map(|c| c.as_str()));
            out.int(poste.version);
            out.text(&p.cree_le);
            out.text(&p.modifie_le);
            out.opt_text(poste.contrat_id.as_ref().map(|c| c.as_str()));
        }
    )?;
    // Each step with its post and rank (from 1), in the history's order.
    let etapes: Vec<(&Poste, i64, &crate::domain::poste::EtapePoste)> = rows
        .iter()
        .flat_map(|p| {
            p.poste
                .historique
                .iter()
                .zip(1..)
                .map(|(etape, rang)| (&p.poste, rang, etape))
        })
        .collect();
    let steps = bulk_insert!(
        tx,
        postes_historique(
            poste_id,
            rang,
            date,
            evenement,
            etat,
            structure_id,
            conseiller_id
        ),
        &etapes,
        |(poste, rang, etape), out| {
            out.text(poste.id.as_str());
            out.int(*rang);
            out.text(&date_text(etape.date));
            out.text(etape.evenement.as_str());
            out.text(etape.etat.as_str());
            out.text(etape.structure_id.as_str());
            out.opt_text(etape.conseiller_id.as_ref().map(|c| c.as_str()));
        }
    )?;
    Ok(written + steps)
}

/// An advisor `en_poste` who declares activities, with what each of its activities copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarantSeed {
    /// The advisor.
    pub conseiller_id: String,
    /// Its employer.
    pub structure_id: String,
    /// Its département (the convention's).
    pub departement: String,
    /// Its lieu.
    pub lieu_id: String,
}

/// One activity, compact (a million of them stay within tens of megabytes): who, when, what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiviteSeed {
    /// Its id (a UUID v7 as a number; its time is the declaration time, `cree_le`).
    pub id: u128,
    /// Index of its advisor in the declarants.
    pub declarant: u32,
    /// Its date.
    pub date: NaiveDate,
    /// An individual session (else a workshop).
    pub individuel: bool,
    /// Duration in minutes.
    pub duree_minutes: u16,
    /// Participants.
    pub nb_participants: u8,
    /// Themes: bit `i` for [`Thematique::ALL`]`[i]`.
    pub thematiques: u16,
}

impl ActiviteSeed {
    /// What it adds to its département's day (see [`Apport`]).
    pub fn apport(&self) -> Apport {
        let mut par_thematique = [0; Thematique::ALL.len()];
        for (index, count) in par_thematique.iter_mut().enumerate() {
            *count = i64::from((self.thematiques >> index) & 1);
        }
        // The seed's activities all sit at a lieu (see `write_activites`).
        let mut par_type_lieu = [0; TypeLieu::ALL.len()];
        par_type_lieu[TypeLieu::LieuActivite.index()] = 1;
        Apport {
            nombre: 1,
            participants: i64::from(self.nb_participants),
            minutes: i64::from(self.duree_minutes),
            par_thematique,
            par_type_lieu,
        }
    }

    /// Its themes, in the order of [`Thematique::ALL`].
    pub fn themes(&self) -> impl Iterator<Item = Thematique> + '_ {
        Thematique::ALL
            .iter()
            .enumerate()
            .filter(|(index, _)| (self.thematiques >> index) & 1 == 1)
            .map(|(_, theme)| *theme)
    }

    /// The declaration time, from its id's timestamp (RFC 3339, microseconds, UTC).
    pub fn cree_le(&self) -> String {
        let millis = (self.id >> 80) as i64;
        let at = chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
        super::idempotency::stored_time(at)
    }
}

/// Writes activities (`declarants` gives each one's advisor, employer, département and lieu).
pub fn write_activites(
    tx: &mut WriteTx<'_>,
    rows: &[ActiviteSeed],
    declarants: &[DeclarantSeed],
) -> QueryResult<usize> {
    bulk_insert!(
        tx,
        activites(
            id,
            conseiller_id,
            structure_id,
            departement,
            lieu_id,
            date,
            type_,
            duree_minutes,
            nb_participants,
            thematiques,
            cree_le,
            supprime_le
        ),
        rows,
        |a, out| {
            let who = &declarants[a.declarant as usize];
            let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
            out.text(
                uuid::Uuid::from_u128(a.id)
                    .hyphenated()
                    .encode_lower(&mut id),
            );
            out.text(&who.conseiller_id);
            out.text(&who.structure_id);
            out.text(&who.departement);
            out.text(&who.lieu_id);
            out.text(&date_text(a.date));
            out.text(if a.individuel {
                "accompagnement_individuel"
            } else {
                "atelier_collectif"
            });
            out.int(i64::from(a.duree_minutes));
            out.int(i64::from(a.nb_participants));
            let mut themes = String::with_capacity(64);
            themes.push('[');
            for (index, theme) in a.themes().enumerate() {
                if index > 0 {
                    themes.push(',');
                }
                themes.push('"');
                themes.push_str(theme.as_str());
                themes.push('"');
            }
            themes.push(']');
            out.text(&themes);
            out.text(&a.cree_le());
            out.null();
        }
    )
}

/// The sums of one département over a period of the aggregates: a day (`YYYY-MM-DD`,
/// `activites_jour`) or a month (`YYYY-MM`, `activites_mois`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SommeSeed {
    /// The département.
    pub departement: String,
    /// The day or the month, as stored.
    pub periode: String,
    /// Its sums.
    pub apport: Apport,
}

/// Which aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agregat {
    /// Per département and day (`activites_jour`).
    Jour,
    /// Per département and month (`activites_mois`).
    Mois,
}

impl Agregat {
    fn table(self) -> &'static str {
        match self {
            Agregat::Jour => "activites_jour",
            Agregat::Mois => "activites_mois",
        }
    }

    fn period_column(self) -> &'static str {
        match self {
            Agregat::Jour => "jour",
            Agregat::Mois => "mois",
        }
    }
}

/// Writes the values of one aggregate row: département, period, then the sums in the order of
/// the columns ([`Apport::sommes`]).
fn sum_values(s: &SommeSeed, out: &mut dyn crate::db::bulk::Values) {
    out.text(&s.departement);
    out.text(&s.periode);
    for count in s.apport.sommes() {
        out.int(count);
    }
}

/// Writes aggregates that do not exist yet (a fresh seed; see [`add_sommes`] to add to existing
/// ones).
pub fn write_sommes(
    tx: &mut WriteTx<'_>,
    agregat: Agregat,
    rows: &[SommeSeed],
) -> QueryResult<usize> {
    /// One `bulk_insert!` of sums into an aggregate table keyed by `departement` and
    /// `$period`: the same columns, in the order `sum_values` writes them, for both tables.
    /// `insert_sommes!(tx, activites_jour, jour, rows)`.
    macro_rules! insert_sommes {
        ($tx:expr, $table:ident, $period:ident, $rows:expr) => {
            bulk_insert!(
                $tx,
                $table(
                    departement,
                    $period,
                    nombre,
                    participants,
                    minutes,
                    t_echanger_avec_ses_proches,
                    t_trouver_un_emploi,
                    t_accompagner_scolarite,
                    t_donnees_personnelles,
                    t_verifier_les_informations,
                    t_demarches_en_ligne,
                    t_prendre_en_main_un_equipement,
                    t_naviguer_sur_internet,
                    t_courriels,
                    t_securite_numerique,
                    t_sante,
                    t_budget,
                    t_autre,
                    l_lieu_activite,
                    l_domicile,
                    l_a_distance,
                    l_autre
                ),
                $rows,
                |s, out| sum_values(s, out)
            )
        };
    }
    match agregat {
        Agregat::Jour => insert_sommes!(tx, activites_jour, jour, rows),
        Agregat::Mois => insert_sommes!(tx, activites_mois, mois, rows),
    }
}

/// Adds aggregates to those already there (`--force` on a database with activities): writes
/// them to a temporary table, then adds them with one `INSERT … SELECT … ON CONFLICT DO UPDATE
/// SET x = x + excluded.x` (the same increments as an activity's write).
pub fn add_sommes(
    tx: &mut WriteTx<'_>,
    agregat: Agregat,
    rows: &[SommeSeed],
) -> QueryResult<usize> {
    use diesel::connection::SimpleConnection;
    let (table, period) = (agregat.table(), agregat.period_column());
    let sums: Vec<&str> = super::activite::colonnes_sommes().collect();
    let columns: Vec<&str> = ["departement", period]
        .into_iter()
        .chain(sums.iter().copied())
        .collect();
    let columns = columns.join(", ");
    tx.conn().batch_execute(&format!(
        "CREATE TEMPORARY TABLE echelle_sommes AS SELECT {columns} FROM {table} WHERE 1 = 0"
    ))?;
    let mut sql = String::new();
    for chunk in rows.chunks(crate::db::bulk::SQLITE_ROWS_PER_INSERT) {
        sql.clear();
        for (index, s) in chunk.iter().enumerate() {
            sql.push_str(if index == 0 { "(" } else { ",(" });
            let numbers: Vec<String> = s.apport.sommes().iter().map(i64::to_string).collect();
            sql.push_str(&format!(
                "'{}','{}',{})",
                s.departement,
                s.periode,
                numbers.join(",")
            ));
        }
        tx.conn().batch_execute(&format!(
            "INSERT INTO echelle_sommes ({columns}) VALUES {sql}"
        ))?;
    }
    let updates: Vec<String> = sums
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    // `WHERE 1 = 1`: SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.
    tx.conn().batch_execute(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM echelle_sommes WHERE 1 = 1 \
         ON CONFLICT (departement, {period}) DO UPDATE SET {}; DROP TABLE echelle_sommes;",
        updates.join(", ")
    ))?;
    Ok(rows.len())
}
