#!/usr/bin/env python3
"""PyTorch eager mirror of `vdm bench --config bench-vdm` (training step only).

The same model as Vdm's VdmUNet at the bench-vdm configuration (32 channels, 2 ResNet blocks at full resolution,
base-2 Fourier features with exponents 6..7, one middle attention block, dropout 0.1, GroupNorm with
Vdm.Networks.GroupNorms' group counts), the same continuous-time VDM loss with the learned scalar schedule
(recon + prior + diffusion, antithetic times), and the same step: zero_grad, backward, clip_grad_norm_(1.0),
the per-term summaries read back to the host, AdamW (betas 0.9/0.99, weight decay 0.01), EMA update.
Batch 32 of 28x28x1 integer images (uniform random levels, drawn outside the timed region).

Prints one JSON object to stdout. Works with PyTorch 1.13 (Debian 12's python3-torch) and 2.x; on 2.x pass
--sdpa to use torch.nn.functional.scaled_dot_product_attention (1.13 has none, so the default is the explicit
softmax(q kᵀ/√d) v).
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

GAMMA_MIN, GAMMA_MAX, VOCAB = -13.3, 5.0, 256


def groups(channels):
    for g in range(min(32, channels // 4), 1, -1):
        if channels % g == 0:
            return g
    return 1


def group_norm(channels):
    return nn.GroupNorm(groups(channels), channels)


def zero(module):
    nn.init.zeros_(module.weight)
    nn.init.zeros_(module.bias)
    return module


class FourierFeatures(nn.Module):
    def __init__(self, lo=6, hi=7):
        super().__init__()
        self.register_buffer("freqs", torch.tensor([2.0 ** n * 2 * math.pi for n in range(lo, hi + 1)]), persistent=False)

    def forward(self, z):
        k = self.freqs.numel()
        h = z.unsqueeze(2) * self.freqs.view(1, 1, k, 1, 1)
        h = h.reshape(z.shape[0], z.shape[1] * k, z.shape[2], z.shape[3])
        return torch.cat([h.sin(), h.cos()], 1)


class TimeEmbedding(nn.Module):
    def __init__(self, channels, cond):
        super().__init__()
        self.channels = channels
        self.dense0 = nn.Linear(channels, cond)
        self.dense1 = nn.Linear(cond, cond)

    def forward(self, gamma):
        t = (gamma - GAMMA_MIN) / (GAMMA_MAX - GAMMA_MIN) * 1000.0
        half = self.channels // 2
        freqs = torch.exp(torch.arange(half, dtype=t.dtype) * -(math.log(10000.0) / (half - 1)))
        args = t.unsqueeze(1) * freqs.unsqueeze(0)
        emb = torch.cat([args.sin(), args.cos()], 1)
        return self.dense1(F.silu(self.dense0(emb)))


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, cond, dropout):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.cond_proj = nn.Linear(cond, cout)
        self.norm2 = group_norm(cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = zero(nn.Conv2d(cout, cout, 3, padding=1))
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, cond):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.cond_proj(F.silu(cond)).unsqueeze(-1).unsqueeze(-1)
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        skip = x if self.nin_shortcut is None else self.nin_shortcut(x)
        return skip + h


class AttentionBlock(nn.Module):
    def __init__(self, channels, heads=1, sdpa=False):
        super().__init__()
        self.heads = heads
        self.sdpa = sdpa
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj_out = zero(nn.Conv2d(channels, channels, 1))

    def forward(self, x):
        b, c, h, w = x.shape
        d = c // self.heads
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, d, h * w).permute(1, 0, 2, 4, 3).unbind(0)
        if self.sdpa:
            a = F.scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous())
        else:
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v
        a = a.permute(0, 1, 3, 2).reshape(b, c, h, w)
        return x + self.proj_out(a)


class VdmUNet(nn.Module):
    def __init__(self, data_channels=1, ch=32, blocks=2, dropout=0.1, sdpa=False):
        super().__init__()
        cond = 4 * ch
        self.fourier = FourierFeatures()
        self.time_embed = TimeEmbedding(ch, cond)
        self.conv_in = nn.Conv2d(data_channels * 5, ch, 3, padding=1)
        self.down = nn.ModuleList([ResnetBlock(ch, ch, cond, dropout) for _ in range(blocks)])
        self.mid_block1 = ResnetBlock(ch, ch, cond, dropout)
        self.mid_attn = AttentionBlock(ch, sdpa=sdpa)
        self.mid_block2 = ResnetBlock(ch, ch, cond, dropout)
        self.up = nn.ModuleList([ResnetBlock(2 * ch, ch, cond, dropout) for _ in range(blocks + 1)])
        self.norm_out = group_norm(ch)
        self.conv_out = zero(nn.Conv2d(ch, data_channels, 3, padding=1))

    def forward(self, z, gamma):
        cond = self.time_embed(gamma)
        h = self.conv_in(torch.cat([z, self.fourier(z)], 1))
        skips = [h]
        for block in self.down:
            h = block(h, cond)
            skips.append(h)
        h = self.mid_block2(self.mid_attn(self.mid_block1(h, cond)), cond)
        for block in self.up:
            h = block(torch.cat([h, skips.pop()], 1), cond)
        h = self.conv_out(F.silu(self.norm_out(h)))
        return z + h


class Vdm(nn.Module):
    """Continuous-time VDM bound with the learned scalar schedule gamma(t) = b + |w| t."""

    def __init__(self, net):
        super().__init__()
        self.bias = nn.Parameter(torch.tensor([GAMMA_MIN]))
        self.weight = nn.Parameter(torch.tensor([GAMMA_MAX - GAMMA_MIN]))
        self.net = net

    def gamma(self, t):
        return self.bias + self.weight.abs() * t

    def forward(self, x):
        b = x.shape[0]
        f = (x.float() + 0.5) * (2.0 / VOCAB) - 1.0
        endpoints = self.gamma(torch.tensor([0.0, 1.0]))
        g0 = endpoints[0].expand(b).view(b, 1, 1, 1)
        g1 = endpoints[1].expand(b).view(b, 1, 1, 1)
        # reconstruction
        z0 = torch.sigmoid(-g0).sqrt() * f + torch.sigmoid(g0).sqrt() * torch.randn_like(f)
        levels = (torch.arange(VOCAB).float() + 0.5) * (2.0 / VOCAB) - 1.0
        logits = -0.5 * (-g0).exp().unsqueeze(-1) * ((z0 / torch.sigmoid(-g0).sqrt()).unsqueeze(-1) - levels).square()
        recon = -logits.log_softmax(-1).gather(-1, x.long().unsqueeze(-1)).squeeze(-1).reshape(b, -1).sum(1)
        # prior
        prior = (0.5 * (torch.sigmoid(-g1) * f.square() + torch.sigmoid(g1) + F.softplus(-g1) - 1.0)).reshape(b, -1).sum(1)
        # diffusion, antithetic times
        t = (torch.rand(1) + torch.arange(b) / b) % 1.0
        weight = 0.5 * self.weight.abs().expand_as(t)
        gt = self.gamma(t).view(b, 1, 1, 1)
        eps = torch.randn_like(f)
        zt = torch.sigmoid(-gt).sqrt() * f + torch.sigmoid(gt).sqrt() * eps
        eps_hat = self.net(zt, self.gamma(t))
        diffusion = weight * (eps - eps_hat).square().reshape(b, -1).sum(1)
        scale = 1.0 / (f[0].numel() * math.log(2.0))
        return recon * scale, prior * scale, diffusion * scale


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--sdpa", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Vdm(VdmUNet(sdpa=a.sdpa))
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.99), weight_decay=0.01)
    shadows = [q.detach().clone() for q in params]
    updates = 0

    def step(x):
        nonlocal updates
        opt.zero_grad()
        recon, prior, diffusion = model(x)
        total = recon + prior + diffusion
        loss = total.mean()
        loss.backward()
        grad_norm = float(nn.utils.clip_grad_norm_(params, 1.0))
        summary = [float(t.mean()) for t in (total, recon, prior, diffusion)]
        value = float(loss)
        opt.step()
        with torch.no_grad():
            d = min(0.999, (1.0 + updates) / (10.0 + updates))
            for s, q in zip(shadows, params):
                s.mul_(d).add_(q, alpha=1 - d)
        updates += 1
        return value, grad_norm, summary

    gen = torch.Generator().manual_seed(18)
    times = []
    cpu = []
    loss = float("nan")
    for i in range(a.warmup + a.repeats):
        x = torch.randint(0, VOCAB, (a.batch, 1, 28, 28), dtype=torch.uint8, generator=gen)
        t0, c0 = time.perf_counter(), time.process_time()
        loss, _, _ = step(x)
        ms = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(ms)
            cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({
        "framework": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(),
        "attention": "sdpa" if a.sdpa else "explicit softmax", "channelsLast": a.channels_last,
        "batch": a.batch, "parameters": sum(q.numel() for q in params),
        "stepMs": statistics.median(times), "stepsMs": times, "cpuMsPerStep": sum(cpu) / len(cpu), "imagesPerSecond": a.batch / (statistics.median(times) / 1000),
        "finalLoss": loss,
    }))


if __name__ == "__main__":
    main()
