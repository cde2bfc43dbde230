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

#[cfg(feature = "train")]
use super::lstm_op::lstm_recurrence;

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

        // One operation with a hand-written backward on the CPU backends (cargo feature
        // `train`), else a loop.
        #[cfg(feature = "train")]
        let fused = lstm_recurrence(proj.clone(), self.hidden_weight.val());
        #[cfg(not(feature = "train"))]
        let fused: Option<Tensor<4>> = None;
        let out = match fused {
            Some(states) => states.permute([1, 2, 0, 3]), // [T, 2, batch, H] → [2, batch, T, H]
            None => self.recurrence_composed(proj),
        };
        let forward_out = out.clone().narrow(0, 0, 1).reshape([batch, steps, h]); // [batch, T, H]
        let reverse_out = out.narrow(0, 1, 1).reshape([batch, steps, h]).flip([1]); // [batch, T, H], back in input order
        Tensor::cat(vec![forward_out, reverse_out], 2) // [batch, T, 2H]
    }

    /// The recurrence as a loop of burn operations, for devices `lstm_recurrence` does not
    /// run on (and as its reference in tests).
    ///
    /// - `proj`: gate pre-activations `[T, 2, batch, 4H]`
    /// - returns hidden states `[2, batch, T, H]`
    pub fn recurrence_composed(&self, proj: Tensor<4>) -> Tensor<4> {
        let [steps, _, batch, _] = proj.dims();
        let h = self.d_hidden;
        let device = proj.device();
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

        Tensor::stack::<4>(outputs, 2) // [2, batch, T, H]
    }
}

// The only test compares against the training operation.
#[cfg(all(test, feature = "train"))]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use rand::{Rng, SeedableRng};

    fn random(len: usize, rng: &mut rand::rngs::StdRng, scale: f32) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-scale..scale)).collect()
    }

    fn vec4(t: Tensor<4>) -> Vec<f32> {
        t.try_into_vec_as::<f32>().unwrap()
    }

    fn assert_close(name: &str, got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len(), "{name}");
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 1e-5 * scale.max(1.0), "{name}[{i}]: one op {g} vs loop {w}");
        }
    }

    /// The recurrence as one operation ([`lstm_recurrence`], hand-written backward) against
    /// the per-step loop of burn operations: hidden states, and the gradients of the
    /// pre-activations and recurrent weights under a random linear probe of the states, with
    /// and without autodiff. Tolerance 1e-5 (f32, different operation order).
    #[test]
    fn one_op_recurrence_matches_the_loop() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let (steps, batch, h) = (11, 3, 16);
        let proj = random(steps * 2 * batch * 4 * h, &mut rng, 1.5);
        let probe = random(steps * 2 * batch * h, &mut rng, 1.0);
        for device in [Device::flex(), Device::flex().autodiff()] {
            let lstm = FusedBiLstm::new(8, h, &device);
            let p = Tensor::<4>::from_data(TensorData::new(proj.clone(), [steps, 2, batch, 4 * h]), &device);
            let p = if device.is_autodiff() { p.require_grad() } else { p };
            let probe = Tensor::<4>::from_data(TensorData::new(probe.clone(), [steps, 2, batch, h]), &device);
            let fused = lstm_recurrence(p.clone(), lstm.hidden_weight.val()).expect("flex runs the operation");
            let looped = lstm.recurrence_composed(p.clone()).permute([2, 0, 1, 3]); // → [T, 2, batch, H]
            assert_close("states", &vec4(fused.clone()), &vec4(looped.clone()));
            if !device.is_autodiff() {
                continue;
            }
            let grads_of = |states: Tensor<4>| {
                let grads = (states * probe.clone()).sum().backward();
                let gp = vec4(p.grad(&grads).unwrap());
                let gw = lstm.hidden_weight.val().grad(&grads).unwrap().try_into_vec_as::<f32>().unwrap();
                (gp, gw)
            };
            let (fp, fw) = grads_of(fused);
            let (lp, lw) = grads_of(looped);
            assert_close("projection grad", &fp, &lp);
            assert_close("weight grad", &fw, &lw);
            assert!(fw.iter().any(|v| *v != 0.0), "weight gradient reached");
        }
    }
}
