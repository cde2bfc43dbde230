//! Model benchmarks: one CBSA inference (batch 1) at T = 99/199/299 on burn flex, burn
//! ndarray and the hand-written fast path, and one training step (batch 4, MSE, Adam lr 1e-3)
//! on flex-autodiff and ndarray-autodiff. N = 94 features as in the paper.
//!
//! `scripts/bench_model.sh` runs this next to `scripts/bench_pytorch.py` (same network in
//! PyTorch, one thread) and prints Rust / PyTorch ratios. ndarray cases need
//! `--features burn-ndarray`.

use std::hint::black_box;
use std::time::Duration;

use burn::optim::AdamConfig;
use burn::tensor::{Device, Tensor, TensorData};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use moodtap_core::model::{FastNetwork, ModelConfig, Trainer, TrainingConfig};
use rand::{Rng, SeedableRng};

const N_FEATURES: usize = 94;
const T_STEPS: [usize; 3] = [99, 199, 299];

fn random_input(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(-2.0..2.0)).collect()
}

/// Inference devices: (name, device).
fn inference_devices() -> Vec<(&'static str, Device)> {
    #[allow(unused_mut)]
    let mut devices = vec![("flex", Device::flex())];
    #[cfg(feature = "burn-ndarray")]
    {
        #[allow(deprecated)]
        devices.push(("ndarray", Device::ndarray()));
    }
    devices
}

fn inference(c: &mut Criterion) {
    let mut group = c.benchmark_group("infer");
    group.sample_size(30).measurement_time(Duration::from_secs(3));
    for t in T_STEPS {
        let config = ModelConfig::cbsa(t, N_FEATURES);
        let input = random_input(t * N_FEATURES, t as u64);
        for (name, device) in inference_devices() {
            device.seed(66);
            let network = config.init(&device);
            let x = Tensor::<4>::from_data(TensorData::new(input.clone(), [1, 1, t, N_FEATURES]), &device);
            group.bench_function(BenchmarkId::new(name, format!("T{t}")), |b| {
                b.iter(|| network.forward(black_box(x.clone())).try_into_vec_as::<f32>().unwrap_or_default())
            });
            if name == "flex" {
                let mut fast = FastNetwork::new(&config, &network).unwrap_or_else(|e| panic!("{e}"));
                group.bench_function(BenchmarkId::new("fast", format!("T{t}")), |b| {
                    b.iter(|| fast.forward(black_box(&input)))
                });
            }
        }
    }
    group.finish();
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    let batch = 4;
    for t in T_STEPS {
        let input = random_input(batch * t * N_FEATURES, 1000 + t as u64);
        let targets = random_input(batch * 2, 7).iter().map(|v| (v + 2.0) / 4.0).collect::<Vec<_>>();
        for (name, device) in inference_devices() {
            let config = TrainingConfig::new(ModelConfig::cbsa(t, N_FEATURES), AdamConfig::new());
            let mut trainer = Trainer::new(config, device);
            let (x, y) = trainer.batch_tensors(&input, &targets, batch).unwrap_or_else(|e| panic!("{e}"));
            group.bench_function(BenchmarkId::new(name, format!("T{t}")), |b| {
                b.iter(|| trainer.step(x.clone(), y.clone()))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, inference, training_step);
criterion_main!(benches);
