//! Tables as text: CSV for files, aligned columns for the terminal, and the one number format
//! every table uses. A leaf: it knows what a table is (a header and rows of cells), not what
//! the table holds; the expectations' verdicts, comparisons, sweep aggregates and calibration
//! tables are all written through it.

/// A table as CSV (header row, then the rows), built in memory.
pub(crate) fn csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("CSV into memory");
    for row in rows {
        w.write_record(row).expect("CSV into memory");
    }
    w.into_inner().expect("CSV into memory")
}

/// A table as aligned text for the terminal: columns padded to their widest cell, `-` for an
/// empty cell.
pub fn text(header: &[String], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell(c).len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{:<w$}", cell(c)))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A number for a table: 10 significant digits, shortest form (`0.1`, `1250`, `3.3e-7`).
pub(crate) fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let rounded: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    // `-0` and `0` are the same number in a table.
    if rounded == 0.0 {
        return "0".into();
    }
    rounded.to_string()
}

/// A number with 4 significant digits, no exponent for everyday magnitudes: `12.35`, `1250`,
/// `0.0004213`.
pub(crate) fn fmt_short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..12).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn numbers_are_fmt_short() {
        assert_eq!(fmt_short(12.3456), "12.35");
        assert_eq!(fmt_short(1250.0), "1250");
        assert_eq!(fmt_short(123456.7), "123457");
        assert_eq!(fmt_short(0.00042131), "0.0004213");
        assert_eq!(fmt_short(1.0), "1");
        assert_eq!(fmt_short(0.0), "0");
        assert_eq!(fmt_short(-2.5), "-2.5");
        assert_eq!(fmt_short(3.2e-7), "3.200e-7");
    }

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(fmt_num(0.1 + 0.2), "0.3");
        assert_eq!(fmt_num(1250.0), "1250");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(1.0 / 3.0), "0.3333333333");
    }

    #[test]
    fn text_pads_columns_and_marks_empty_cells() {
        let header = strings(&["metric", "value"]);
        let rows = vec![strings(&["latency_ms.p99", ""]), strings(&["a", "12.5"])];
        assert_eq!(
            text(&header, &rows),
            "metric          value\nlatency_ms.p99  -\na               12.5\n"
        );
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let header = strings(&["a", "b"]);
        let rows = vec![strings(&["x,y", "1"])];
        assert_eq!(csv(&header, &rows), b"a,b\n\"x,y\",1\n");
    }
}
