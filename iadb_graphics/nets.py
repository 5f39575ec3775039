"""The small MLP D_θ(x, α) behind :class:`~iadb_graphics.maps.iadb.IADBMap`."""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["AlphaEmbedding", "BlendingMLP", "fixed_alpha_layers", "run_layers"]


class AlphaEmbedding(nn.Module):
    r"""Fourier features of α ∈ [0, 1]: :math:`[\alpha, \sin(\pi k\alpha), \cos(\pi k\alpha)]_{k=1..K}` → (n, 2K + 1)."""

    def __init__(self, n_frequencies: int = 4):
        super().__init__()
        self.register_buffer("freqs", math.pi * torch.arange(1, n_frequencies + 1, dtype=torch.float32))
        self.dim = 2 * n_frequencies + 1

    def forward(self, alpha):
        a = alpha[:, None]
        t = a * self.freqs
        return torch.cat([a, torch.sin(t), torch.cos(t)], dim=1)


class BlendingMLP(nn.Module):
    """MLP ``(x (n, d), α (n,)) → (n, d_out)``: ``depth`` hidden layers of ``width`` with SiLU.

    The α embedding is concatenated to the input. ``d_out`` is d (velocity) or 2d (endpoints).
    """

    def __init__(self, d: int, d_out: int, *, width: int = 64, depth: int = 3, n_frequencies: int = 4,
                 x_features: int = 0, x_scale: float = 2.0):
        super().__init__()
        self.embed = AlphaEmbedding(n_frequencies)
        # random Fourier features of x (fixed at construction, saved with the weights)
        self.register_buffer("x_freqs", torch.randn(d, x_features) * x_scale)
        layers, size = [], d + 2 * x_features + self.embed.dim
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.SiLU()]
            size = width
        layers.append(nn.Linear(size, d_out))
        self.body = nn.Sequential(*layers)

    def features(self, x):
        """x (n, d) → [x, sin(xB), cos(xB)] (n, d + 2F)."""
        if self.x_freqs.shape[1] == 0:
            return x
        t = x @ self.x_freqs
        return torch.cat([x, torch.sin(t), torch.cos(t)], dim=1)

    def forward(self, x, alpha):
        return self.body(torch.cat([self.features(x), self.embed(alpha)], dim=1))


def fixed_alpha_layers(net: BlendingMLP, alpha: float, d: int):
    """Fold the α embedding of a fixed α into the first layer's bias, and split that layer by feature.

    Returns ``[(W_x (d, out), W_sin (F, out), W_cos (F, out), b (out,)), (W (in, out), b (out,)), ...]``
    for :func:`run_layers`: at fixed α the first layer only needs ``x (n, d)``, and splitting its
    weight by input block saves building the concatenated feature matrix (n, d + 2F) per point.
    """
    linears = [m for m in net.body if isinstance(m, nn.Linear)]
    first = linears[0]
    a = torch.tensor([alpha], dtype=first.weight.dtype, device=first.weight.device)
    f = net.x_freqs.shape[1]
    n_in = d + 2 * f
    bias = first.bias + net.embed(a)[0] @ first.weight[:, n_in:].T
    w = first.weight.T
    layers = [(w[:d], w[d:d + f], w[d + f:n_in], bias)]
    layers += [(m.weight.T, m.bias) for m in linears[1:]]
    return layers


def run_layers(net: BlendingMLP, layers, x, *, inplace: bool):
    """Evaluate the folded MLP of :func:`fixed_alpha_layers` on ``x`` (n, d) → (n, d_out)."""
    w_x, w_sin, w_cos, bias = layers[0]
    if w_sin.shape[0]:
        t = x @ net.x_freqs
        h = torch.addmm(bias, torch.sin(t), w_sin)
        h = h.addmm_(torch.cos(t), w_cos) if inplace else torch.addmm(h, torch.cos(t), w_cos)
        h = h.addmm_(x, w_x) if inplace else torch.addmm(h, x, w_x)
    else:
        h = torch.addmm(bias, x, w_x)
    for w, b in layers[1:]:
        h = torch.addmm(b, torch.nn.functional.silu(h, inplace=inplace), w)
    return h
