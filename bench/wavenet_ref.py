#!/usr/bin/env python3
"""PyTorch reference of photophone's WaveNet, written the way a PyTorch user would
(nn.Conv1d with dilation, one-hot input, F.cross_entropy, torch.optim.Adam).

  check DIR   reads DIR/config.json, DIR/model.safetensors and DIR/window.safetensors
              (x: int64 [N+1], optional global [G], local [N, C]); writes DIR/ref_logits.safetensors
              (logits [T, Q]) and DIR/ref_after_adam.safetensors (weights after one Adam step
              with lr from DIR/step.json, gradients clipped to global norm 1.0, loss = mean CE).
  bench PRESET STEPS THREADS
              median ms per training step (forward + backward + Adam) on random data.

Set up with bench/setup_torch.sh (a virtualenv in bench/.venv).
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

PRESETS = {
    "small": dict(dilations=[2**i for i in range(10)] * 2, residual_channels=32, dilation_channels=32,
                  skip_channels=128, head_channels=128, quantization_channels=256, sample_size=16000,
                  use_biases=True, global_condition_channels=0, local_condition_channels=0),
    "ibab": dict(dilations=[2**i for i in range(10)] * 5, residual_channels=32, dilation_channels=32,
                 skip_channels=512, head_channels=512, quantization_channels=256, sample_size=100000,
                 use_biases=True, global_condition_channels=0, local_condition_channels=0),
}


class WaveNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        q, r, d, s, h = (c["quantization_channels"], c["residual_channels"], c["dilation_channels"],
                         c["skip_channels"], c["head_channels"])
        b = c["use_biases"]
        self.c = c
        self.embed = nn.Conv1d(q, r, 2, bias=b)
        self.filter_gate = nn.ModuleList(nn.Conv1d(r, 2 * d, 2, dilation=dl, bias=b) for dl in c["dilations"])
        self.residual = nn.ModuleList(nn.Conv1d(d, r, 1, bias=b) for _ in c["dilations"])
        self.skip = nn.ModuleList(nn.Conv1d(d, s, 1, bias=b) for _ in c["dilations"])
        g, lc = c.get("global_condition_channels", 0), c.get("local_condition_channels", 0)
        self.glob = nn.ModuleList(nn.Linear(g, 2 * d, bias=False) for _ in c["dilations"]) if g else None
        self.local = nn.ModuleList(nn.Conv1d(lc, 2 * d, 1, bias=False) for _ in c["dilations"]) if lc else None
        self.head1 = nn.Conv1d(s, h, 1, bias=b)
        self.head2 = nn.Conv1d(h, q, 1, bias=b)
        self.receptive_field = sum(c["dilations"]) + 2

    def forward(self, x, g=None, lc=None):
        """x: int64 [B, N] inputs; returns logits [B, Q, T] with T = N - receptive_field + 1."""
        q = self.c["quantization_channels"]
        d = self.c["dilation_channels"]
        n = x.shape[1]
        t = n - self.receptive_field + 1
        h = self.embed(F.one_hot(x, q).float().transpose(1, 2))
        skip = 0
        for i, dl in enumerate(self.c["dilations"]):
            z = self.filter_gate[i](h)
            rows = z.shape[-1]
            if self.local is not None:
                z = z + self.local[i](lc[:, :, n - rows:])
            if self.glob is not None:
                z = z + self.glob[i](g)[:, :, None]
            a = torch.tanh(z[:, :d]) * torch.sigmoid(z[:, d:])
            skip = skip + self.skip[i](a[:, :, -t:])
            h = h[:, :, dl:] + self.residual[i](a)
        return self.head2(F.relu(self.head1(F.relu(skip))))


def from_photophone(model, w):
    """Copies photophone's time-major weights into the Conv1d layout."""
    def put(param, value):
        with torch.no_grad():
            param.copy_(value)
    put(model.embed.weight, torch.stack([w["embed.old"].T, w["embed.new"].T], dim=2))
    for i in range(len(model.filter_gate)):
        p = f"layers.{i}"
        put(model.filter_gate[i].weight, torch.stack([w[f"{p}.filter_gate.old"].T, w[f"{p}.filter_gate.new"].T], dim=2))
        put(model.residual[i].weight, w[f"{p}.residual.weight"].T[:, :, None])
        put(model.skip[i].weight, w[f"{p}.skip.weight"].T[:, :, None])
        if model.c["use_biases"]:
            put(model.filter_gate[i].bias, w[f"{p}.filter_gate.bias"])
            put(model.residual[i].bias, w[f"{p}.residual.bias"])
            put(model.skip[i].bias, w[f"{p}.skip.bias"])
        if model.glob is not None:
            put(model.glob[i].weight, w[f"{p}.global.weight"].T)
        if model.local is not None:
            put(model.local[i].weight, w[f"{p}.local.weight"].T[:, :, None])
    put(model.head1.weight, w["head.1.weight"].T[:, :, None])
    put(model.head2.weight, w["head.2.weight"].T[:, :, None])
    if model.c["use_biases"]:
        put(model.embed.bias, w["embed.bias"])
        put(model.head1.bias, w["head.1.bias"])
        put(model.head2.bias, w["head.2.bias"])


def to_photophone(model):
    out = {"embed.old": model.embed.weight[:, :, 0].T, "embed.new": model.embed.weight[:, :, 1].T,
           "head.1.weight": model.head1.weight[:, :, 0].T, "head.2.weight": model.head2.weight[:, :, 0].T}
    if model.c["use_biases"]:
        out.update({"embed.bias": model.embed.bias, "head.1.bias": model.head1.bias, "head.2.bias": model.head2.bias})
    for i in range(len(model.filter_gate)):
        p = f"layers.{i}"
        out[f"{p}.filter_gate.old"] = model.filter_gate[i].weight[:, :, 0].T
        out[f"{p}.filter_gate.new"] = model.filter_gate[i].weight[:, :, 1].T
        out[f"{p}.residual.weight"] = model.residual[i].weight[:, :, 0].T
        out[f"{p}.skip.weight"] = model.skip[i].weight[:, :, 0].T
        if model.c["use_biases"]:
            out[f"{p}.filter_gate.bias"] = model.filter_gate[i].bias
            out[f"{p}.residual.bias"] = model.residual[i].bias
            out[f"{p}.skip.bias"] = model.skip[i].bias
        if model.glob is not None:
            out[f"{p}.global.weight"] = model.glob[i].weight.T
        if model.local is not None:
            out[f"{p}.local.weight"] = model.local[i].weight[:, :, 0].T
    return {k: v.detach().contiguous().clone() for k, v in out.items()}


def check(folder):
    c = json.load(open(f"{folder}/config.json"))
    step = json.load(open(f"{folder}/step.json"))
    model = WaveNet(c)
    from_photophone(model, load_file(f"{folder}/model.safetensors"))
    win = load_file(f"{folder}/window.safetensors")
    x = win["x"].long()[None]
    g = win["global"][None] if "global" in win else None
    lc = win["local"].T[None] if "local" in win else None
    logits = model(x[:, :-1], g, lc)
    t = logits.shape[-1]
    targets = x[:, -t:]
    save_file({"logits": logits[0].T.contiguous().detach()}, f"{folder}/ref_logits.safetensors")
    opt = torch.optim.Adam(model.parameters(), lr=step["lr"], betas=(0.9, 0.999), eps=1e-8)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    save_file(to_photophone(model), f"{folder}/ref_after_adam.safetensors")
    print(f"reference: loss {loss.item():.6f}")


def bench(preset, steps, threads):
    torch.set_num_threads(threads)
    c = PRESETS[preset]
    model = WaveNet(c)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = c["sample_size"] + model.receptive_field
    x = torch.randint(0, c["quantization_channels"], (1, n))
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits, x[:, -logits.shape[-1]:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"pytorch {torch.__version__} {preset}: median {statistics.median(times[1:]):.1f} ms/step ({threads} threads)")


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2])
    elif sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
