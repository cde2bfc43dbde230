//! The shared analysis front end: framing, analysis windows and the real FFT.
//!
//! openSMILE computes every eGeMAPS LLD from one of two framings of the same
//! signal (`GeMAPSv01b_core.lld.conf.inc`): a 60 ms Gaussian-windowed frame
//! (pitch, voice quality) and a 20 ms Hamming-windowed frame (energy and
//! spectral LLDs), both left-aligned on a common 10 ms hop. [`frontend::FrontEnd`]
//! runs one [`framer::Framer`] and both spectra, for eGeMAPS and MIR alike;
//! the short frame is the leading part of the long one.

pub mod framer;
pub mod frontend;
pub mod parabola;
pub mod simd;
pub mod spectrum;
pub mod window;
