"""Plain-numpy twin of ``iadb_graphics._kernels.poisson.bridson_torus`` (brute-force distances)."""
import numpy as np


def bridson_torus(radius, k, u, max_points):
    """Same random stream and acceptance rule; each candidate is checked against all points."""
    pts = []
    active = []
    if len(u) < 2 or max_points < 1:
        return np.empty((0, 2)), True
    pts.append((u[0], u[1]))
    active.append(0)
    pos = 2
    while active:
        if pos + 1 + 2 * k > len(u):
            return np.array(pts).reshape(-1, 2), True
        a = min(int(u[pos] * len(active)), len(active) - 1)
        pos += 1
        base = np.array(pts[active[a]])
        found = False
        for _ in range(k):
            rr = radius * np.sqrt(1.0 + 3.0 * u[pos])
            ang = 2.0 * np.pi * u[pos + 1]
            pos += 2
            if found:
                continue
            c = base + rr * np.array([np.cos(ang), np.sin(ang)])
            c -= np.floor(c)
            c[c >= 1.0] = 0.0
            e = np.abs(np.array(pts) - c)
            e = np.minimum(e, 1.0 - e)
            if np.all((e ** 2).sum(1) >= radius ** 2) and len(pts) < max_points:
                pts.append((c[0], c[1]))
                active.append(len(pts) - 1)
                found = True
        if not found:
            active[a] = active[-1]
            active.pop()
    return np.array(pts).reshape(-1, 2), False
