//! A bidirectional LSTM with fused gates, written for burn's per-operation cost.
//!
//! burn's own `nn::BiLstm` runs two separate `Lstm`s, each issuing eight small `Linear`
//! calls, four activations and a `slice_assign` per time step — about 40 tensor operations
//! per step and direction. At our sizes (T' = 24…299 steps, 16 units) the run time is all
//! per-operation overhead, and under autodiff every operation also records a graph node.
//! This module computes the same function with far fewer operations:
//! - the input projection of **both directions for all time steps** is one matrix product
//!   (`[B·T, D] × [D, 8H]`);
//! - both directions advance together each step through one batched product
//!   (`[2, B, H] × [2, H, 4H]`), one sigmoid over the three sigmoid gates and one tanh;
//! - hidden states are collected and stacked once at the end (no `slice_assign`).
//!
//! Equations (Hochreiter & Schmidhuber; the paper's eq. 11–16), per direction:
//! `i, f, o = σ(W_x x_t + W_h h_{t−1} + b)`, `g = tanh(…)`, `c_t = f ⊙ c_{t−1} + i ⊙ g`,
//! `h_t = o ⊙ tanh(c_t)`. One bias per gate (PyTorch's `b_ih + b_hh` folded into one).
//! Gate order inside each `4H` block: **i, f, o, g** (sigmoid gates contiguous).
//! Output: `[forward h_t ‖ reverse h_t]` per step, as PyTorch's bidirectional LSTM.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

/// Fused bidirectional LSTM; see the module docs for layout and gate order.
#[derive(Module, Debug)]
pub struct FusedBiLstm {
    /// Input weights `[d_input, 8·H]`: columns `0..4H` forward gates, `4H..8H` reverse gates.
    pub input_weight: Param<Tensor<2>>,
    /// Gate biases `[8·H]`, same column layout as `input_weight`.
    pub bias: Param<Tensor<1>>,
    /// Recurrent weights `[2, H, 4·H]`: index 0 forward, 1 reverse.
    pub hidden_weight: Param<Tensor<3>>,
    /// Hidden units per direction `H`.
    pub d_hidden: usize,
}

impl FusedBiLstm {
    /// New BiLSTM with PyTorch's initialisation: every weight and bias uniform in
    /// `[−1/√H, 1/√H]`.
    pub fn new(d_input: usize, d_hidden: usize, device: &Device) -> Self {
        let k = 1.0 / (d_hidden as f64).sqrt();
        let init = Initializer::Uniform { min: -k, max: k };
        Self {
            input_weight: init.init([d_input, 8 * d_hidden], device),
            bias: init.init([8 * d_hidden], device),
            hidden_weight: init.init([2, d_hidden, 4 * d_hidden], device),
            d_hidden,
        }
    }

    /// Runs both directions over the sequence.
    ///
    /// - `input`: `[batch, T, d_input]`
    /// - returns `[batch, T, 2·H]`
    pub fn forward(&self, input: Tensor<3>) -> Tensor<3> {
        let [batch, steps, d_input] = input.dims();
        let h = self.d_hidden;
        let device = input.device();

        // Input projection for every step and both directions in one product.
        let proj = input
            .reshape([batch * steps, d_input])
            .matmul(self.input_weight.val())
            .add(self.bias.val().unsqueeze_dim::<2>(0)); // [batch·T, 8H]
        let proj = proj.reshape([batch, steps, 8 * h]); // [batch, T, 8H]
        let forward_proj = proj.clone().narrow(2, 0, 4 * h); // [batch, T, 4H]
                                                             // The reverse direction reads the sequence backwards: flip once so that step s of
                                                             // both directions sits at the same index.
        let reverse_proj = proj.narrow(2, 4 * h, 4 * h).flip([1]); // [batch, T, 4H]
        let proj = Tensor::stack::<4>(vec![forward_proj, reverse_proj], 0) // [2, batch, T, 4H]
            .permute([2, 0, 1, 3]); // [T, 2, batch, 4H]

        let w_hidden = self.hidden_weight.val(); // [2, H, 4H]
        let mut hidden = Tensor::<3>::zeros([2, batch, h], &device); // [2, batch, H]
        let mut cell = Tensor::<3>::zeros([2, batch, h], &device); // [2, batch, H]
        let mut outputs = Vec::with_capacity(steps);

        for x_step in proj.chunk(steps, 0) {
            let x_step = x_step.reshape([2, batch, 4 * h]); // [2, batch, 4H]
            let gates = x_step + hidden.matmul(w_hidden.clone()); // [2, batch, 4H]
            let sig = sigmoid(gates.clone().narrow(2, 0, 3 * h)); // [2, batch, 3H]
            let candidate = gates.narrow(2, 3 * h, h).tanh(); // [2, batch, H]
            let input_gate = sig.clone().narrow(2, 0, h); // [2, batch, H]
            let forget_gate = sig.clone().narrow(2, h, h); // [2, batch, H]
            let output_gate = sig.narrow(2, 2 * h, h); // [2, batch, H]
            cell = forget_gate * cell + input_gate * candidate; // [2, batch, H]
            hidden = output_gate * cell.clone().tanh(); // [2, batch, H]
            outputs.push(hidden.clone());
        }

        let out = Tensor::stack::<4>(outputs, 2); // [2, batch, T, H]
        let forward_out = out.clone().narrow(0, 0, 1).reshape([batch, steps, h]); // [batch, T, H]
        let reverse_out = out.narrow(0, 1, 1).reshape([batch, steps, h]).flip([1]); // [batch, T, H], back in input order
        Tensor::cat(vec![forward_out, reverse_out], 2) // [batch, T, 2H]
    }
}
