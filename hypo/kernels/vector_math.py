"""exp, log, sin, cos, tanh and powers over row-vectors, in loops the compiler vectorizes.

numba compiles ``np.exp`` in a loop to one call of the C library per row,
which leaves the SIMD units idle; transcendental functions were most of the
interpreter's time.  The loops below are branch-free arithmetic, so LLVM
turns them into vector instructions (four to eight times faster).  The
algorithms are the classic ones of Sun's fdlibm and of Cephes (Cody–Waite
range reduction, then a minimax polynomial or rational approximation on the
reduced range); the code is ours.  Inside the stated ranges the error is
about one unit in the last place; a block holding any argument outside them
(NaN, infinities, zero or negative logarithms, huge angles, results that
would be subnormal) is computed by numpy's scalar functions instead, so the
results agree with numpy everywhere.

Each function works in place on the first ``m`` entries of row ``row`` of the
2-D array ``s`` (rows of the interpreter's stack are addressed by index:
taking a view per node costs more than the arithmetic on a few dozen rows);
``bits`` is an ``int64`` scratch vector of at least ``m`` entries and
``real`` its float64 view (``bits.view(np.float64)``), through which the
binary form of a float is read and written; row :data:`REPAIR` of the float
array ``scratch`` keeps the arguments outside a function's fast range, when
a block has any, so that they are recomputed by numpy after the fast loop.
Callers keep their own temporaries in the other rows of ``scratch``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

JIT = dict(cache=True, error_model="numpy", nogil=True, fastmath={"contract"}, _nrt=False)
"""Compiled without numba's reference counting (``_nrt=False``): these loops
allocate nothing, and the counting of every array passed to a helper was
most of the cost of a node on a few dozen rows."""

REDUCE_JIT = dict(JIT, fastmath={"contract", "reassoc"})
"""For kernels that sum over rows: reassociation lets sums vectorize (they
differ from a sequential sum by rounding only).  Not for the functions
above, whose error-free transformations depend on the order of operations."""

REPAIR = 3
"""Row of ``scratch`` reserved for arguments outside a fast range."""

# --- exp (fdlibm e_exp.c) -------------------------------------------------------
LOG2E = 1.44269504088896338700e+00
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
EXP_P1 = 1.66666666666666019037e-01
EXP_P2 = -2.77777777770155933842e-03
EXP_P3 = 6.61375632143793436117e-05
EXP_P4 = -1.65339022054652515390e-06
EXP_P5 = 4.13813679705723846039e-08
EXP_HIGH = 7.09782712893383973096e+02
EXP_LOW = -7.08396418532264106224e+02
"""The fast path covers ``EXP_LOW <= x <= EXP_HIGH`` (normal results)."""
EXP_UNDERFLOW = -7.45133219101941108420e+02


@njit(**JIT)
def _all_within(s, row, m, low, high):
    inside = True
    for i in range(m):
        inside &= low <= s[row, i] <= high  # false for NaN
    return inside


@njit(**JIT)
def _keep_outside(s, row, m, low, high, scratch):
    """Whether some argument lies outside ``[low, high]`` (or is NaN); if so
    the arguments are copied to ``scratch[srow]`` for the repair that follows
    the fast loop (which then runs on clamped values)."""
    srow = REPAIR
    if _all_within(s, row, m, low, high):
        return False
    for i in range(m):
        scratch[srow, i] = s[row, i]
        s[row, i] = min(max(s[row, i], low), high) if s[row, i] == s[row, i] else low
    return True


@njit(**JIT)
def exp_rows(s, row, m, bits, real, scratch):
    """``s[row, :m] = exp(s[row, :m])``."""
    repair = _keep_outside(s, row, m, EXP_LOW, EXP_HIGH, scratch)
    for i in range(m):
        x = s[row, i]
        k = np.floor(x * LOG2E + 0.5)
        hi = x - k * LN2_HI
        lo = k * LN2_LO
        r = hi - lo
        z = r * r
        c = r - z * (EXP_P1 + z * (EXP_P2 + z * (EXP_P3 + z * (EXP_P4 + z * EXP_P5))))
        s[row, i] = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
        bits[i] = (np.int64(k) + 1022) << 52  # 2**(k-1): 2**1024 has no float
    for i in range(m):
        s[row, i] = (s[row, i] * 2.0) * real[i]
    if repair:
        subnormal = False
        for i in range(m):  # branch-free, so it vectorizes too
            x = scratch[REPAIR, i]
            value = s[row, i]
            value = x + np.inf if (x > EXP_HIGH or x != x) else value  # inf, or NaN for NaN
            value = 0.0 if x < EXP_UNDERFLOW else value
            subnormal |= EXP_UNDERFLOW <= x < EXP_LOW
            s[row, i] = value
        if subnormal:  # results below the normal range: rare enough for the C library
            for i in range(m):
                x = scratch[REPAIR, i]
                if EXP_UNDERFLOW <= x < EXP_LOW:
                    s[row, i] = np.exp(x)


# --- log (fdlibm e_log.c) ----------------------------------------------------------
SQRT2 = 1.41421356237309514547
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
SMALLEST_NORMAL = 2.2250738585072014e-308
LARGEST = 1.7976931348623157e+308
MANTISSA = 0x000FFFFFFFFFFFFF
EXPONENT_ONE = 0x3FF0000000000000


@njit(**JIT)
def log_rows(s, row, m, bits, real, scratch):
    """``s[row, :m] = log(s[row, :m])`` (zero, negative, subnormal and
    non-finite arguments are repaired)."""
    repair = _keep_outside(s, row, m, SMALLEST_NORMAL, LARGEST, scratch)
    for i in range(m):
        real[i] = s[row, i]
    for i in range(m):
        b = bits[i]
        s[row, i] = np.float64((b >> 52) - 1023)  # the binary exponent, kept in s
        bits[i] = (b & MANTISSA) | EXPONENT_ONE
    for i in range(m):
        mantissa = real[i]  # in [1, 2)
        k = s[row, i]
        if mantissa > SQRT2:
            mantissa *= 0.5
            k += 1.0
        f = mantissa - 1.0
        t = f / (2.0 + f)
        z = t * t
        w = z * z
        t1 = w * (LG2 + w * (LG4 + w * LG6))
        t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
        half_square = 0.5 * f * f
        s[row, i] = k * LN2_HI - ((half_square - (t * (half_square + t1 + t2) + k * LN2_LO)) - f)
    if repair:
        subnormal = False
        for i in range(m):  # branch-free, so it vectorizes too
            x = scratch[REPAIR, i]
            value = s[row, i]
            value = np.nan if (x < 0.0 or x != x) else value
            value = -np.inf if x == 0.0 else value
            value = np.inf if x > LARGEST else value
            subnormal |= 0.0 < x < SMALLEST_NORMAL
            s[row, i] = value
        if subnormal:
            for i in range(m):
                x = scratch[REPAIR, i]
                if 0.0 < x < SMALLEST_NORMAL:
                    s[row, i] = np.log(x)


# --- sin and cos (fdlibm k_sin.c, k_cos.c, medium range reduction) -------------------
TWO_OVER_PI = 6.36619772367581382433e-01
PIO2_1 = 1.57079632673412561417e+00
PIO2_2 = 6.07710050630396597660e-11
PIO2_2T = 2.02226624879595063154e-21
SIN_1 = -1.66666666666666324348e-01
SIN_2 = 8.33333333332248946124e-03
SIN_3 = -1.98412698298579493134e-04
SIN_4 = 2.75573137070700676789e-06
SIN_5 = -2.50507602534068634195e-08
SIN_6 = 1.58969099521155010221e-10
COS_1 = 4.16666666666666019037e-02
COS_2 = -1.38888888888741095749e-03
COS_3 = 2.48015872894767294178e-05
COS_4 = -2.75573143513906633035e-07
COS_5 = 2.08757232129817482790e-09
COS_6 = -1.13596475577881948265e-11
ANGLE_LIMIT = 1.0e5
"""Largest |angle| reduced here; beyond it numpy's full reduction is used."""


@njit(**JIT)
def _sin_cos_rows(s, row, m, cosine, scratch):
    repair = _keep_outside(s, row, m, -ANGLE_LIMIT, ANGLE_LIMIT, scratch)
    shift = 1 if cosine else 0
    for i in range(m):
        x = s[row, i]
        n = np.floor(x * TWO_OVER_PI + 0.5)
        r = ((x - n * PIO2_1) - n * PIO2_2) - n * PIO2_2T
        z = r * r
        sine = r + r * z * (SIN_1 + z * (SIN_2 + z * (SIN_3 + z * (SIN_4 + z * (SIN_5 + z * SIN_6)))))
        half = 0.5 * z
        w = 1.0 - half
        tail = z * z * (COS_1 + z * (COS_2 + z * (COS_3 + z * (COS_4 + z * (COS_5 + z * COS_6)))))
        cos_r = w + (((1.0 - w) - half) + tail)
        quadrant = np.int64(n) + shift
        value = cos_r if quadrant & 1 else sine
        s[row, i] = -value if quadrant & 2 else value
    if repair:
        huge = False
        for i in range(m):
            x = scratch[REPAIR, i]
            s[row, i] = np.nan if x - x != 0.0 else s[row, i]
            huge |= (x - x == 0.0) and not -ANGLE_LIMIT <= x <= ANGLE_LIMIT
        if huge:
            for i in range(m):
                x = scratch[REPAIR, i]
                if x - x == 0.0 and not -ANGLE_LIMIT <= x <= ANGLE_LIMIT:
                    s[row, i] = np.cos(x) if cosine else np.sin(x)


@njit(**JIT)
def sin_rows(s, row, m, scratch):
    """``s[row, :m] = sin(s[row, :m])``."""
    _sin_cos_rows(s, row, m, False, scratch)


@njit(**JIT)
def cos_rows(s, row, m, scratch):
    """``s[row, :m] = cos(s[row, :m])``."""
    _sin_cos_rows(s, row, m, True, scratch)


# --- tanh (Cephes tanh.c for small |x|, exp beyond) ------------------------------------
TANH_P0 = -9.64399179425052238628e-1
TANH_P1 = -9.92877231001918586564e1
TANH_P2 = -1.61468768441708447952e3
TANH_Q0 = 1.12811678491632931402e2
TANH_Q1 = 2.23548839060100448583e3
TANH_Q2 = 4.84406305325125486048e3
TANH_SMALL = 0.625
TANH_SATURATED = 22.0
"""Beyond this |x|, tanh(x) rounds to ±1."""


@njit(**JIT)
def tanh_rows(s, row, m, bits, real, scratch, scratch_row):
    """``s[row, :m] = tanh(s[row, :m])``, using row ``scratch_row`` of ``scratch``
    (NaN stays NaN, infinities saturate)."""
    for i in range(m):
        x = abs(s[row, i])
        scratch[scratch_row, i] = 2.0 * (x if x < TANH_SATURATED else TANH_SATURATED)
    exp_rows(scratch, scratch_row, m, bits, real, scratch)
    for i in range(m):
        x = s[row, i]
        z = x * x
        small = x + x * z * ((TANH_P0 * z + TANH_P1) * z + TANH_P2) / (((z + TANH_Q0) * z + TANH_Q1) * z + TANH_Q2)
        large = 1.0 - 2.0 / (scratch[scratch_row, i] + 1.0)
        value = small if abs(x) < TANH_SMALL else large
        value = value if x >= 0.0 or abs(x) < TANH_SMALL else -value
        s[row, i] = value if x == x else x


# --- powers with one exponent for every row ------------------------------------------
MAX_INTEGER_POWER = 8
"""Integer and half-integer exponents up to this size are repeated products
(and a square root): exact to rounding."""


@njit(**JIT)
def power_rows(s, row, m, exponent, bits, real, scratch, spare):
    """``s[row, :m] = s[row, :m] ** exponent`` with numpy's semantics (NaN for a
    negative base and a fractional exponent), keeping the bases in row
    ``spare`` of ``scratch``."""
    for i in range(m):
        scratch[spare, i] = s[row, i]
    magnitude = abs(exponent)
    twice = 2.0 * magnitude
    if twice == np.floor(twice) and magnitude <= MAX_INTEGER_POWER:
        whole = int(np.floor(magnitude))
        half = twice != 2.0 * whole
        for i in range(m):
            s[row, i] = np.sqrt(scratch[spare, i]) if half else 1.0
        for _ in range(whole):
            for i in range(m):
                s[row, i] *= scratch[spare, i]
        if exponent < 0:
            for i in range(m):
                s[row, i] = 1.0 / s[row, i]
        if half:  # -0.0, infinities and NaN by numpy's rules
            for i in range(m):
                x = scratch[spare, i]
                if not SMALLEST_NORMAL <= x <= LARGEST:
                    s[row, i] = np.power(x, exponent)
        return
    if exponent != exponent:
        for i in range(m):
            s[row, i] = np.nan
        return
    integer = exponent == np.floor(exponent)
    odd = integer and np.floor(exponent / 2.0) * 2.0 != exponent
    if integer:  # a negative base is fine: exp(b*log|a|) with the sign of a**b
        for i in range(m):
            s[row, i] = abs(s[row, i])
    log_rows(s, row, m, bits, real, scratch)
    for i in range(m):
        s[row, i] *= exponent
    exp_rows(s, row, m, bits, real, scratch)
    for i in range(m):
        x = scratch[spare, i]
        if odd and x < 0.0:
            s[row, i] = -s[row, i]
        if not SMALLEST_NORMAL <= abs(x) <= LARGEST:  # zero, subnormal, inf, NaN
            s[row, i] = np.power(x, exponent)


__all__ = ["cos_rows", "exp_rows", "log_rows", "power_rows", "sin_rows", "tanh_rows"]
