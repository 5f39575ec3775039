"""Quality columns shared by the map benchmarks, and the neural-spline-flow peer.

Every row leads with figures that cannot read "better than an exact sample":

- ``kl`` (nats) and ``ess`` of the map's exact density q against the target p, from M samples
  (only where the target has a density; ``inf`` when some samples land where p = 0, with the
  fraction in ``outside``). KL >= 0, so an estimate within two standard errors of 0 prints as
  "as exact" with its upper bound (``kl_cell``); ESS <= 1 by construction;
- ``sinkhorn_excess``: the debiased Sinkhorn divergence S of the map's sample to a fresh target
  sample, minus the S of an exact target sample to the same reference, averaged over
  ``SAMPLE_DRAWS`` paired draws (``sinkhorn_excess_se``: its standard error). Its expectation is 0
  for an exact sampler, so a negative mean is noise: tables print "as exact" with the upper
  confidence bound (mean + 2 s.e.) whenever the excess is within two standard errors, and the
  excess ± s.e. only when it is significantly above 0 (``sinkhorn_cell``);
- ``energy_z``: the energy-distance U-statistic (mean 0 for equal laws) averaged over the same
  draws, over its pooled jackknife standard error; only z >= 2 is a difference, so tables print
  "as exact" below that (``energy_cell``);
- ``w2_over_floor`` (secondary): exact W2 to the first reference over the W2 between an exact
  sample and it. It is biased: a map that contracts the target a little can score below 1 at
  finite N, which no exact sampler does on average, so it is kept in the CSV files only.
"""
from __future__ import annotations

import time

import numpy as np

from iadb_graphics.metrics import density_fit, energy_test, sinkhorn_divergence, w2
from iadb_graphics.metrics.reading import read_energy_z, read_nonnegative


SAMPLE_DRAWS = 4  # paired (reference, exact sample) draws behind every S and energy figure


class ExactBaseline:
    """``draws`` pairs of independent target samples (a reference, an exact sample), ``n`` points
    each, and what the exact sample scores against its reference: the yardstick of a map's sample."""

    def __init__(self, target, *, n, draws=SAMPLE_DRAWS, rng):
        if draws < 2:
            raise ValueError(f"draws must be >= 2 (the standard error needs two), got {draws}")
        g = np.random.default_rng(rng)
        self.n = int(n)
        self.refs = [target.sample(self.n, rng=g) for _ in range(draws)]
        exact = [target.sample(self.n, rng=g) for _ in range(draws)]
        self.sinkhorn = np.array([sinkhorn_divergence(e, r) for e, r in zip(exact, self.refs)])
        self.energy_z = _pooled_energy_z([energy_test(e, r, rng=k) for k, (e, r) in enumerate(zip(exact, self.refs))])
        self.w2_floor = w2(exact[0], self.refs[0])

    @property
    def points_needed(self):
        return self.n * len(self.refs)


def _pooled_energy_z(tests):
    """z of the mean energy U-statistic over independent draws, over its pooled s.e."""
    value = float(np.mean([t.value for t in tests]))
    se = float(np.sqrt(np.sum([t.se ** 2 for t in tests]))) / len(tests)
    return value / se


def sample_quality(y, baseline):
    """Sample-based columns of ``y`` (>= ``baseline.points_needed`` points, consecutive blocks of
    ``baseline.n`` going to the draws) against ``baseline``'s references."""
    y = np.asarray(y, float)
    if len(y) < baseline.points_needed:
        raise ValueError(f"sample_quality needs {baseline.points_needed} points of y, got {len(y)}")
    blocks = [y[k * baseline.n:(k + 1) * baseline.n] for k in range(len(baseline.refs))]
    s = np.array([sinkhorn_divergence(b, r) for b, r in zip(blocks, baseline.refs)])
    excess = s - baseline.sinkhorn
    energy_z = _pooled_energy_z([energy_test(b, r, rng=k) for k, (b, r) in enumerate(zip(blocks, baseline.refs))])
    return {"sinkhorn": float(s.mean()), "sinkhorn_iid": float(baseline.sinkhorn.mean()),
            "sinkhorn_excess": float(excess.mean()),
            "sinkhorn_excess_se": float(excess.std(ddof=1) / np.sqrt(len(excess))),
            "energy_z": energy_z, "energy_z_iid": baseline.energy_z,
            "w2_over_floor": w2(blocks[0], baseline.refs[0]) / baseline.w2_floor}


def sinkhorn_cell(r):
    """S ×10⁻⁴ above an exact sample's: "+excess ± s.e." when significant, else "as exact (≤ bound)"."""
    if "sinkhorn_excess" not in r:
        return ""
    return read_nonnegative(1e4 * r["sinkhorn_excess"], 1e4 * r["sinkhorn_excess_se"], fmt=".2f", signed=True)


def energy_cell(r):
    """Energy z of the map's sample: the value when it shows a difference (z >= 2), else "as exact"."""
    return read_energy_z(r["energy_z"]) if "energy_z" in r else ""


SAMPLE_COLUMNS_NOTE = (
    "S ×10⁻⁴ above exact: the debiased Sinkhorn divergence (blur 5 % of the diameter) of the map's sample to a "
    "fresh target sample minus that of an exact target sample to the same reference, mean over {draws} paired "
    "draws of {n} points ± s.e.; within 2 s.e. of 0 it reads \"as exact\" with its upper 2-s.e. bound. Exact S: "
    "what the exact sample scores (the scale). Energy: the energy-distance U-statistic (mean 0 for equal laws) "
    "over the same draws; a z-score ≥ 2 is a difference, below it \"as exact\". W2 / floor, which a contracted "
    "sample can push below 1, is only in the CSV.")


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
    """``KL ± se``; ``as exact (≤ bound)`` when the estimate is within 2 s.e. of 0 (KL >= 0, so a
    lower or negative estimate is noise); ``inf (x % outside)`` when samples land where p = 0."""
    if np.isnan(r.get("kl", np.nan)):
        return ""
    if np.isinf(r["kl"]):
        return f"inf ({100 * r['outside']:.2f} % outside)"
    return read_nonnegative(r["kl"], r["kl_se"], fmt=".4f")


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
