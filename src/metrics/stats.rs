//! Statistics over replications (the runs of one sweep point): mean, sample standard
//! deviation, the 95 % confidence interval of the mean from Student's t (quantile from
//! `statrs`), min and max. Sweep aggregates and expectations on sweep points both use them.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Description of a sample of one metric over replications.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Stats {
    pub(crate) n: usize,
    pub(crate) mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); `None` for one value.
    pub(crate) sd: Option<f64>,
    /// 95 % confidence interval of the mean: mean -/+ t(0.975, n - 1) sd / sqrt(n).
    pub(crate) ci95: Option<(f64, f64)>,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// Describes `values` (at least one), summed in the order given so results are reproducible.
pub(crate) fn describe(values: &[f64]) -> Stats {
    assert!(!values.is_empty(), "no values to describe");
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (sd, ci95) = if n >= 2 {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t_975(n - 1) * sd / (n as f64).sqrt();
        (Some(sd), Some((mean - half, mean + half)))
    } else {
        (None, None)
    };
    Stats {
        n,
        mean,
        sd,
        ci95,
        min,
        max,
    }
}

/// The 0.975 quantile of Student's t with `dof` degrees of freedom.
pub(crate) fn t_975(dof: usize) -> f64 {
    StudentsT::new(0.0, 1.0, dof as f64)
        .expect("dof >= 1")
        .inverse_cdf(0.975)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95 % critical values of Student's t (any statistics textbook).
        for (dof, t) in [
            (1, 12.706),
            (2, 4.303),
            (9, 2.262),
            (30, 2.042),
            (1000, 1.962),
        ] {
            assert!((t_975(dof) - t).abs() < 1e-3, "dof {dof}: {}", t_975(dof));
        }
    }

    #[test]
    fn describes_a_sample() {
        let s = describe(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert!((s.sd.unwrap() - 2.138_089_935).abs() < 1e-9);
        let (lo, hi) = s.ci95.unwrap();
        let half = 2.364_624_252 * s.sd.unwrap() / 8f64.sqrt();
        assert!((lo - (5.0 - half)).abs() < 1e-6 && (hi - (5.0 + half)).abs() < 1e-6);
        assert_eq!((s.min, s.max), (2.0, 9.0));
        let one = describe(&[3.5]);
        assert_eq!((one.sd, one.ci95), (None, None));
    }
}
