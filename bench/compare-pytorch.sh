#!/bin/bash
# Alternates `vdm bench --config bench-vdm` (training only) and the PyTorch mirror, same threads and OpenMP wait
# policy, ROUNDS times; prints wall and CPU ms per training step of each. Usage:
#   bench/compare-pytorch.sh [ROUNDS] [THREADS] [PASSIVE|ACTIVE|default]
# Needs Debian's python3-torch (and libopenblas0-openmp, or PyTorch uses the reference BLAS); see docs/performance.md.
set -euo pipefail
rounds=${1:-2}; threads=${2:-1}; policy=${3:-default}
here=$(cd "$(dirname "$0")/.." && pwd)
env_policy=()
[ "$policy" != default ] && env_policy=(OMP_WAIT_POLICY="$policy")
dotnet build -c Release "$here/src/Vdm.Cli" > /dev/null
cli=$(ls "$here"/src/Vdm.Cli/bin/Release/net10.0/*/Vdm.Cli.dll | head -1)
for r in $(seq 1 "$rounds"); do
  env "${env_policy[@]}" dotnet "$cli" bench --config bench-vdm --no-sampling --warmup 2 --repeats 4 --sgemm-size 1024 --threads "$threads" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); t=r["training"]; print("%s vdm     wall %6.0f ms  cpu %6.0f ms  sgemm-fraction per CPU-s %.2f  load %.1f" % (sys.argv[1], t["stepMs"], t["cpuMsPerStep"], t["fractionOfSgemmPerCpuSecond"], r["environment"]["loadAverage"]))' "$r"
  env "${env_policy[@]}" /usr/bin/python3 "$here/bench/pytorch/bench_vdm.py" --threads "$threads" --warmup 1 --repeats 4 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%s pytorch wall %6.0f ms  cpu %6.0f ms  (torch %s)" % (sys.argv[1], r["stepMs"], r["cpuMsPerStep"], r["version"]))' "$r"
done
