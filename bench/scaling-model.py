#!/usr/bin/env python3
"""Predicted data-parallel efficiency of `vdm train` on N machines (docs/distributed.md, "Scaling model").

Each machine keeps the preset's batch (weak scaling: global batch N x B). A step is the machine's compute T
(measured, see the doc) plus one ring all-reduce of the gradients, 2(N-1)/N * bytes / bandwidth + 2(N-1) * latency,
not overlapped with the backward pass. Efficiency = T / (T + t_allreduce).

    python3 bench/scaling-model.py
"""

PRESETS = {
    # name: (parameters, compute seconds per step on one machine like the measured one)
    "mnist": (None, None),
    "cifar10": (None, None),
}
LATENCY_S = 25e-6  # one message between machines on Ethernet (assumed, typical of 10/100 GbE with TCP)


def allreduce_seconds(nbytes, machines, gbit_per_s):
    if machines == 1:
        return 0.0
    bandwidth = gbit_per_s * 1e9 / 8
    return 2 * (machines - 1) / machines * nbytes / bandwidth + 2 * (machines - 1) * LATENCY_S


def table(presets):
    machines = [2, 4, 8, 16, 32, 64, 128, 256]
    lines = ["| preset | bytes all-reduced per step | compute per step | network | " + " | ".join(f"N={n}" for n in machines) + " |",
             "|---|---|---|---|" + "---|" * len(machines)]
    rows = []
    for name, (params, compute) in presets.items():
        rows.append((name, params, compute, "2 cores (measured)"))
        rows.append((name, params, compute / 16, "32 cores (÷16, assumed)"))
    lines[0] = lines[0].replace("| compute per step |", "| compute per step | machine |")
    lines[1] = "|---|---|---|---|---|" + "---|" * len(machines)
    for name, params, compute, machine in rows:
        nbytes = 4 * params
        for gbit in (10, 100):
            cells = []
            for n in machines:
                t = allreduce_seconds(nbytes, n, gbit)
                cells.append(f"{compute / (compute + t):.1%}")
            lines.append(f"| {name} | {nbytes / 1e6:.1f} MB | {compute * 1e3:.0f} ms | {machine} | {gbit} Gbit/s | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    presets = dict(PRESETS)
    # command line: name=parameters,seconds ...
    for arg in sys.argv[1:]:
        name, values = arg.split("=")
        params, seconds = values.split(",")
        presets[name] = (int(params), float(seconds))
    print(table({k: v for k, v in presets.items() if v[0] is not None}))
