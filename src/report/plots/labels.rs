//! Compact tick labels: `1k`, `2.5M`, `0.25`, `1e-4`.

/// Label for `10^d`: compact (`1k`) for everyday magnitudes, else `1e{d}`.
pub(super) fn format_decade(d: i64) -> String {
    if (-3..15).contains(&d) {
        format_sig(10f64.powi(d as i32))
    } else {
        format!("1e{d}")
    }
}

pub(super) const SUFFIXES: [(f64, &str); 4] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];

pub(super) fn suffix_for(abs: f64) -> (f64, &'static str) {
    SUFFIXES
        .iter()
        .copied()
        .find(|&(div, _)| abs >= div)
        .unwrap_or((1.0, ""))
}

pub(super) fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Scientific notation with `sig` significant digits, e.g. `2.5e-4`.
pub(super) fn format_sci(v: f64, sig: usize) -> String {
    let s = format!("{:.*e}", sig.saturating_sub(1), v);
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{}e{}", trim_zeros(mantissa), exp),
        None => s,
    }
}

/// Compact number with up to 3 significant digits: `1k`, `10k`, `2.5M`, `0.25`.
pub(super) fn format_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e15).contains(&a) {
        return format_sci(v, 3);
    }
    let q = 10f64.powf(a.log10().floor() - 2.0);
    let r = (v / q).round() * q;
    let (div, suffix) = suffix_for(r.abs());
    let scaled = r / div;
    let decimals = (2 - scaled.abs().log10().floor() as i32).max(0) as usize;
    format!("{}{}", trim_zeros(&format!("{scaled:.decimals$}")), suffix)
}

/// Compact label for a linear tick at `v` on a grid of spacing `step`, with
/// just enough decimals to tell neighbouring ticks apart.
pub(super) fn format_linear(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let e = step.log10().floor() as i32;
    let q = 10f64.powi(e);
    let r = (v / q).round() * q;
    let a = r.abs();
    if a >= 1e15 || step < 1e-4 {
        let sig = (a.log10().floor() as i32 - e + 1).clamp(1, 15) as usize;
        return format_sci(r, sig);
    }
    let (div, suffix) = suffix_for(a);
    let decimals = (div.log10().round() as i32 - e).max(0) as usize;
    format!(
        "{}{}",
        trim_zeros(&format!("{:.*}", decimals, r / div)),
        suffix
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting() {
        assert_eq!(format_sig(1000.0), "1k");
        assert_eq!(format_sig(10f64.powf(4.0)), "10k");
        assert_eq!(format_sig(100_000.0), "100k");
        assert_eq!(format_sig(1999.9999), "2k");
        assert_eq!(format_sig(2_500_000.0), "2.5M");
        assert_eq!(format_sig(123_456.0), "123k");
        assert_eq!(format_sig(0.25), "0.25");
        assert_eq!(format_sig(1.0), "1");
        assert_eq!(format_sig(0.0001), "1e-4");
        assert_eq!(format_linear(0.30000000000000004, 0.1), "0.3");
        assert_eq!(format_linear(1500.0, 500.0), "1.5k");
        assert_eq!(format_linear(2000.0, 500.0), "2k");
        assert_eq!(format_linear(-20.0, 10.0), "-20");
        assert_eq!(format_linear(1e-17, 0.2), "0");
        assert_eq!(format_linear(1_000_400.0, 200.0), "1.0004M");
    }
}
