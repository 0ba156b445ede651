//! The seed's deterministic randomness: SplitMix64 streams and UUID v7-shaped identifiers.
//!
//! Every part of the dataset draws from its own stream ([`Alea::flux`]: the graine and a name),
//! so that changing the number of activities changes no structure, and adding a département's
//! rows changes no other département's. No `rand` crate: SplitMix64 is ten lines, fast, and its
//! output is the same on every platform.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

/// A SplitMix64 generator (Steele, Lea and Flood, 2014): a 64-bit counter through a mixing
/// function. Plenty for test data; not for anything secret.
#[derive(Debug, Clone)]
pub struct Alea {
    state: u64,
}

/// The 64-bit FNV-1a hash of a name (stream names, seats…).
pub fn hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl Alea {
    /// The stream `name` of `graine`.
    pub fn flux(graine: u64, name: &str) -> Alea {
        let mut alea = Alea {
            state: graine ^ hash(name).rotate_left(17),
        };
        alea.next_u64();
        alea
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0; multiply-shift, bias below 2⁻³²).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        debug_assert!(low <= high);
        low + self.below((high - low) as u64 + 1) as i64
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given weights (not all zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut draw = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            if draw < *weight {
                return index;
            }
            draw -= weight;
        }
        weights.len() - 1
    }

    /// A UUID v7 as a number: the 48-bit millisecond timestamp `millis`, version 7, variant
    /// RFC 4122, 74 random bits from this stream.
    pub fn uuid_v7(&mut self, millis: i64) -> u128 {
        let random = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        let time = (millis.max(0) as u128) & 0xffff_ffff_ffff;
        let rand_a = (random >> 64) & 0xfff;
        let rand_b = random & ((1u128 << 62) - 1);
        (time << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    }

    /// A UUID v7 as stored (lower-case hyphenated text) whose time is `at`.
    pub fn id(&mut self, at: DateTime<Utc>) -> String {
        uuid_text(self.uuid_v7(at.timestamp_millis()))
    }
}

/// A UUID number as stored: lower-case hyphenated text.
pub fn uuid_text(value: u128) -> String {
    uuid::Uuid::from_u128(value).hyphenated().to_string()
}

/// The instant `seconds` after midnight UTC of `date`.
pub fn instant(date: NaiveDate, seconds: u32) -> DateTime<Utc> {
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399), 0).unwrap_or_default();
    date.and_time(time).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..5).map(|_| Alea::flux(7, "x").next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = Alea::flux(7, "x");
        let mut y = Alea::flux(7, "y");
        let mut z = Alea::flux(8, "x");
        let (x, y, z) = (x.next_u64(), y.next_u64(), z.next_u64());
        assert!(x != y && x != z && y != z);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut alea = Alea::flux(1, "ranges");
        let mut seen = [false; 5];
        for _ in 0..10_000 {
            let n = alea.between(3, 7);
            assert!((3..=7).contains(&n));
            seen[(n - 3) as usize] = true;
            assert!(alea.below(10) < 10);
            assert_eq!(alea.weighted(&[0, 5, 0]), 1);
        }
        assert!(seen.iter().all(|s| *s), "every value is drawn");
    }

    #[test]
    fn ids_are_version_7_in_time_order() {
        let mut alea = Alea::flux(1, "ids");
        let early = instant(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap(), 3600);
        let late = instant(NaiveDate::from_ymd_opt(2021, 3, 2).unwrap(), 0);
        let a = alea.id(early);
        let b = alea.id(late);
        assert!(a < b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        let (seconds, _) = parsed.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds as i64, early.timestamp());
        assert!(crate::domain::ids::StructureId::parse(&a).is_ok());
    }
}
