#!/bin/bash
# Where a bench-vdm training step spends its time, by shared object: perf samples after start-up and warm-up,
# .NET's perf map separating managed code from oneDNN/MKL's run-time generated kernels. Usage:
#   bench/profile.sh [THREADS] [REPEATS]
# Needs perf (Debian: linux-perf). Prints one line per group with its share of the samples; see docs/performance.md.
set -euo pipefail
threads=${1:-1}; repeats=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
dotnet build -c Release "$here/src/Vdm.Cli" > /dev/null
cli=$(ls "$here"/src/Vdm.Cli/bin/Release/net10.0/*/Vdm.Cli.dll | head -1)
# -D: start recording after 15 s (start-up, FLOP count, sgemm peak, warm-up steps).
DOTNET_PerfMapEnabled=1 OMP_WAIT_POLICY=PASSIVE perf record -q -F 499 -g -D 15000 -o "$out/perf.data" -- \
  dotnet "$cli" bench --config bench-vdm --no-sampling --threads "$threads" --repeats "$repeats" > "$out/bench.json" 2> /dev/null
# Shares by shared object; then, inside .NET's [JIT] region, the samples perf resolved to a managed method through
# the perf map (the rest are bare addresses: oneDNN's and MKL's run-time generated kernels). The per-symbol report
# drops its long tail of tiny entries, so it is used only to find the managed part, never for totals.
perf report -i "$out/perf.data" --no-children --sort dso --stdio -q -g none 2> /dev/null > "$out/dso.txt"
perf report -i "$out/perf.data" --no-children --sort dso,sym --stdio -q -g none 2> /dev/null > "$out/sym.txt"
python3 - "$out/dso.txt" "$out/sym.txt" <<'PY'
import re, sys
def rows(path):
    for line in open(path):
        m = re.match(r'\s*([\d.]+)%\s+(.+?)\s*(?:\[(.)\]\s+(.*))?$', line.rstrip())
        if m: yield float(m.group(1)), m.group(2).strip(), (m.group(4) or '').strip()
managed = sum(share for share, dso, sym in rows(sys.argv[2])
              if dso.startswith('[JIT]') and sym and not re.fullmatch(r'0x[0-9a-f]+', sym))
groups = {}
def add(g, v): groups[g] = groups.get(g, 0.0) + v
for share, dso, _ in rows(sys.argv[1]):
    if dso.startswith('libtorch_cpu'): add('libtorch_cpu.so (kernels, dispatch, autograd)', share)
    elif dso.startswith('[JIT]'):
        add('managed code (Vdm, TorchSharp, BCL), resolved by the perf map', managed)
        add('generated kernels (oneDNN/MKL JIT)', share - managed)
    elif dso.startswith(('libcoreclr', 'libclrjit', 'System.', 'libSystem', 'memfd:doublemapper')): add('.NET runtime (coreclr, JIT compiler, BCL)', share)
    elif dso.startswith('[kernel'): add('Linux kernel', share)
    elif dso.startswith(('libc.so', 'libc-')): add('libc (malloc/free/memmove)', share)
    elif dso.startswith('libc10'): add('libc10.so (allocator, dispatch keys)', share)
    elif dso.startswith('libLibTorchSharp'): add('TorchSharp native shim', share)
    elif dso.startswith('libgomp'): add('libgomp (OpenMP)', share)
    else: add('other: ' + dso, share)
for g, v in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f'{v:6.2f}%  {g}')
print(f'{sum(groups.values()):6.2f}%  (all samples)')
PY
echo "perf data and reports in $out"
