"""gen_laplacian/gen_laplacian.m and gen_laplacian/matting/getLaplacian1.m (Matlab; Levin, Lischinski and Weiss's
closed-form matting Laplacian) written in NumPy for the small images the tests use. Matlab's 1-based,
column-major pixel numbering is kept (``indsM = reshape(1:img_size, h, w)``), since the CSR file the Lua reads
holds those indices. The matrix is accumulated densely (``sparse`` sums repeated (row, column) entries, as
``np.add.at`` does here), which suits images of a few hundred pixels.

gen_laplacian.m's loop over the 60 example images is one call of ``gen_laplacian`` for one image already at its
working size: ``reshape_img(input, 700)`` (Matlab's ``imresize``) is not ported, nor the figure it shows; the
README asks that the Laplacian be computed at the resolution the Lua script uses, which the test's images have.
``save`` is legonn.matio's (a compressed MAT v7 file, as Matlab's default).
"""
import numpy as np

import legonn as lg
from legonn import matio


def getLaplacian1(I, consts, epsilon=0.0000001, win_size=1):
    """getLaplacian1.m: the (h w) x (h w) matting Laplacian of the h x w x c image ``I`` (values in [0, 1]):
    for each window w of (2 win_size + 1)^2 pixels away from the border, entries
    delta_ij - (1 + (I_i - mu)^T (Sigma + epsilon / |w| Id)^-1 (I_j - mu)) / |w| summed over the windows,
    written as diag(row sums of A) - A. ``consts`` (pixels with a known alpha) must be all zero here, as
    gen_laplacian.m passes it (the erosion ``imerode`` of a zero mask is zero)."""
    assert not np.any(consts), 'getLaplacian1: constrained pixels (imerode) are not ported'
    neb_size = (win_size * 2 + 1) ** 2
    h, w, c = I.shape
    img_size = w * h
    indsM = np.arange(1, img_size + 1).reshape(w, h).T          # reshape([1:img_size], h, w), column-major

    A = np.zeros((img_size, img_size))
    for j in range(win_size, w - win_size):
        for i in range(win_size, h - win_size):
            win_inds = indsM[i - win_size:i + win_size + 1, j - win_size:j + win_size + 1].flatten('F')
            winI = I[i - win_size:i + win_size + 1, j - win_size:j + win_size + 1, :]
            winI = winI.reshape(neb_size, c, order='F')
            win_mu = winI.mean(0)[:, None]
            win_var = np.linalg.inv(winI.T @ winI / neb_size - win_mu @ win_mu.T + epsilon / neb_size * np.eye(c))

            winI = winI - win_mu.T
            tvals = (1 + winI @ win_var @ winI.T) / neb_size
            # row_inds/col_inds/vals of the window, then A = sparse(row_inds, col_inds, vals, ...)
            np.add.at(A, (win_inds[:, None] - 1, win_inds[None, :] - 1), tvals)

    sumA = A.sum(1)
    A = np.diag(sumA) - A
    return A


def gen_laplacian(input, i, directory='.'):
    """gen_laplacian.m's loop body for image ``i`` (``input``: h x w x 3 in [0, 1], im2double's): the Laplacian,
    its nonzero entries as ``CSR = [Ai, Aj, Aval]`` ordered by row, then column (sparse_to_csr's order, with
    ``Ai = sort(Ai)``), 1-based, saved as ``Input_Laplacian_3x3_1e-7_CSR<i>.mat``. Returns the file's path and
    the matrix."""
    h, w, c = input.shape
    A = getLaplacian1(input, np.zeros((h, w)), 1e-7, 1)

    # [Ai, Aj, Aval] = find(A) lists the entries column by column; sparse_to_csr regroups them by row, keeping
    # that column order inside a row, and sort(Ai) gives the matching rows: row-major order of the nonzeros
    Ai, Aj = np.nonzero(A)
    Aval = A[Ai, Aj]
    CSR = np.stack([Ai + 1, Aj + 1, Aval], 1)
    path = f'{directory}/Input_Laplacian_3x3_1e-7_CSR{i}.mat'
    matio.save(path, {'CSR': lg.from_numpy(CSR)})
    return path, A
