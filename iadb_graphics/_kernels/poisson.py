"""Bridson's Poisson-disk dart throwing on the unit torus [0, 1)^2."""
import numpy as np
from numba import njit


@njit(cache=True)
def bridson_torus(radius, k, u, max_points):
    """Bridson (2007) sampling of the unit torus with minimum torus distance ``radius``.

    Parameters
    ----------
    radius : float in (0, 0.5)
    k : int, candidates tried around an active point before it retires
    u : (m,) float64 uniforms in [0, 1) from the caller, consumed in order: 2 for the first
        point, then per loop turn 1 (which active point) and 2 per candidate (radius in
        [r, 2r) uniform in area, angle)
    max_points : int, capacity of the output

    Returns
    -------
    points : (count, 2) float64
    exhausted : bool, True if ``u`` ran out before the active list emptied (the set is then
        valid but not maximal)
    """
    g = int(np.ceil(np.sqrt(2.0) / radius))
    grid = -np.ones((g, g), dtype=np.int64)
    pts = np.empty((max_points, 2))
    active = np.empty(max_points, dtype=np.int64)
    r2 = radius * radius
    m = u.shape[0]
    if m < 2 or max_points < 1:
        return pts[:0], True
    pts[0, 0] = u[0]
    pts[0, 1] = u[1]
    pos = 2
    grid[min(int(u[0] * g), g - 1), min(int(u[1] * g), g - 1)] = 0
    count = 1
    active[0] = 0
    n_active = 1
    while n_active > 0:
        if pos + 1 + 2 * k > m:
            return pts[:count], True
        a = min(int(u[pos] * n_active), n_active - 1)
        pos += 1
        base = active[a]
        found = False
        for _ in range(k):
            rr = radius * np.sqrt(1.0 + 3.0 * u[pos])
            ang = 2.0 * np.pi * u[pos + 1]
            pos += 2
            if found:
                continue
            cx = pts[base, 0] + rr * np.cos(ang)
            cy = pts[base, 1] + rr * np.sin(ang)
            cx -= np.floor(cx)
            cy -= np.floor(cy)
            if cx >= 1.0:
                cx = 0.0
            if cy >= 1.0:
                cy = 0.0
            gx = min(int(cx * g), g - 1)
            gy = min(int(cy * g), g - 1)
            ok = True
            for dx in range(-2, 3):
                if not ok:
                    break
                for dy in range(-2, 3):
                    j = grid[(gx + dx) % g, (gy + dy) % g]
                    if j >= 0:
                        ex = abs(pts[j, 0] - cx)
                        ey = abs(pts[j, 1] - cy)
                        ex = min(ex, 1.0 - ex)
                        ey = min(ey, 1.0 - ey)
                        if ex * ex + ey * ey < r2:
                            ok = False
                            break
            if ok and count < max_points:
                pts[count, 0] = cx
                pts[count, 1] = cy
                grid[gx, gy] = count
                active[n_active] = count
                n_active += 1
                count += 1
                found = True
        if not found:
            n_active -= 1
            active[a] = active[n_active]
    return pts[:count], False
