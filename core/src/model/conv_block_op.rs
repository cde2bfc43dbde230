//! The training-mode CNN block as one burn operation with a hand-written backward pass.
//!
//! burn 0.22's backend extensions let a crate add an operation with its own implementation
//! per backend and its own `Backward` under autodiff. This one runs
//! [`super::conv_block_kernel`] (3×3 conv → batch norm with batch statistics → ReLU → 2×2 max
//! pool) on the CPU backends — flex, and ndarray when built in — so that a training step
//! records one graph node per block instead of ~25 full-size ones.
//! [`conv_block_train`] returns `None` on other devices (the GPU backends) and for non-`f32`
//! tensors; the caller then composes the block from burn operations as before.
//!
//! Tested against that composition (output, batch statistics and every gradient) in
//! `network.rs`'s tests.

// burn 0.22 deprecates its ndarray backend; it is built in only to compare it (burn-ndarray).
#![cfg_attr(feature = "burn-ndarray", allow(deprecated))]

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, ExtensionType, TensorMetadata};
use burn::tensor::Tensor;

use super::conv_block_kernel::{self, BlockDims};
use super::cpu_op::{all_f32, impl_for_cpu_backends, runs_on, tensor, values};

/// Inputs of one block: `input [batch, c_in, T, N]`, `weight [c_out, c_in, 3, 3]`, and
/// `bias`, `gamma`, `beta` `[c_out]`.
#[derive(ExtensionType)]
pub struct ConvBlockInputs<B: Backend> {
    /// `[batch, c_in, T, N]`.
    pub input: FloatTensor<B>,
    /// `[c_out, c_in, 3, 3]`.
    pub weight: FloatTensor<B>,
    /// Convolution bias `[c_out]`.
    pub bias: FloatTensor<B>,
    /// Batch-norm scale `[c_out]`.
    pub gamma: FloatTensor<B>,
    /// Batch-norm shift `[c_out]`.
    pub beta: FloatTensor<B>,
}

/// Forward results of one block.
#[derive(ExtensionType)]
pub struct ConvBlockOutputs<B: Backend> {
    /// `[batch, c_out, T/2, N/2]`.
    pub output: FloatTensor<B>,
    /// Normalised convolution output `[batch, c_out, T, N]`, kept for backward.
    pub normalised: FloatTensor<B>,
    /// Batch mean per channel `[c_out]`.
    pub mean: FloatTensor<B>,
    /// Biased batch variance per channel `[c_out]`.
    pub variance: FloatTensor<B>,
}

/// What backward needs from forward, plus the output gradient.
#[derive(ExtensionType)]
pub struct ConvBlockSaved<B: Backend> {
    /// The forward inputs.
    #[extension_type]
    pub inputs: ConvBlockInputs<B>,
    /// [`ConvBlockOutputs::normalised`].
    pub normalised: FloatTensor<B>,
    /// [`ConvBlockOutputs::variance`].
    pub variance: FloatTensor<B>,
    /// Gradient of the block output `[batch, c_out, T/2, N/2]`.
    pub output_grad: FloatTensor<B>,
}

/// Gradients of one block's inputs (`input` is a `[0]` placeholder when not requested).
#[derive(ExtensionType)]
pub struct ConvBlockGradients<B: Backend> {
    /// `[batch, c_in, T, N]` or `[0]`.
    pub input: FloatTensor<B>,
    /// `[c_out, c_in, 3, 3]`.
    pub weight: FloatTensor<B>,
    /// `[c_out]`.
    pub bias: FloatTensor<B>,
    /// `[c_out]`.
    pub gamma: FloatTensor<B>,
    /// `[c_out]`.
    pub beta: FloatTensor<B>,
}

/// The block as a backend operation.
#[backend_extension(Flex, NdArray: cfg(feature = "burn-ndarray"), Autodiff)]
pub trait ConvBlockBackend: Backend {
    /// Forward pass in training mode (batch statistics).
    fn conv_block_train(#[extension_type] inputs: ConvBlockInputs<Self>, epsilon: f64) -> ConvBlockOutputs<Self>;
    /// Backward pass; `input_grad` says whether the input's gradient is needed.
    fn conv_block_backward(
        #[extension_type] saved: ConvBlockSaved<Self>,
        epsilon: f64,
        input_grad: bool,
    ) -> ConvBlockGradients<Self>;
}

fn block_dims(input: &[usize], weight: &[usize]) -> BlockDims {
    BlockDims { batch: input[0], c_in: input[1], c_out: weight[0], rows: input[2], cols: input[3] }
}

/// [`ConvBlockBackend::conv_block_train`] for a CPU backend.
fn train_on_cpu<B: Backend>(inputs: ConvBlockInputs<B>, epsilon: f64) -> ConvBlockOutputs<B> {
    let device = inputs.input.device();
    let dims = block_dims(&inputs.input.shape().dims::<4>(), &inputs.weight.shape().dims::<4>());
    let forward = conv_block_kernel::forward(
        &values::<B>(inputs.input),
        &values::<B>(inputs.weight),
        &values::<B>(inputs.bias),
        &values::<B>(inputs.gamma),
        &values::<B>(inputs.beta),
        epsilon,
        &dims,
    );
    ConvBlockOutputs {
        output: tensor::<B>(forward.output, vec![dims.batch, dims.c_out, dims.out_rows(), dims.out_cols()], &device),
        normalised: tensor::<B>(forward.normalised, vec![dims.batch, dims.c_out, dims.rows, dims.cols], &device),
        mean: tensor::<B>(forward.mean, vec![dims.c_out], &device),
        variance: tensor::<B>(forward.variance, vec![dims.c_out], &device),
    }
}

/// [`ConvBlockBackend::conv_block_backward`] for a CPU backend.
fn backward_on_cpu<B: Backend>(saved: ConvBlockSaved<B>, epsilon: f64, input_grad: bool) -> ConvBlockGradients<B> {
    let device = saved.inputs.input.device();
    let input_shape = saved.inputs.input.shape().dims::<4>();
    let weight_shape = saved.inputs.weight.shape().dims::<4>();
    let dims = block_dims(&input_shape, &weight_shape);
    let grads = conv_block_kernel::backward(
        &values::<B>(saved.inputs.input),
        &values::<B>(saved.inputs.weight),
        &values::<B>(saved.inputs.gamma),
        &values::<B>(saved.inputs.beta),
        &values::<B>(saved.normalised),
        &values::<B>(saved.variance),
        epsilon,
        &values::<B>(saved.output_grad),
        input_grad,
        &dims,
    );
    let input_len = grads.input.len();
    ConvBlockGradients {
        input: tensor::<B>(grads.input, if input_grad { input_shape.to_vec() } else { vec![input_len] }, &device),
        weight: tensor::<B>(grads.weight, weight_shape.to_vec(), &device),
        bias: tensor::<B>(grads.bias, vec![dims.c_out], &device),
        gamma: tensor::<B>(grads.gamma, vec![dims.c_out], &device),
        beta: tensor::<B>(grads.beta, vec![dims.c_out], &device),
    }
}

impl_for_cpu_backends!(ConvBlockBackend {
    fn conv_block_train(inputs: ConvBlockInputs<Self>, epsilon: f64) -> ConvBlockOutputs<Self> {
        train_on_cpu(inputs, epsilon)
    }
    fn conv_block_backward(saved: ConvBlockSaved<Self>, epsilon: f64, input_grad: bool) -> ConvBlockGradients<Self> {
        backward_on_cpu(saved, epsilon, input_grad)
    }
});

/// The graph node of one block: five parents (input, weight, bias, gamma, beta).
#[derive(Debug)]
struct ConvBlockNode;

/// Saved state: the forward inputs, the normalised activations, the variance and ε.
type NodeState<B> = ([FloatTensor<B>; 5], FloatTensor<B>, FloatTensor<B>, f64);

impl<B: Backend + ConvBlockBackend> Backward<B, 5> for ConvBlockNode {
    type State = NodeState<B>;

    fn backward(self, ops: Ops<Self::State, 5>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_input, node_weight, node_bias, node_gamma, node_beta] = ops.parents;
        let output_grad = grads.consume::<B>(&ops.node);
        let ([input, weight, bias, gamma, beta], normalised, variance, epsilon) = ops.state;
        let input_grad = node_input.is_some();
        let saved = ConvBlockSaved {
            inputs: ConvBlockInputs { input, weight, bias, gamma, beta },
            normalised,
            variance,
            output_grad,
        };
        let result = B::conv_block_backward(saved, epsilon, input_grad);
        for (node, grad) in [
            (node_input, result.input),
            (node_weight, result.weight),
            (node_bias, result.bias),
            (node_gamma, result.gamma),
            (node_beta, result.beta),
        ] {
            if let Some(node) = node {
                grads.register::<B>(node.id, grad);
            }
        }
    }
}

impl<B: Backend + ConvBlockBackend, C: CheckpointStrategy> ConvBlockBackend for Autodiff<B, C> {
    fn conv_block_train(inputs: ConvBlockInputs<Self>, epsilon: f64) -> ConvBlockOutputs<Self> {
        let nodes =
            [inputs.input.node(), inputs.weight.node(), inputs.bias.node(), inputs.gamma.node(), inputs.beta.node()];
        let primitives = [
            inputs.input.into_primitive(),
            inputs.weight.into_primitive(),
            inputs.bias.into_primitive(),
            inputs.gamma.into_primitive(),
            inputs.beta.into_primitive(),
        ];
        let [input, weight, bias, gamma, beta] = primitives.clone();
        let forward = B::conv_block_train(ConvBlockInputs { input, weight, bias, gamma, beta }, epsilon);
        let untracked = FloatTensor::<Self>::new;
        let output = match ConvBlockNode.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                prep.finish((primitives, forward.normalised.clone(), forward.variance.clone(), epsilon), forward.output)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward.output),
        };
        ConvBlockOutputs {
            output,
            normalised: untracked(forward.normalised),
            mean: untracked(forward.mean),
            variance: untracked(forward.variance),
        }
    }

    fn conv_block_backward(_saved: ConvBlockSaved<Self>, _epsilon: f64, _input_grad: bool) -> ConvBlockGradients<Self> {
        panic!("the conv block's backward pass is not itself differentiable")
    }
}

/// One training-mode block: returns `(output [batch, c_out, T/2, N/2], batch mean [c_out],
/// biased batch variance [c_out])`, or `None` when the device or dtype is not supported (the
/// caller composes the block from burn operations instead). The mean and variance are
/// detached.
pub fn conv_block_train(
    input: Tensor<4>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> Option<(Tensor<4>, Tensor<1>, Tensor<1>)> {
    if !all_f32(&[input.dtype(), weight.dtype(), bias.dtype(), gamma.dtype(), beta.dtype()])
        || !runs_on(&input.device())
    {
        return None;
    }
    let outputs = <Dispatch as ConvBlockBackend>::conv_block_train(
        ConvBlockInputs {
            input: input.into_dispatch(),
            weight: weight.into_dispatch(),
            bias: bias.into_dispatch(),
            gamma: gamma.into_dispatch(),
            beta: beta.into_dispatch(),
        },
        epsilon,
    );
    Some((
        Tensor::from_dispatch(outputs.output),
        Tensor::from_dispatch(outputs.mean),
        Tensor::from_dispatch(outputs.variance),
    ))
}
