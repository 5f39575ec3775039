"""Train the learned blue-noise map (jittered noise → blue noise) and write its model file.

Makes the training data (exemplar sets from our own sampler, in the OT-grid representation)
and trains the fully convolutional velocity net by the IADB loss, reproducibly from ``--seed``.

    python examples/train_learned_blue_noise.py --out model.npz             # the shipped recipe
    python examples/train_learned_blue_noise.py --out m.npz --quick         # smoke run (seconds)
    python examples/train_learned_blue_noise.py --force                     # rewrite the shipped model

Prints the wall and process CPU time of each phase and a quick check of the result
(low-frequency power and min distance × √N of generated sets against the exemplars').
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from iadb_graphics import pointsets as ps  # noqa: E402
from iadb_graphics.pointsets.learned import DEFAULT_MODEL, LearnedBlueNoise, grid_offsets  # noqa: E402

EXEMPLARS = {"sot": lambda n, rng: ps.sot_blue_noise(n, rng=rng),
             "poisson": lambda n, rng: ps.poisson_disk(n, rng=rng)}


def make_exemplars(kind, count, m, seed, domain="torus"):
    """``count`` exemplar sets of ``m²`` points as offset images, (count, 2, m, m) float32."""
    out = np.empty((count, 2, m, m), np.float32)
    for i in range(count):
        x = EXEMPLARS[kind](m * m, np.random.default_rng([seed, i]))
        out[i] = grid_offsets(x, domain=domain).transpose(2, 0, 1)
    return out


def dihedral(x, codes):
    """Apply one of the 8 symmetries of the square grid to each offset image (B, 2, m, m).

    Bit 0: transpose (swap the axes and the two channels); bit 1: mirror axis 0 (negate channel 0);
    bit 2: mirror axis 1 (negate channel 1). Each maps an OT-grid image to the image of the
    mirrored/rotated point set.
    """
    import torch

    out = []
    for xi, c in zip(x, codes):
        if c & 1:
            xi = xi.transpose(1, 2).flip(0)
        if c & 2:
            xi = xi.flip(1) * torch.tensor([-1.0, 1.0]).reshape(2, 1, 1)
        if c & 4:
            xi = xi.flip(2) * torch.tensor([1.0, -1.0]).reshape(2, 1, 1)
        out.append(xi)
    return torch.stack(out)


def train(model, data, *, iters, batch, lr, seed, alpha="uniform", ema=0.995, progress=True):
    """Fit ``model.net_`` by the IADB loss on the offset images ``data`` (B, 2, m, m).

    Each iteration draws ``batch`` exemplar images, applies a random symmetry of the square (and,
    on the torus, a random cyclic shift), blends them with fresh uniform noise at random α and
    takes one Adam step. The model keeps the exponential moving average (decay ``ema``) of the
    weights, the usual choice for sampling from diffusion models.
    """
    import copy

    import torch

    rng = np.random.default_rng([seed, 1])
    alpha_law = alpha
    net = model.net_
    average = copy.deepcopy(net)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    warm = max(1, iters // 20)  # linear warm-up, then cosine decay to 0
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda t: min(1.0, (t + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(t, iters) / iters)))
    data = torch.from_numpy(data)
    m = data.shape[-1]
    running = None
    for it in range(iters):
        x1 = dihedral(data[rng.integers(len(data), size=batch)], rng.integers(8, size=batch))
        if model.domain == "torus":
            shifts = rng.integers(m, size=2)
            x1 = torch.roll(x1, (int(shifts[0]), int(shifts[1])), dims=(2, 3))
        x0 = torch.from_numpy(rng.random(x1.shape, dtype=np.float32) - 0.5)
        u = rng.random(batch, dtype=np.float32)
        alpha = torch.from_numpy(u if alpha_law == "uniform" else 1 - (1 - u) ** 2)
        a = alpha.reshape(-1, 1, 1, 1)
        loss = ((net((1 - a) * x0 + a * x1, alpha) - (x1 - x0)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for avg, p in zip(average.parameters(), net.parameters()):
                avg.mul_(ema).add_(p, alpha=1.0 - ema)
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if progress and (it % 200 == 0 or it == iters - 1):
            print(f"  iter {it:5d}  loss {running:.4f}", flush=True)
    average.eval()
    model.net_ = average
    return running


def check(model, kind, seed, sides=(32, 64), sets=4):
    from iadb_graphics.metrics.spectral import min_distance, periodogram, radial_power

    for m in sides:
        n = m * m
        res = int(min(128, 2 * m))
        for name, make in (("learned", lambda r: model.sample(n, rng=r, sot_iters=0)),  # the map alone
                           (kind, lambda r: EXEMPLARS[kind](n, r))):
            t = time.perf_counter()
            xs = [make(np.random.default_rng([seed, 99, k])) for k in range(sets)]
            t = (time.perf_counter() - t) / sets
            r, p = radial_power(periodogram(xs, res))
            low = float(p[r < 0.5 * m].mean())
            md = float(np.mean([min_distance(x) for x in xs]) * m)
            print(f"  N={n:5d} {name:8s} low-f power {low:.4f}  min dist×√N {md:.3f}  {t:.3f} s/set", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_MODEL, help="model file to write (default: the shipped model)")
    ap.add_argument("--force", action="store_true", help="overwrite an existing model file")
    ap.add_argument("--exemplar", choices=sorted(EXEMPLARS), default="sot")
    ap.add_argument("--side", type=int, default=32, help="training sets have side² points")
    ap.add_argument("--exemplars", type=int, default=256)
    ap.add_argument("--iters", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--steps", type=int, default=12, help="default Euler steps stored with the model")
    ap.add_argument("--alpha", choices=("uniform", "high"), default="uniform",
                    help="law of the training α: uniform, or denser near α = 1 (1 − (1 − u)²)")
    ap.add_argument("--domain", choices=("torus", "square"), default="square",
                    help="where the sets live: the exemplars' OT grid and the net's padding follow it")
    ap.add_argument("--ema", type=float, default=0.995, help="decay of the weights' moving average")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the shipped model: 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    args = ap.parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        ap.error(f"{args.out} exists; pass --force to overwrite it")
    if args.quick:
        args.exemplars, args.iters, args.side = 4, 20, 16
    import torch

    torch.set_num_threads(args.threads)
    t0, c0 = time.perf_counter(), time.process_time()
    data = make_exemplars(args.exemplar, args.exemplars, args.side, args.seed, args.domain)
    t1, c1 = time.perf_counter(), time.process_time()
    print(f"data: {args.exemplars} {args.exemplar} sets of {args.side ** 2} points, "
          f"{t1 - t0:.1f} s wall, {c1 - c0:.1f} s CPU", flush=True)
    torch.manual_seed(args.seed)  # the net's initial weights
    model = LearnedBlueNoise(channels=args.channels, steps=args.steps, domain=args.domain,
                             meta=dict(exemplar=args.exemplar, side=args.side, exemplars=args.exemplars,
                                       iters=args.iters, batch=args.batch, lr=args.lr, seed=args.seed, alpha=args.alpha,
                                       ema=args.ema))
    loss = train(model, data, iters=args.iters, batch=args.batch, lr=args.lr, seed=args.seed, alpha=args.alpha,
                 ema=args.ema)
    t2, c2 = time.perf_counter(), time.process_time()
    print(f"train: {args.iters} iterations, final loss {loss:.4f}, {t2 - t1:.1f} s wall, {c2 - c1:.1f} s CPU",
          flush=True)
    model.meta["final_loss"] = loss
    model.save(args.out)
    print(f"total: {t2 - t0:.1f} s wall, {c2 - c0:.1f} s CPU ({args.threads} torch threads); wrote {args.out}")
    if not args.quick:
        check(model, args.exemplar, args.seed)


if __name__ == "__main__":
    main()
