//! The recurrence of [`super::bilstm::FusedBiLstm`] — both directions, all time steps — as
//! plain loops, forward and backward (backpropagation through time).
//!
//! Under burn's autodiff the recurrence cost ~12 recorded operations per step in each pass
//! (a batched product, sigmoid, tanh, slices, element-wise products), and at T' = 74 steps
//! with 16 units per direction that per-operation cost, not arithmetic, was the time.
//! [`super::lstm_op`] wraps these loops as one burn operation.
//!
//! Layouts (row-major): gate pre-activations from the input `[T, 2, batch, 4H]` (bias
//! included; the reverse direction already flipped in time so step `s` of both directions
//! sits at index `s`), recurrent weights `[2, H, 4H]`, hidden states out `[T, 2, batch, H]`.
//! Gate order inside each `4H` block: i, f, o, g (as [`super::bilstm`]).
//!
//! Equations per direction: `a = x_s + h_{s−1} W`, `i, f, o = σ(a)`, `g = tanh(a)`,
//! `c_s = f ⊙ c_{s−1} + i ⊙ g`, `h_s = o ⊙ tanh(c_s)`, with `h_{−1} = c_{−1} = 0`.

use super::kernels::{add_vec_mat, lstm_activate, lstm_cell, sigmoid, std_tanh};

/// Shapes of one recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LstmDims {
    /// Time steps `T`.
    pub steps: usize,
    /// Batch size.
    pub batch: usize,
    /// Hidden units per direction `H`.
    pub hidden: usize,
}

impl LstmDims {
    /// Values per step in the gate tensors: `2 · batch · 4H`.
    fn gate_step(&self) -> usize {
        2 * self.batch * 4 * self.hidden
    }
    /// Values per step in the state tensors: `2 · batch · H`.
    fn state_step(&self) -> usize {
        2 * self.batch * self.hidden
    }
    /// Values in the gate tensors `[T, 2, batch, 4H]`.
    pub fn gates_len(&self) -> usize {
        self.steps * self.gate_step()
    }
    /// Values in the state tensors `[T, 2, batch, H]`.
    pub fn states_len(&self) -> usize {
        self.steps * self.state_step()
    }
    /// Values in the recurrent weights `[2, H, 4H]`.
    pub fn weight_len(&self) -> usize {
        2 * self.hidden * 4 * self.hidden
    }
}

/// Forward results: hidden states plus what backward needs.
#[derive(Debug, Clone)]
pub struct LstmForward {
    /// Hidden states `h_s` `[T, 2, batch, H]`.
    pub hidden: Vec<f32>,
    /// Cell states `c_s` `[T, 2, batch, H]`.
    pub cell: Vec<f32>,
    /// Gate activations `(i, f, o, g)` `[T, 2, batch, 4H]`.
    pub gates: Vec<f32>,
}

/// Gradients of the recurrence's inputs.
#[derive(Debug, Clone)]
pub struct LstmGradients {
    /// Of the gate pre-activations from the input `[T, 2, batch, 4H]`.
    pub projection: Vec<f32>,
    /// Of the recurrent weights `[2, H, 4H]`.
    pub weight: Vec<f32>,
}

/// Runs both directions over all steps. `projection` `[T, 2, batch, 4H]`, `weight` `[2, H, 4H]`.
pub fn forward(projection: &[f32], weight: &[f32], dims: &LstmDims) -> LstmForward {
    let h = dims.hidden;
    let mut hidden = vec![0.0f32; dims.states_len()];
    let mut cell = vec![0.0f32; dims.states_len()];
    let mut gates = projection.to_vec(); // pre-activations, turned into activations in place
    for s in 0..dims.steps {
        for d in 0..2 {
            let w = &weight[d * h * 4 * h..(d + 1) * h * 4 * h]; // [H, 4H]
            for b in 0..dims.batch {
                let unit = (d * dims.batch + b) * h; // offset of (d, b) inside one state step
                let a = &mut gates[s * dims.gate_step() + (d * dims.batch + b) * 4 * h..][..4 * h];
                let now = s * dims.state_step() + unit;
                if s > 0 {
                    let prev = (s - 1) * dims.state_step() + unit;
                    add_vec_mat(a, &hidden[prev..prev + h], w);
                    // The cell update runs in place: start from the previous state.
                    cell.copy_within(prev..prev + h, now);
                }
                lstm_activate(a, sigmoid, std_tanh);
                lstm_cell(a, &mut cell[now..now + h], &mut hidden[now..now + h], std_tanh);
            }
        }
    }
    LstmForward { hidden, cell, gates }
}

/// Backpropagation through time. `hidden_grad` `[T, 2, batch, H]` is the gradient of the
/// hidden states as outputs; `forward` is [`forward`]'s result on the same inputs.
pub fn backward(weight: &[f32], forward: &LstmForward, hidden_grad: &[f32], dims: &LstmDims) -> LstmGradients {
    let h = dims.hidden;
    let mut projection = vec![0.0f32; dims.gates_len()];
    let mut weight_grad = vec![0.0f32; dims.weight_len()];
    let mut dh_next = vec![0.0f32; dims.state_step()]; // ∂L/∂h_s through h_{s+1}
    let mut dc_next = vec![0.0f32; dims.state_step()]; // ∂L/∂c_s through c_{s+1}
    for s in (0..dims.steps).rev() {
        for d in 0..2 {
            let w = &weight[d * h * 4 * h..(d + 1) * h * 4 * h]; // [H, 4H]
            for b in 0..dims.batch {
                let unit = (d * dims.batch + b) * h;
                let at = s * dims.state_step() + unit;
                let act = &forward.gates[s * dims.gate_step() + (d * dims.batch + b) * 4 * h..][..4 * h];
                let da = &mut projection[s * dims.gate_step() + (d * dims.batch + b) * 4 * h..][..4 * h];
                for k in 0..h {
                    let (i, f, o, g) = (act[k], act[h + k], act[2 * h + k], act[3 * h + k]);
                    let c = forward.cell[at + k];
                    let c_prev = if s > 0 { forward.cell[at - dims.state_step() + k] } else { 0.0 };
                    let tc = c.tanh();
                    let dh = hidden_grad[at + k] + dh_next[unit + k];
                    let dc = dh * o * (1.0 - tc * tc) + dc_next[unit + k];
                    da[k] = dc * g * i * (1.0 - i);
                    da[h + k] = dc * c_prev * f * (1.0 - f);
                    da[2 * h + k] = dh * tc * o * (1.0 - o);
                    da[3 * h + k] = dc * i * (1.0 - g * g);
                    dc_next[unit + k] = dc * f;
                }
                // ∂h_{s−1} = ∂a Wᵀ and ∂W += h_{s−1}ᵀ ∂a (nothing flows before step 0).
                let dh_prev = &mut dh_next[unit..unit + h];
                if s == 0 {
                    dh_prev.fill(0.0);
                    continue;
                }
                let h_prev = &forward.hidden[at - dims.state_step()..][..h];
                let wg = &mut weight_grad[d * h * 4 * h..(d + 1) * h * 4 * h];
                for k in 0..h {
                    let row = &w[k * 4 * h..(k + 1) * 4 * h];
                    dh_prev[k] = row.iter().zip(da.iter()).map(|(&wv, &dv)| wv * dv).sum();
                    for (gv, &dv) in wg[k * 4 * h..(k + 1) * 4 * h].iter_mut().zip(da.iter()) {
                        *gv += h_prev[k] * dv;
                    }
                }
            }
        }
    }
    LstmGradients { projection, weight: weight_grad }
}
