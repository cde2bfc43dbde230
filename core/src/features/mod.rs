//! Feature extractors: the low-level eGeMAPS v02 set and the mid/high-level
//! MIR descriptors (docs/design.md §3).

pub mod egemaps;
pub mod mir;
