//! Audio input: decoding files to mono f32 and resampling to the analysis rate.
