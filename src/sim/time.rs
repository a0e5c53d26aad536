//! Virtual time: one unit, the nanosecond, stored in a `u64` (enough for 584 years).
//!
//! Configuration speaks in µs, ms and s (the unit is always the last part of a field name);
//! conversion to nanoseconds happens once, at the boundary, with rounding to the nearest ns.

/// Virtual time or a duration, in nanoseconds.
pub type Nanos = u64;

pub(crate) const NS_PER_US: u64 = 1_000;
pub(crate) const NS_PER_MS: u64 = 1_000_000;
pub const NS_PER_S: u64 = 1_000_000_000;

/// Converts a non-negative, finite number of microseconds to nanoseconds (rounded).
pub(crate) fn us(value: f64) -> Nanos {
    from_unit(value, NS_PER_US)
}

/// Converts a non-negative, finite number of milliseconds to nanoseconds (rounded).
pub(crate) fn ms(value: f64) -> Nanos {
    from_unit(value, NS_PER_MS)
}

/// Converts a non-negative, finite number of seconds to nanoseconds (rounded).
pub fn secs(value: f64) -> Nanos {
    from_unit(value, NS_PER_S)
}

fn from_unit(value: f64, scale: u64) -> Nanos {
    assert!(
        value.is_finite() && value >= 0.0,
        "time must be finite and non-negative, got {value}"
    );
    let ns = (value * scale as f64).round();
    assert!(
        ns <= u64::MAX as f64,
        "time {value} overflows u64 nanoseconds"
    );
    ns as Nanos
}

/// Nanoseconds as fractional milliseconds, for reports.
pub(crate) fn to_ms(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_MS as f64
}

/// Nanoseconds as fractional seconds, for reports.
pub fn to_secs(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_to_the_nearest_nanosecond() {
        assert_eq!(us(0.3), 300);
        assert_eq!(us(0.0004), 0);
        assert_eq!(us(0.0006), 1);
        assert_eq!(ms(1.5), 1_500_000);
        assert_eq!(secs(2.1), 2_100_000_000);
        assert_eq!(to_ms(2_500_000), 2.5);
    }

    #[test]
    #[should_panic(expected = "non-negative")]
    fn negative_time_is_rejected() {
        us(-1.0);
    }
}
