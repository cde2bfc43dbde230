//! eGeMAPS v02 (Eyben et al. 2016), computed at parity with openSMILE 3.0's
//! `egemaps/v02/eGeMAPSv02.conf`.
//!
//! One module per LLD family, all reading the shared front end of
//! [`crate::dsp`]; [`config`] holds the preset's constants with the config
//! lines they come from; [`names`] the output names in openSMILE's order.

pub mod config;
pub mod energy;
pub mod f0;
pub mod formants;
pub mod harmonics;
pub mod jitter_shimmer;
pub mod loudness;
pub mod melspec;
pub mod mfcc;
pub mod names;
pub mod pitch_shs;
pub mod pitch_viterbi;
pub mod spec_scale;
pub mod spectral_bins;
pub mod spectral_flux;
pub mod spectral_llds;
pub mod spectral_shape;
