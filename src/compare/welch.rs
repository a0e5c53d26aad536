//! Welch's t-test from summary statistics: is the difference of two means beyond what the
//! replications' spread explains, at the 95 % level (two-sided)? Unequal variances and
//! sample sizes; degrees of freedom from the Welch-Satterthwaite equation; the t quantile
//! from `statrs`, as the sweep's confidence intervals.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// One side: replications, their mean and sample standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
}

/// Whether the means of `a` and `b` differ at the 95 % level; `None` when a side has fewer
/// than 2 replications (no spread to test against). Two samples without spread differ when
/// their means do.
pub fn differs(a: Sample, b: Sample) -> Option<bool> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.sd * a.sd / a.n as f64, b.sd * b.sd / b.n as f64);
    let se2 = va + vb;
    let diff = (a.mean - b.mean).abs();
    if se2 <= 0.0 || se2.is_nan() {
        return Some(diff > 0.0);
    }
    let dof = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let t = diff / se2.sqrt();
    let critical = StudentsT::new(0.0, 1.0, dof)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::INFINITY);
    Some(t > critical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: usize, mean: f64, sd: f64) -> Sample {
        Sample { n, mean, sd }
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // Equal n and sd: dof = 2(n-1) = 18, t = 1 / sqrt(2 * 1 / 10) = 2.236 > 2.101.
        assert_eq!(differs(s(10, 1.0, 1.0), s(10, 0.0, 1.0)), Some(true));
        // t = 0.9 / 0.447 = 2.012 < 2.101.
        assert_eq!(differs(s(10, 0.9, 1.0), s(10, 0.0, 1.0)), Some(false));
        // Unequal variances: dof from Welch-Satterthwaite (about 9.0 here), t = 2.11 < 2.26.
        assert_eq!(differs(s(10, 2.0, 3.0), s(10, 0.0, 0.1)), Some(false));
        assert_eq!(differs(s(10, 3.0, 3.0), s(10, 0.0, 0.1)), Some(true));
    }

    #[test]
    fn degenerate_samples() {
        assert_eq!(differs(s(1, 1.0, 0.0), s(5, 0.0, 1.0)), None);
        assert_eq!(differs(s(3, 1.0, 0.0), s(3, 1.0, 0.0)), Some(false));
        assert_eq!(differs(s(3, 1.0, 0.0), s(3, 2.0, 0.0)), Some(true));
    }
}
