//! Splitting a whole (cents, posts) in proportion to weights, to the unit: the one
//! largest-remainder split of the application (a convention's posts among its signatories, the
//! split of the commitments stored before money went to each employer, the national seed's
//! posts).

/// Splits `total` (not negative: cents, posts) in proportion to `poids` by largest remainders: each
/// share is ⌊total × weight ÷ Σ weights⌋, then the cents left (fewer than the number of shares)
/// go one each to the largest remainders, the earlier share first on a tie. The shares add up to
/// `total` exactly. Weights must be positive; when they add up to zero the split is equal.
/// No weight: no share.
pub fn largest_remainders(total: i64, poids: &[i64]) -> Vec<i64> {
    if poids.is_empty() {
        return Vec::new();
    }
    let equal;
    let poids = if poids.iter().all(|&w| w <= 0) {
        equal = vec![1; poids.len()];
        &equal[..]
    } else {
        poids
    };
    let somme: i128 = poids.iter().map(|&w| i128::from(w.max(0))).sum();
    let total_large = i128::from(total);
    let mut parts: Vec<i64> = Vec::with_capacity(poids.len());
    let mut restes: Vec<(i128, usize)> = Vec::with_capacity(poids.len());
    for (index, &w) in poids.iter().enumerate() {
        let produit = total_large * i128::from(w.max(0));
        // Within 0..=total: fits in i64.
        parts.push((produit / somme) as i64);
        restes.push((produit % somme, index));
    }
    let mut reste = total - parts.iter().sum::<i64>();
    // Largest remainder first; on a tie, the earlier share.
    restes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in restes {
        if reste <= 0 {
            break;
        }
        parts[index] += 1;
        reste -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainders_add_up_to_the_cent() {
        // 100,000.01 € over three equal hosts: the two cents left go to the first two.
        assert_eq!(
            largest_remainders(10_000_001, &[1, 1, 1]),
            [3_333_334, 3_333_334, 3_333_333]
        );
        // By posts: 5 and 3 of 8 posts, 1,000.00 € → 625.00 € and 375.00 €.
        assert_eq!(largest_remainders(100_000, &[5, 3]), [62_500, 37_500]);
        // The largest remainder wins, not the first share: 10 cents by 1, 2, 4 (7 parts):
        // 1.43 → 1, 2.86 → 2, 5.71 → 5; remainders 3, 6, 5 (in sevenths): 2 cents left.
        assert_eq!(largest_remainders(10, &[1, 2, 4]), [1, 3, 6]);
        assert_eq!(largest_remainders(0, &[2, 3]), [0, 0]);
        assert_eq!(largest_remainders(1, &[1, 1, 1]), [1, 0, 0]);
        assert_eq!(largest_remainders(7, &[1]), [7]);
        assert!(largest_remainders(7, &[]).is_empty());
        // Zero weights: an equal split rather than a division by zero.
        assert_eq!(largest_remainders(5, &[0, 0]), [3, 2]);
        // The largest amounts the API accepts, by many posts: no overflow, exact sum.
        let parts = largest_remainders(1_000_000_000_000_000, &[4_000, 3, 7, 1]);
        assert_eq!(parts.iter().sum::<i64>(), 1_000_000_000_000_000);
    }
}
