"""cuda_utils.cu (``require 'libcuda_utils'``, the repository's own CUDA library, registered as the Lua global
``cuda_utils``): its two Lua functions, ``matting_laplacian`` and ``smooth_local_affine``, with their kernels'
maths written on the tensors' array module (NumPy for CPU tensors, CuPy for CUDA ones) instead of per-pixel CUDA
threads. The C refuses anything but CudaTensor/CudaIntTensor arguments (``luaT_checkudata``); these take either
device, so the CPU tests can run them. Accumulations are in float64, as the kernels' ``double`` sums; results are
float32 tensors of the input's type, as ``new_tensor_like(input)``. Pixels are the kernels': ``id = y * w + x``
(row-major) for the tensors, ``x * h + y`` (Matlab's column-major order) for the Laplacian's 1-based indices.

``error_map_local_affine``, which deepmatting_seg.lua's ErrorMapLocalAffine calls, is not in the library's
``funcs`` table (nor in the .cu): the Lua call would fail on a nil field, and so does the port's (AttributeError).
"""
# cuda_utils.cu defines EPS 1e-4 and never uses it; best_local_affine_kernel regularises with 1e-3 on the first
# three diagonal entries of M^T M (the ``epsilon`` argument it is given is unused too).
_DIAG = 1e-3


def _pixel_of_column_major(index0, h, w):
    """matting_laplacian_kernel's ``_x = c / h, _y = c % h; c' = _y * w + _x`` for 0-based column-major indices."""
    return (index0 % h) * w + index0 // h


def matting_laplacian(input, h, w, CSR_rowIdx, CSR_colIdx, CSR_val, N):
    """cuda_utils.cu lines 50-124: ``grad[:, p] = sum over the CSR row of p of 2 * val * input[:, q]``, i.e.
    2 L V_c for each of the 3 planes V_c of ``input`` (3 x h x w) and the matting Laplacian L given as N sorted
    (1-based row, 1-based column, value) entries; the kernel binary-searches the row, so rows must be sorted, as
    gen_laplacian.m writes them. Returns a new tensor shaped as ``input``."""
    xp = input.xp
    size = h * w
    rows = xp.asarray(CSR_rowIdx.array[:N], dtype=xp.int64) - 1
    cols = xp.asarray(CSR_colIdx.array[:N], dtype=xp.int64) - 1
    val = xp.asarray(CSR_val.array[:N], dtype=xp.float64)
    p = _pixel_of_column_major(rows, h, w)
    q = _pixel_of_column_major(cols, h, w)
    planes = input.contiguous().array.reshape(3, size).astype(xp.float64)
    grad = input.new(input.size()).zero()
    out = grad.array.reshape(3, size)
    for c in range(3):
        out[c] = xp.bincount(p, weights=2 * val * planes[c, q], minlength=size)
    return grad


def _shifted(a, dy, dx, fill=0):
    """``a[..., y + dy, x + dx]`` at every (y, x), ``fill`` where that falls outside the image."""
    H, W = a.shape[-2], a.shape[-1]
    out = a * 0 + fill
    ys, yd = (slice(dy, H), slice(0, H - dy)) if dy >= 0 else (slice(0, H + dy), slice(-dy, H))
    xs, xd = (slice(dx, W), slice(0, W - dx)) if dx >= 0 else (slice(0, W + dx), slice(-dx, W))
    out[..., yd, xd] = a[..., ys, xs]
    return out


def _best_local_affine(output, input, h, w, kernel_radius, xp):
    """best_local_affine_kernel (lines 293-383): per pixel the 3 x 4 affine map A = (M^T S)(M^T M)^-1 fitting the
    window's output colours S from its input colours M = [B2, B1, B0, 1] (planes 2, 1, 0 of the tensors), with
    1e-3 on M^T M's first three diagonal entries; A is zero where |det(M^T M)| < 1e-9 (InverseMat4x4 fails)."""
    M = xp.concatenate([input[::-1], xp.ones((1, h, w))]).astype(xp.float64)          # 4 x h x w
    S = output[::-1].astype(xp.float64)                                                # 3 x h x w
    MtM = xp.zeros((h, w, 4, 4))
    MtS = xp.zeros((h, w, 3, 4))
    for dy in range(-kernel_radius, kernel_radius + 1):
        for dx in range(-kernel_radius, kernel_radius + 1):
            m = _shifted(M, dy, dx)      # zeros outside the image, its constant plane too: no term there
            s = _shifted(S, dy, dx)
            MtM += xp.einsum('ihw,jhw->hwij', m, m)
            MtS += xp.einsum('ihw,jhw->hwij', s, m)
    MtM[..., [0, 1, 2], [0, 1, 2]] += _DIAG
    det = xp.linalg.det(MtM)
    ok = xp.abs(det) >= 1e-9
    inv = xp.zeros_like(MtM)
    inv[ok] = xp.linalg.inv(MtM[ok])
    return xp.einsum('hwik,hwjk->hwij', MtS, inv).reshape(h, w, 12)


def _bilateral_smooth(affine, guide, h, w, kernel_radius, sigma1, sigma2, xp):
    """bilateral_smooth_kernel (lines 386-431): each pixel's affine model averaged over a (2r+1)^2 window with
    weights exp(-(dx^2+dy^2) / (2 sigma1^2)) * exp(-|guide colour difference|^2 / 3 / (2 sigma2^2)) (float32
    weights, float64 sums), out-of-image neighbours left out."""
    sigma1, sigma2 = xp.float32(sigma1), xp.float32(sigma2)
    g = guide.astype(xp.float32)
    sum_affine = xp.zeros((h, w, 12))
    sum_weight = xp.zeros((h, w))
    inside = xp.ones((h, w), dtype=xp.float32)
    for dx in range(-kernel_radius, kernel_radius + 1):
        for dy in range(-kernel_radius, kernel_radius + 1):
            diff = _shifted(g, dy, dx) - g
            color_diff_sqr = (diff * diff).sum(0) / xp.float32(3)
            v1 = xp.exp(xp.float32(-(dx * dx + dy * dy)) / (2 * sigma1 * sigma1))
            v2 = xp.exp(-color_diff_sqr / (2 * sigma2 * sigma2))
            weight = (v1 * v2 * _shifted(inside, dy, dx)).astype(xp.float64)
            sum_affine += weight[..., None] * _shifted(affine.transpose(2, 0, 1), dy, dx).transpose(1, 2, 0)
            sum_weight += weight
    return sum_affine / sum_weight[..., None]


def smooth_local_affine(output, input, epsilon, patch, h, w, f_r, sigma1, sigma2):
    """cuda_utils.cu lines 461-518: the best local affine model of each (patch x patch) window mapping ``input``
    to ``output`` (both 3 x h x w, in [0, 1]), smoothed with a joint bilateral filter of radius ``f_r`` guided by
    ``input``, then applied to ``input``: the returned 3 x h x w tensor's plane k is row k of the filtered model
    applied to [input[2], input[1], input[0], 1] (reconstruction_best_kernel), so a BGR input gives an RGB
    result."""
    xp = input.xp
    I = input.contiguous().array.reshape(3, h, w)
    O = output.contiguous().array.reshape(3, h, w)
    radius = (patch - 1) // 2
    affine = _best_local_affine(O, I, h, w, radius, xp).astype(xp.float32)
    filtered = _bilateral_smooth(affine, I, h, w, f_r, sigma1, sigma2, xp).astype(xp.float32)
    M = xp.concatenate([I[::-1], xp.ones((1, h, w), dtype=I.dtype)]).astype(xp.float64)
    best = xp.einsum('hwij,jhw->ihw', filtered.reshape(h, w, 3, 4).astype(xp.float64), M)
    filtered_best_output = input.new(input.size()).zero()
    filtered_best_output.array.reshape(3, h, w)[...] = best
    return filtered_best_output
