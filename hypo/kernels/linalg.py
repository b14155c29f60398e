"""Dense linear algebra on the tiny matrices of constant fitting (k × k, k ≤ ~10).

LAPACK through numpy costs microseconds per call in set-up alone, more than
the arithmetic on a 3 × 3 system, and needs numba's allocator; these loops
work in place on preallocated arrays.  All act on the leading ``k × k``
block of their arguments.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from hypo.kernels.vector_math import JIT


@njit(**JIT)
def cholesky(a, k, lower):
    """Lower Cholesky factor of the leading ``k × k`` block of ``a`` into
    ``lower``; False when the block is not numerically positive definite."""
    for j in range(k):
        total = a[j, j]
        for p in range(j):
            total -= lower[j, p] * lower[j, p]
        if not total > 0.0:
            return False
        root = np.sqrt(total)
        lower[j, j] = root
        for i in range(j + 1, k):
            value = a[i, j]
            for p in range(j):
                value -= lower[i, p] * lower[j, p]
            lower[i, j] = value / root
        for i in range(j):
            lower[i, j] = 0.0
    return True


@njit(**JIT)
def cholesky_solve(lower, k, rhs, out):
    """``out = A⁻¹ rhs`` from the Cholesky factor of ``A``."""
    for i in range(k):
        value = rhs[i]
        for p in range(i):
            value -= lower[i, p] * out[p]
        out[i] = value / lower[i, i]
    for i in range(k - 1, -1, -1):
        value = out[i]
        for p in range(i + 1, k):
            value -= lower[p, i] * out[p]
        out[i] = value / lower[i, i]


@njit(**JIT)
def cholesky_inverse(lower, k, column, out):
    """``out = A⁻¹`` from the Cholesky factor of ``A`` (``column`` is scratch of length k)."""
    for j in range(k):
        for i in range(k):
            column[i] = 1.0 if i == j else 0.0
        cholesky_solve(lower, k, column, column)
        for i in range(k):
            out[i, j] = column[i]


JACOBI_SWEEPS = 30
"""Cyclic Jacobi sweeps; each squares the off-diagonal mass, so a handful
suffice for double precision on matrices this small."""


@njit(**JIT)
def symmetric_eigenvalue_range(a, k, work):
    """Smallest and largest eigenvalue of the symmetric ``k × k`` block of ``a``
    (cyclic Jacobi rotations on a copy in ``work``)."""
    for i in range(k):
        for j in range(k):
            work[i, j] = a[i, j]
    for _ in range(JACOBI_SWEEPS):
        off = 0.0
        diagonal = 0.0
        for i in range(k):
            diagonal += work[i, i] * work[i, i]
            for j in range(i + 1, k):
                off += work[i, j] * work[i, j]
        if off <= 1e-36 * diagonal:  # the rest moves no eigenvalue by a rounding error
            break
        for p in range(k):
            for q in range(p + 1, k):
                apq = work[p, q]
                if apq == 0.0:
                    continue
                theta = (work[q, q] - work[p, p]) / (2.0 * apq)
                t = np.sign(theta) / (abs(theta) + np.sqrt(theta * theta + 1.0)) if theta != 0.0 else 1.0
                c = 1.0 / np.sqrt(t * t + 1.0)
                s = t * c
                for r in range(k):
                    arp = work[r, p]
                    arq = work[r, q]
                    work[r, p] = c * arp - s * arq
                    work[r, q] = s * arp + c * arq
                for r in range(k):
                    apr = work[p, r]
                    aqr = work[q, r]
                    work[p, r] = c * apr - s * aqr
                    work[q, r] = s * apr + c * aqr
    smallest = work[0, 0]
    largest = work[0, 0]
    for i in range(1, k):
        smallest = min(smallest, work[i, i])
        largest = max(largest, work[i, i])
    return smallest, largest
