"""Quality columns shared by the map benchmarks, and the neural-spline-flow peer.

Every row leads with figures that cannot read "better than an exact sample":

- ``kl`` (nats) and ``ess`` of the map's exact density q against the target p, from M samples
  (only where the target has a density; ``inf`` when some samples land where p = 0, with the
  fraction in ``outside``);
- ``sinkhorn``: debiased Sinkhorn divergence to a fresh target sample (N points each), and the
  same figure for an exact target sample (``sinkhorn_iid``) as its scale: a map is only as good
  as an exact sampler when it reaches that value;
- ``energy_z``: two-sample z-score of the unbiased energy distance (|z| < 2: indistinguishable
  from the target at this N);
- ``w2_over_floor`` (secondary): exact W2 to the fresh sample over the W2 between two exact
  samples. It is biased: a map that contracts the target a little can score below 1 at
  finite N, which no exact sampler does on average, so it is kept for continuity only.
"""
from __future__ import annotations

import time

import numpy as np

from iadb_graphics.metrics import density_fit, energy_test, sinkhorn_divergence, w2


def sample_quality(y, target, *, n, rng):
    """Sample-based columns of ``y`` (≥ n points) against fresh samples of ``target``."""
    g = np.random.default_rng(rng)
    ref = target.sample(n, rng=g)
    iid = target.sample(n, rng=g)
    ys = y[:n]
    e = energy_test(ys, ref, rng=g)
    w_iid = w2(iid, ref)
    return {"sinkhorn": sinkhorn_divergence(ys, ref), "sinkhorn_iid": sinkhorn_divergence(iid, ref),
            "energy_z": e.z, "energy_z_iid": energy_test(iid, ref, rng=g).z,
            "w2_over_floor": w2(ys, ref) / w_iid}


def density_quality(transform_with_log_det, source, target, x):
    """KL / ESS / outside columns (``transform_with_log_det(x) -> (y, log_det)``)."""
    if not getattr(target, "has_pdf", False) or not getattr(source, "has_pdf", False):
        return {"kl": np.nan, "kl_se": np.nan, "ess": np.nan, "outside": np.nan}
    r = density_fit(transform_with_log_det, source, target, x)
    return {"kl": r.kl, "kl_se": r.kl_se, "ess": r.ess, "outside": r.outside}


def fmt(v, spec):
    """Table cell: blank for missing values, "inf" for infinite ones."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and np.isinf(v):
        return "inf"
    return format(v, spec)


def kl_cell(r):
    """``KL ± se``, or ``inf (x % outside)`` when samples land where the target is 0."""
    if np.isnan(r.get("kl", np.nan)):
        return ""
    if np.isinf(r["kl"]):
        return f"inf ({100 * r['outside']:.2f} % outside)"
    return f"{r['kl']:.4f} ± {r['kl_se']:.4f}"


class SplineFlowPeer:
    """zuko's neural spline flow (``zuko.flows.NSF``) fitted by maximum likelihood on target samples,
    for a time budget. On a box-supported target it models ``logit`` of the box coordinates, so
    its density is exactly zero outside the box (like the maps with walls) and known inside.

    ``transform(u)`` draws as many samples as ``u`` has rows (the flow has its own base noise: it
    is a sampler, not a map of ``u``) and returns them with ``log_det = log p0(u) − log q(y)``,
    so that :func:`density_quality`'s ``log q = log p0 − log_det`` is the flow's own log q.
    """

    def __init__(self, *, transforms=4, hidden=(64, 64), batch=2048, lr=2e-3, seed=0):
        self.transforms, self.hidden, self.batch, self.lr, self.seed = transforms, hidden, batch, lr, seed

    def fit(self, source, target, budget_s, *, rng=0):
        import torch
        import zuko

        self.source = source
        self.box = np.asarray(target.bounds, float) if getattr(target, "has_pdf", False) else None
        torch.manual_seed(self.seed)
        d = target.d
        self.flow = zuko.flows.NSF(d, transforms=self.transforms, hidden_features=self.hidden)
        opt = torch.optim.Adam(self.flow.parameters(), lr=self.lr)
        g = np.random.default_rng(rng)
        t0 = time.perf_counter()
        self.n_iters = 0
        while time.perf_counter() - t0 < budget_s:
            z = torch.as_tensor(self._to_z(target.sample(self.batch, rng=g))[0], dtype=torch.float32)
            loss = -self.flow().log_prob(z).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.n_iters += 1
        self.fit_s = time.perf_counter() - t0
        return self

    def _to_z(self, y):
        """Box → R^d by logit (and the log|det| of that change of variables), or the identity."""
        if self.box is None:
            return y, np.zeros(len(y))
        u = (y - self.box[:, 0]) / (self.box[:, 1] - self.box[:, 0])
        u = np.clip(u, 1e-7, 1 - 1e-7)
        z = np.log(u) - np.log1p(-u)
        ld = np.sum(-np.log(u) - np.log1p(-u) - np.log(self.box[:, 1] - self.box[:, 0]), axis=1)
        return z, ld

    def sample_with_log_q(self, n):
        import torch

        with torch.no_grad():
            z, log_qz = self.flow().rsample_and_log_prob((n,))
        z, log_qz = z.double().numpy(), log_qz.double().numpy()
        if self.box is None:
            return z, log_qz
        u = 1.0 / (1.0 + np.exp(-z))
        y = self.box[:, 0] + u * (self.box[:, 1] - self.box[:, 0])
        # log q(y) = log q_z(z) + log|dz/dy|, dz/dy = 1 / (u (1 - u) width) per axis
        log_q = log_qz - np.sum(np.log(u) + np.log1p(-u) + np.log(self.box[:, 1] - self.box[:, 0]), axis=1)
        return y, log_q

    def transform(self, u, *, return_log_det=False):
        y, log_q = self.sample_with_log_q(len(u))
        if return_log_det:
            return y, self.source.log_pdf(u) - log_q
        return y
