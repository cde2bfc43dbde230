//! The BiLSTM recurrence as one burn operation with a hand-written backward pass
//! ([`super::lstm_kernel`]), on the CPU backends; see [`super::conv_block_op`] for the
//! mechanism. [`lstm_recurrence`] returns `None` elsewhere and the caller runs its per-step
//! loop of burn operations instead. Tested against that loop (states and gradients) in
//! `bilstm.rs`'s tests.

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

use super::cpu_op::{all_f32, impl_for_cpu_backends, runs_on, tensor, values};
use super::lstm_kernel::{self, LstmDims, LstmForward};

/// Forward results: hidden states `[T, 2, batch, H]` plus the saved cell states and gate
/// activations backward needs.
#[derive(ExtensionType)]
pub struct LstmOutputs<B: Backend> {
    /// `[T, 2, batch, H]`.
    pub hidden: FloatTensor<B>,
    /// `[T, 2, batch, H]`.
    pub cell: FloatTensor<B>,
    /// `[T, 2, batch, 4H]`.
    pub gates: FloatTensor<B>,
}

/// Gradients of the recurrence's two inputs.
#[derive(ExtensionType)]
pub struct LstmInputGradients<B: Backend> {
    /// `[T, 2, batch, 4H]`.
    pub projection: FloatTensor<B>,
    /// `[2, H, 4H]`.
    pub weight: FloatTensor<B>,
}

/// The recurrence as a backend operation.
#[backend_extension(Flex, NdArray: cfg(feature = "burn-ndarray"), Autodiff)]
pub trait LstmBackend: Backend {
    /// `projection [T, 2, batch, 4H]`, `weight [2, H, 4H]` → states.
    fn lstm_forward(projection: FloatTensor<Self>, weight: FloatTensor<Self>) -> LstmOutputs<Self>;
    /// Backpropagation through time given the hidden states' gradient `[T, 2, batch, H]`.
    fn lstm_backward(
        weight: FloatTensor<Self>,
        #[extension_type] saved: LstmOutputs<Self>,
        hidden_grad: FloatTensor<Self>,
    ) -> LstmInputGradients<Self>;
}

fn lstm_dims(projection: &[usize], weight: &[usize]) -> LstmDims {
    LstmDims { steps: projection[0], batch: projection[2], hidden: weight[1] }
}

fn forward_on_cpu<B: Backend>(projection: FloatTensor<B>, weight: FloatTensor<B>) -> LstmOutputs<B> {
    let device = projection.device();
    let dims = lstm_dims(&projection.shape().dims::<4>(), &weight.shape().dims::<3>());
    let out = lstm_kernel::forward(&values::<B>(projection), &values::<B>(weight), &dims);
    let states = vec![dims.steps, 2, dims.batch, dims.hidden];
    LstmOutputs {
        hidden: tensor::<B>(out.hidden, states.clone(), &device),
        cell: tensor::<B>(out.cell, states, &device),
        gates: tensor::<B>(out.gates, vec![dims.steps, 2, dims.batch, 4 * dims.hidden], &device),
    }
}

fn backward_on_cpu<B: Backend>(
    weight: FloatTensor<B>,
    saved: LstmOutputs<B>,
    hidden_grad: FloatTensor<B>,
) -> LstmInputGradients<B> {
    let device = weight.device();
    let weight_shape = weight.shape().dims::<3>();
    let gates_shape = saved.gates.shape().dims::<4>();
    let dims = lstm_dims(&gates_shape, &weight_shape);
    let forward = LstmForward {
        hidden: values::<B>(saved.hidden),
        cell: values::<B>(saved.cell),
        gates: values::<B>(saved.gates),
    };
    let grads = lstm_kernel::backward(&values::<B>(weight), &forward, &values::<B>(hidden_grad), &dims);
    LstmInputGradients {
        projection: tensor::<B>(grads.projection, gates_shape.to_vec(), &device),
        weight: tensor::<B>(grads.weight, weight_shape.to_vec(), &device),
    }
}

impl_for_cpu_backends!(LstmBackend {
    fn lstm_forward(projection: FloatTensor<Self>, weight: FloatTensor<Self>) -> LstmOutputs<Self> {
        forward_on_cpu(projection, weight)
    }
    fn lstm_backward(
        weight: FloatTensor<Self>,
        saved: LstmOutputs<Self>,
        hidden_grad: FloatTensor<Self>,
    ) -> LstmInputGradients<Self> {
        backward_on_cpu(weight, saved, hidden_grad)
    }
});

/// The graph node of the recurrence: parents projection and weight.
#[derive(Debug)]
struct LstmNode;

impl<B: Backend + LstmBackend> Backward<B, 2> for LstmNode {
    /// Recurrent weights, then the forward's hidden states, cell states and gates.
    type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_projection, node_weight] = ops.parents;
        let hidden_grad = grads.consume::<B>(&ops.node);
        let (weight, hidden, cell, gates) = ops.state;
        let result = B::lstm_backward(weight, LstmOutputs { hidden, cell, gates }, hidden_grad);
        if let Some(node) = node_projection {
            grads.register::<B>(node.id, result.projection);
        }
        if let Some(node) = node_weight {
            grads.register::<B>(node.id, result.weight);
        }
    }
}

impl<B: Backend + LstmBackend, C: CheckpointStrategy> LstmBackend for Autodiff<B, C> {
    fn lstm_forward(projection: FloatTensor<Self>, weight: FloatTensor<Self>) -> LstmOutputs<Self> {
        let nodes = [projection.node(), weight.node()];
        let weight = weight.into_primitive();
        let out = B::lstm_forward(projection.into_primitive(), weight.clone());
        let untracked = FloatTensor::<Self>::new;
        let hidden = match LstmNode.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                prep.finish((weight, out.hidden.clone(), out.cell.clone(), out.gates.clone()), out.hidden)
            }
            OpsKind::UnTracked(prep) => prep.finish(out.hidden),
        };
        LstmOutputs { hidden, cell: untracked(out.cell), gates: untracked(out.gates) }
    }

    fn lstm_backward(
        _weight: FloatTensor<Self>,
        _saved: LstmOutputs<Self>,
        _hidden_grad: FloatTensor<Self>,
    ) -> LstmInputGradients<Self> {
        panic!("the LSTM recurrence's backward pass is not itself differentiable")
    }
}

/// Hidden states `[T, 2, batch, H]` of both directions from the gate pre-activations
/// `projection [T, 2, batch, 4H]` and recurrent weights `[2, H, 4H]`, or `None` when the
/// device or dtype is not supported (the caller runs its per-step loop instead).
pub fn lstm_recurrence(projection: Tensor<4>, weight: Tensor<3>) -> Option<Tensor<4>> {
    if !all_f32(&[projection.dtype(), weight.dtype()]) || !runs_on(&projection.device()) {
        return None;
    }
    let out = <Dispatch as LstmBackend>::lstm_forward(projection.into_dispatch(), weight.into_dispatch());
    Some(Tensor::from_dispatch(out.hidden))
}
