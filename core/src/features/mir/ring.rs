//! Fixed-capacity ring buffers holding the per-frame values each descriptor
//! summarises at a step. Allocated once in `new`; `push` and the readers never
//! allocate.

/// A FIFO of the last `capacity` values; pushing into a full ring drops the
/// oldest value.
#[derive(Debug, Clone)]
pub(crate) struct Ring<T> {
    buf: Vec<T>,
    /// Next write position.
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Ring<T> {
    /// A ring of `capacity` values (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { buf: vec![T::default(); capacity.max(1)], head: 0, len: 0 }
    }

    /// Appends `value`, dropping the oldest one when full.
    pub(crate) fn push(&mut self, value: T) {
        self.buf[self.head] = value;
        self.head = (self.head + 1) % self.buf.len();
        self.len = (self.len + 1).min(self.buf.len());
    }

    /// Number of values held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The last `n` values (clamped to what is held), oldest first, as two
    /// contiguous slices whose concatenation is the sequence.
    pub(crate) fn last(&self, n: usize) -> (&[T], &[T]) {
        let cap = self.buf.len();
        let n = n.min(self.len);
        let start = (self.head + cap - n) % cap;
        if start + n <= cap {
            (&self.buf[start..start + n], &[])
        } else {
            (&self.buf[start..], &self.buf[..self.head])
        }
    }

    /// Iterates the last `n` values, oldest first.
    pub(crate) fn iter_last(&self, n: usize) -> impl Iterator<Item = &T> {
        let (a, b) = self.last(n);
        a.iter().chain(b.iter())
    }

    /// Forgets every value (capacity is kept).
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// A per-frame value with its weight: weight 0 marks a frame where the
/// descriptor is undefined (silence, no peaks, no 60 ms spectrum).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Weighted {
    pub(crate) value: f32,
    pub(crate) weight: f32,
}

impl Weighted {
    /// A defined value (weight 1); a non-finite value becomes undefined.
    pub(crate) fn some(value: f32) -> Self {
        if value.is_finite() {
            Self { value, weight: 1.0 }
        } else {
            Self::NONE
        }
    }

    /// An undefined frame.
    pub(crate) const NONE: Self = Self { value: 0.0, weight: 0.0 };
}

/// Per-frame values of one descriptor (`None` = frame without a value:
/// silent, or no 60 ms spectrum yet) and their mean over the last `n` frames,
/// the step summary of brightness, roughness and irregularity.
#[derive(Debug, Clone)]
pub(crate) struct FrameMean {
    history: Ring<Weighted>,
}

impl FrameMean {
    /// Keeps the last `history` frames (allocates once).
    pub(crate) fn new(history: usize) -> Self {
        Self { history: Ring::new(history) }
    }

    /// Adds one frame's value.
    pub(crate) fn push(&mut self, value: Option<f32>) {
        self.history.push(value.map_or(Weighted::NONE, Weighted::some));
    }

    /// Mean over the frames with a value among the last `n`; 0 when none.
    pub(crate) fn summary(&self, n: usize) -> f32 {
        weighted_mean(&self.history, n)
    }

    pub(crate) fn clear(&mut self) {
        self.history.clear();
    }
}

/// Weighted mean of the last `n` values of `ring`; 0 when no frame in the
/// span is defined. Accumulates in f64 so the result does not depend on how
/// the ring happens to be split.
pub(crate) fn weighted_mean(ring: &Ring<Weighted>, n: usize) -> f32 {
    let mut sum = 0.0f64;
    let mut wsum = 0.0f64;
    for w in ring.iter_last(n) {
        sum += w.value as f64 * w.weight as f64;
        wsum += w.weight as f64;
    }
    if wsum > 0.0 {
        finite_or_zero((sum / wsum) as f32)
    } else {
        0.0
    }
}

/// `x` if finite, else 0.
pub(crate) fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_returns_newest_values_in_order_across_wraparound() {
        let mut r = Ring::<u32>::new(4);
        for i in 0..7 {
            r.push(i);
        }
        assert_eq!(r.len(), 4);
        let got: Vec<u32> = r.iter_last(3).copied().collect();
        assert_eq!(got, vec![4, 5, 6]);
        let got: Vec<u32> = r.iter_last(10).copied().collect();
        assert_eq!(got, vec![3, 4, 5, 6]);
        r.clear();
        assert_eq!(r.iter_last(4).count(), 0);
    }

    #[test]
    fn weighted_mean_skips_undefined_frames() {
        let mut r = Ring::new(8);
        r.push(Weighted::some(2.0));
        r.push(Weighted::NONE);
        r.push(Weighted::some(4.0));
        r.push(Weighted::some(f32::NAN));
        assert_eq!(weighted_mean(&r, 4), 3.0);
        assert_eq!(weighted_mean(&r, 1), 0.0);
    }
}
