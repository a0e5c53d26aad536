//! A gauge over time bins: a value that holds until it changes (sessions online, a node's
//! memory). Each bin keeps the largest and the smallest value the gauge had during it,
//! including the value it carried in from before, so bins without a change are filled, not
//! left at zero, and a dip inside a bin shows in its minimum.

/// One gauge, binned.
#[derive(Clone, Debug)]
pub struct Gauge {
    max: Vec<u64>,
    min: Vec<u64>,
    last_bin: usize,
    last: u64,
}

impl Gauge {
    /// A gauge over `bins` bins that starts at `initial`.
    pub(crate) fn new(bins: usize, initial: u64) -> Self {
        let mut max = vec![0; bins];
        max[0] = initial;
        let mut min = vec![u64::MAX; bins];
        min[0] = initial;
        Self {
            max,
            min,
            last_bin: 0,
            last: initial,
        }
    }

    /// The gauge's value at time 0, before anything changes it (the world as built).
    pub(crate) fn start_at(&mut self, value: u64) {
        debug_assert_eq!(self.last_bin, 0);
        self.max[0] = value;
        self.min[0] = value;
        self.last = value;
    }

    /// The gauge takes `value` during bin `bin` (bins never go backwards).
    #[inline]
    pub(crate) fn set(&mut self, bin: usize, value: u64) {
        debug_assert!(bin >= self.last_bin);
        if bin > self.last_bin {
            let last = self.last;
            self.max[self.last_bin + 1..=bin].fill(last);
            self.min[self.last_bin + 1..=bin].fill(last);
            self.last_bin = bin;
        }
        if value > self.max[bin] {
            self.max[bin] = value;
        }
        if value < self.min[bin] {
            self.min[bin] = value;
        }
        self.last = value;
    }

    /// The largest value per bin, the bins after the last change carrying the last value.
    pub fn series(&self) -> Vec<u64> {
        let mut out = self.max.clone();
        out[self.last_bin + 1..].fill(self.last);
        out
    }

    /// The smallest value per bin, the bins after the last change carrying the last value.
    pub fn series_min(&self) -> Vec<u64> {
        let mut out = self.min.clone();
        out[self.last_bin + 1..].fill(self.last);
        out
    }

    pub(crate) fn peak(&self) -> u64 {
        self.max.iter().copied().max().unwrap_or(0).max(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_without_changes_carry_the_value() {
        let mut g = Gauge::new(6, 10);
        g.set(0, 4);
        g.set(2, 7);
        g.set(2, 3);
        assert_eq!(g.series(), vec![10, 4, 7, 3, 3, 3]);
        assert_eq!(g.series_min(), vec![4, 4, 3, 3, 3, 3]);
        assert_eq!(g.peak(), 10);
    }
}
