//! Which burn backend trains the network (`--backend`).
//!
//! flex (pure Rust, CPU) is always built and is the default: it is faster
//! than ndarray here (core/src/model/training.rs) and, run on one thread,
//! deterministic. ndarray, wgpu and cuda are cargo features of this crate
//! (`cargo build -p moodtap-trainer --release --features wgpu`); asking for
//! one that was not compiled in is an error that says how to get it.

use burn::tensor::Device;

/// A `--backend` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// burn-flex on the CPU (default).
    Flex,
    /// burn-ndarray on the CPU (deprecated in burn 0.22; feature `ndarray`).
    Ndarray,
    /// GPU through wgpu: Vulkan, Metal or DX12 (feature `wgpu`).
    Wgpu,
    /// NVIDIA GPU through CUDA (feature `cuda`).
    Cuda,
}

/// The backend was not compiled into this binary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backend {name} is not compiled into this moodtap; rebuild with `cargo build -p moodtap-trainer --release --features {feature}`")]
pub struct BackendUnavailable {
    /// Backend asked for.
    pub name: &'static str,
    /// Cargo feature that provides it.
    pub feature: &'static str,
}

impl Backend {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Wgpu => "wgpu",
            Backend::Cuda => "cuda",
        }
    }

    /// The device (without autodiff; the trainer adds it).
    pub fn device(self) -> Result<Device, BackendUnavailable> {
        let unavailable = |feature| BackendUnavailable { name: self.name(), feature };
        match self {
            Backend::Flex => Ok(Device::flex()),
            Backend::Ndarray => {
                #[cfg(feature = "ndarray")]
                {
                    #[allow(deprecated)]
                    return Ok(Device::ndarray());
                }
                #[cfg(not(feature = "ndarray"))]
                Err(unavailable("ndarray"))
            }
            Backend::Wgpu => {
                #[cfg(feature = "wgpu")]
                {
                    return Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice));
                }
                #[cfg(not(feature = "wgpu"))]
                Err(unavailable("wgpu"))
            }
            Backend::Cuda => {
                #[cfg(feature = "cuda")]
                {
                    return Ok(Device::cuda(0));
                }
                #[cfg(not(feature = "cuda"))]
                Err(unavailable("cuda"))
            }
        }
    }
}
