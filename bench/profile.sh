#!/bin/bash
# Where a bench-vdm training step spends its time, by shared object: perf samples after start-up and warm-up,
# .NET's perf map separating managed code from oneDNN/MKL's run-time generated kernels. Usage:
#   bench/profile.sh [THREADS] [REPEATS]
# Needs perf (Debian: linux-perf). Prints one line per group with its share of the samples; see docs/performance.md.
set -euo pipefail
threads=${1:-1}; repeats=${2:-12}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
dotnet build -c Release "$here/src/Vdm.Cli" > /dev/null
cli=$(ls "$here"/src/Vdm.Cli/bin/Release/net10.0/*/Vdm.Cli.dll | head -1)
# -D: start recording after 25 s (start-up, FLOP count, sgemm peak, warm-up steps).
DOTNET_PerfMapEnabled=1 OMP_WAIT_POLICY=PASSIVE perf record -q -F 499 -g -D 25000 -o "$out/perf.data" -- \
  dotnet "$cli" bench --config bench-vdm --no-sampling --threads "$threads" --repeats "$repeats" > "$out/bench.json" 2> /dev/null
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -q -g none 2> /dev/null > "$out/report.txt"
python3 - "$out/report.txt" <<'PY'
import re, sys, glob, os
# perf-PID.map lists JIT-compiled managed methods: a sample in [anon]/[JIT] memory whose symbol is in the map is managed.
groups = {}
total = 0.0
for line in open(sys.argv[1]):
    m = re.match(r'\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)', line)
    if not m: continue
    share, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
    total += share
    if dso.startswith('libtorch_cpu'): g = 'libtorch_cpu.so (kernels, dispatch, autograd)'
    elif dso.startswith('[kernel'): g = 'Linux kernel'
    elif dso.startswith('libc10'): g = 'libc10.so'
    elif dso.startswith('libc.so') or dso.startswith('libc-'): g = 'libc (malloc/free/memmove)'
    elif dso.startswith('libLibTorchSharp'): g = 'TorchSharp native shim'
    elif dso.startswith(('libcoreclr', 'libclrjit', 'System.', 'libSystem')): g = '.NET runtime'
    elif dso.startswith('libgomp'): g = 'libgomp (OpenMP)'
    elif dso.startswith(('libmkl', 'libdnnl', 'libiomp')): g = 'MKL / oneDNN libraries'
    elif dso in ('[unknown]', '[anon]', '[JIT]') or dso.startswith('perf-') or dso.startswith('memfd'):
        g = 'managed code (Vdm, TorchSharp)' if ('[' in sym and ']' in sym and '::' in sym) or re.search(r'\[Optimized|\[Tier|\[PreJIT|\[QuickJitted', sym) else 'generated kernels (oneDNN/MKL JIT) or unknown'
    else: g = dso
    groups[g] = groups.get(g, 0.0) + share
for g, s in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f'{s:6.2f}%  {g}')
print(f'{total:6.2f}%  (all samples)')
PY
echo "perf data and report in $out"
