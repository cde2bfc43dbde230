//! Shared plumbing of moodtap's CPU backend-extension operations ([`super::conv_block_op`],
//! [`super::lstm_op`]): reading a backend tensor as `f32` values, making one from values,
//! and which devices run them.

use burn::backend::tensor::FloatTensor;
use burn::backend::{read_sync, Backend, BackendTypes, DispatchDevice};
use burn::tensor::{DType, Device, TensorData};

/// Reads a float tensor of a CPU backend as `f32` values (the callers check the dtype first).
pub(crate) fn values<B: Backend>(tensor: FloatTensor<B>) -> Vec<f32> {
    let data = read_sync(B::float_into_data(tensor)).unwrap_or_else(|e| panic!("reading a CPU tensor: {e:?}"));
    data.try_into_vec::<f32>().unwrap_or_else(|e| panic!("moodtap's CPU operations take f32 tensors: {e:?}"))
}

/// A float tensor of backend `B` from row-major values.
pub(crate) fn tensor<B: Backend>(
    values: Vec<f32>,
    shape: Vec<usize>,
    device: &<B as BackendTypes>::Device,
) -> FloatTensor<B> {
    B::float_from_data(TensorData::new(values, shape), device)
}

/// Whether the CPU operations run on this device (flex, or ndarray when built in; with or
/// without autodiff). Other devices — the GPU backends — use the composed burn path.
pub(crate) fn runs_on(device: &Device) -> bool {
    match device.as_dispatch().clone().inner() {
        DispatchDevice::Flex(_) => true,
        #[cfg(feature = "burn-ndarray")]
        DispatchDevice::NdArray(_) => true,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// Whether every tensor is `f32` (the only dtype the CPU operations implement).
pub(crate) fn all_f32(dtypes: &[DType]) -> bool {
    dtypes.iter().all(|d| *d == DType::F32)
}

/// Implements a backend-extension trait with the same body for every CPU backend: flex, and
/// ndarray when built in (`burn-ndarray` feature).
macro_rules! impl_for_cpu_backends {
    ($trait:ident { $($body:item)* }) => {
        impl $trait for burn::backend::Flex {
            $($body)*
        }
        #[cfg(feature = "burn-ndarray")]
        #[allow(deprecated)]
        impl $trait for burn::backend::NdArray {
            $($body)*
        }
    };
}
pub(crate) use impl_for_cpu_backends;
