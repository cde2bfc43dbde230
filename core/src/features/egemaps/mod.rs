//! eGeMAPS v02 (Eyben et al. 2016), computed at parity with openSMILE 3.0's
//! `egemaps/v02/eGeMAPSv02.conf`.
//!
//! One module per LLD family, all reading the shared front end of
//! [`crate::dsp`]; [`config`] holds the preset's constants with the config
//! lines they come from; [`names`] the output names in openSMILE's order.

pub mod config;
pub mod names;
pub mod functionals;
pub mod lld;
pub mod smoothing;
pub mod voicing;
