//! The balance of a convention's subsidies (`GET /conventions/{id}/bilan`): for each employer
//! and each envelope with tariffs that funds it, what its posts were funded for, what their
//! contracts occupied, what was paid, what the occupation justifies, and the projected amount to
//! pay back (the *avoir*), as plain functions over plain types.
//!
//! The formula, in days so that every month counts for what it lasts:
//! - the **funding period** of an employer on an envelope starts on its first commitment's date
//!   and lasts its tariff's `duree_mois` (its last day is the day before the same date
//!   `duree_mois` months later); `jours_periode` is its length;
//! - **days funded**: its posts × `jours_periode` (in months: posts × `duree_mois`);
//! - **days occupied**: for each contract on one of its posts in the convention, the days of the
//!   period from its first day to its last (its rupture, else its planned end, else the period's
//!   end: a contract without end is projected to run the period out); in months: days occupied ×
//!   `duree_mois` ÷ `jours_periode`;
//! - **due**: the amount per post × days occupied ÷ `jours_periode`, to the cent (half up): the
//!   occupied months × the tariff's monthly rate;
//! - **avoir**: paid − due when positive, else 0.

use chrono::NaiveDate;

use super::calendar::add_months;
use super::ids::{EnveloppeId, StructureId};

/// A contract on one of an employer's posts: its first day and its last (none: open-ended or
/// not ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupation {
    /// First day.
    pub debut: NaiveDate,
    /// Last day in force, when known.
    pub fin: Option<NaiveDate>,
}

/// One line of a convention's balance: an employer on an envelope whose tariffs cover it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LigneBilan {
    /// The employer.
    pub structure_id: StructureId,
    /// The envelope.
    pub enveloppe_id: EnveloppeId,
    /// What it was computed from.
    pub financement: Financement,
    /// The balance.
    pub bilan: Bilan,
}

/// What the balance of one employer on one envelope is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Financement {
    /// Its posts in the convention.
    pub postes: i64,
    /// Its tariff's amount per post.
    pub montant_par_poste_centimes: i64,
    /// Its tariff's duration.
    pub duree_mois: i64,
    /// Its first commitment's date on the envelope: the period's first day.
    pub debut: NaiveDate,
    /// Paid to it on the envelope for this convention (payments not cancelled).
    pub verse_centimes: i64,
}

/// The balance of one employer on one envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bilan {
    /// The period's first day.
    pub debut: NaiveDate,
    /// The period's last day.
    pub fin: NaiveDate,
    /// Days in the period.
    pub jours_periode: i64,
    /// Posts × the tariff's duration.
    pub mois_finances: i64,
    /// Posts × the period's days.
    pub jours_finances: i64,
    /// Days of the period covered by a contract on one of its posts.
    pub jours_occupes: i64,
    /// Paid.
    pub verse_centimes: i64,
    /// What the occupied days justify.
    pub du_centimes: i64,
    /// Paid beyond what is due (never negative).
    pub avoir_centimes: i64,
}

impl Bilan {
    /// Months occupied: days occupied × the tariff's duration ÷ the period's days, in hundredths
    /// of a month (half up).
    pub fn centiemes_mois_occupes(&self) -> i64 {
        arrondi(
            i128::from(self.jours_occupes) * i128::from(self.mois_finances) * 100,
            i128::from(self.jours_finances),
        )
    }
}

/// `numerateur ÷ denominateur` to the unit, half up (both not negative; 0 when nothing divides).
fn arrondi(numerateur: i128, denominateur: i128) -> i64 {
    if denominateur <= 0 {
        return 0;
    }
    i64::try_from((2 * numerateur + denominateur) / (2 * denominateur)).unwrap_or(i64::MAX)
}

/// The balance of one employer on one envelope, from its funding and the contracts on its posts
/// (see the module for the formula).
pub fn bilan(financement: &Financement, contrats: &[Occupation]) -> Bilan {
    let debut = financement.debut;
    let mois = u32::try_from(financement.duree_mois.max(0)).unwrap_or(0);
    let fin_exclue = add_months(debut, mois).unwrap_or(debut);
    let fin = fin_exclue.pred_opt().unwrap_or(debut).max(debut);
    let jours_periode = (fin_exclue - debut).num_days().max(0);
    let jours_occupes: i64 = contrats
        .iter()
        .map(|contrat| {
            let premier = contrat.debut.max(debut);
            let dernier = contrat.fin.unwrap_or(fin).min(fin);
            if dernier < premier || jours_periode == 0 {
                0
            } else {
                (dernier - premier).num_days() + 1
            }
        })
        .sum();
    // Never more than the posts were funded for (contracts overlapping on one post would).
    let du_centimes = arrondi(
        i128::from(financement.montant_par_poste_centimes) * i128::from(jours_occupes),
        i128::from(jours_periode),
    )
    .min(
        financement
            .montant_par_poste_centimes
            .saturating_mul(financement.postes.max(0)),
    );
    Bilan {
        debut,
        fin,
        jours_periode,
        mois_finances: financement.postes.saturating_mul(financement.duree_mois),
        jours_finances: financement.postes.saturating_mul(jours_periode),
        jours_occupes,
        verse_centimes: financement.verse_centimes,
        du_centimes,
        avoir_centimes: (financement.verse_centimes - du_centimes).max(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const EURO: i64 = 100;

    /// One post at 50,000 € over 24 months from 2021-03-01 (730 days: 2021-03-01 to
    /// 2023-02-28), paid whole.
    fn un_poste() -> Financement {
        Financement {
            postes: 1,
            montant_par_poste_centimes: 50_000 * EURO,
            duree_mois: 24,
            debut: d("2021-03-01"),
            verse_centimes: 50_000 * EURO,
        }
    }

    #[test]
    fn a_post_held_the_whole_period_owes_nothing_back() {
        let b = bilan(
            &un_poste(),
            &[Occupation {
                debut: d("2021-03-01"),
                fin: None,
            }],
        );
        assert_eq!((b.debut, b.fin), (d("2021-03-01"), d("2023-02-28")));
        assert_eq!((b.jours_periode, b.jours_occupes), (730, 730));
        assert_eq!(b.du_centimes, 50_000 * EURO);
        assert_eq!(b.avoir_centimes, 0);
        assert_eq!(b.centiemes_mois_occupes(), 2400);
    }

    #[test]
    fn a_post_vacant_for_its_first_seven_months() {
        // Recruited 2021-10-01: 214 days vacant (March to September), 516 occupied.
        // Due: 50,000 € × 516 ÷ 730 = 35,342.465… → 35,342.47 €; paid back 14,657.53 €.
        let b = bilan(
            &un_poste(),
            &[Occupation {
                debut: d("2021-10-01"),
                fin: None,
            }],
        );
        assert_eq!(b.jours_occupes, 516);
        assert_eq!(b.du_centimes, 3_534_247);
        assert_eq!(b.avoir_centimes, 1_465_753);
        // 24 × 516 ÷ 730 = 16.96 months occupied.
        assert_eq!(b.centiemes_mois_occupes(), 1696);
    }

    #[test]
    fn a_rupture_in_the_third_month_then_the_post_filled_again() {
        // The first advisor leaves on 2021-05-14 (75 days: March 31 + April 30 + 14), the post
        // is filled again from 2021-09-01 to the end (546 days): 621 of 730 days.
        // Due: 50,000 € × 621 ÷ 730 = 42,534.246… → 42,534.25 €; paid back 7,465.75 €.
        let b = bilan(
            &un_poste(),
            &[
                Occupation {
                    debut: d("2021-03-01"),
                    fin: Some(d("2021-05-14")),
                },
                Occupation {
                    debut: d("2021-09-01"),
                    fin: None,
                },
            ],
        );
        assert_eq!(b.jours_occupes, 75 + 546);
        assert_eq!(b.du_centimes, 4_253_425);
        assert_eq!(b.avoir_centimes, 746_575);
    }

    #[test]
    fn a_fixed_term_contract_extended_counts_to_its_new_end() {
        // A CDD from 2021-03-01 to 2022-02-28 (365 days), extended to 2022-08-31 (549 days);
        // only half paid so far (25,000 €), which the 549 days justify: nothing to pay back.
        // Due: 50,000 € × 549 ÷ 730 = 37,602.739… → 37,602.74 €.
        let mut half = un_poste();
        half.verse_centimes = 25_000 * EURO;
        let prolonge = Occupation {
            debut: d("2021-03-01"),
            fin: Some(d("2022-08-31")),
        };
        let b = bilan(&half, &[prolonge]);
        assert_eq!(b.jours_occupes, 549);
        assert_eq!(b.du_centimes, 3_760_274);
        assert_eq!(b.avoir_centimes, 0);
        // Had it ended as first planned, paid whole: 365 days, 25,000 € due, 25,000 € back.
        let court = Occupation {
            debut: d("2021-03-01"),
            fin: Some(d("2022-02-28")),
        };
        let b = bilan(&un_poste(), &[court]);
        assert_eq!(b.jours_occupes, 365);
        assert_eq!(b.du_centimes, 25_000 * EURO);
        assert_eq!(b.avoir_centimes, 25_000 * EURO);
    }

    #[test]
    fn contracts_outside_the_period_count_only_their_days_inside() {
        let b = bilan(
            &un_poste(),
            &[
                Occupation {
                    debut: d("2020-01-01"),
                    fin: Some(d("2021-03-10")),
                },
                Occupation {
                    debut: d("2023-02-20"),
                    fin: Some(d("2024-01-01")),
                },
                Occupation {
                    debut: d("2024-01-01"),
                    fin: None,
                },
            ],
        );
        // 2021-03-01..10 (10 days) and 2023-02-20..28 (9 days).
        assert_eq!(b.jours_occupes, 19);
    }
}
