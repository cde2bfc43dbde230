#!/usr/bin/env bash
# Runs the Rust model benchmarks (core/benches/model.rs) and the PyTorch reference
# (scripts/bench_pytorch.py) in one go and prints Rust time / PyTorch time per case.
#
# Usage: scripts/bench_model.sh [--no-ndarray]
# Env:   PYTHON (default /work/venv/bin/python; needs torch), BENCH_SECONDS (PyTorch, default 3)
# Both sides run single-threaded: burn flex/ndarray are built without rayon, and PyTorch
# uses torch.set_num_threads(1).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venv/bin/python}
features=(--features burn-ndarray)
if [[ "${1:-}" == "--no-ndarray" ]]; then features=(); fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== PyTorch ($($PYTHON -c 'import torch; print(torch.__version__)'))" >&2
"$PYTHON" scripts/bench_pytorch.py --seconds "${BENCH_SECONDS:-3}" | tee "$out/torch.txt" >&2
echo "== Rust (criterion)" >&2
cargo bench -p moodtap-core --bench model "${features[@]}" -- --output-format bencher \
  | tee "$out/rust.txt" >&2

"$PYTHON" - "$out/rust.txt" "$out/torch.txt" <<'PY'
import re, sys
rust, torch = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"test (\S+)\s+\.\.\. bench:\s+([\d,]+) ns/iter", line)
    if m:
        rust[m.group(1)] = int(m.group(2).replace(",", "")) / 1e6
for line in open(sys.argv[2]):
    if line.startswith("#") or not line.strip():
        continue
    case, ms = line.split()
    torch[case] = float(ms)
print(f"{'case':<28}{'rust ms':>10}{'torch ms':>10}{'ratio':>8}")
for name, ms in rust.items():
    group, backend, t = name.split("/")
    ref = torch.get(f"{group}/{t}")
    ratio = f"{ms / ref:8.2f}" if ref else "       -"
    print(f"{name:<28}{ms:10.3f}{(ref or float('nan')):10.3f}{ratio}")
PY
