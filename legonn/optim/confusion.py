"""Torch7's ``optim.ConfusionMatrix``: counts of (target, prediction) pairs and the accuracies they give."""
import math
import numbers

import numpy as np

from ..tensor import LongTensor, FloatTensor, as_tensor


def _host(values, nclasses, score_ndim):
    """Class indices or scores as a host NumPy array; scores (``score_ndim`` dimensions, one entry per class)
    are reduced to their argmax on their own device first, so a GPU batch sends back indices only. A single
    score vector (``add``) is one even with one class; an N x 1 batch is N indices, as batchAdd reads it.
    Fewer scores than classes are scores too: ConfusionMatrix.lua takes the max of whatever columns come, which
    are classes of the matrix (a net of 2 outputs counted in a 1000-class matrix, as ImageNet-Training's Main.lua
    does with a smaller net); more columns than classes stay as they are, for the callers to refuse."""
    if isinstance(values, numbers.Number):
        return np.asarray(values)
    arr = as_tensor(values).array
    if arr.ndim == score_ndim and 0 < arr.shape[-1] <= nclasses and (score_ndim == 1 or arr.shape[-1] > 1):
        # ConfusionMatrix.lua copies the scores into its FloatTensor buffers before taking the max, so scores
        # that differ only beyond float precision tie there, and the first of them wins
        arr = arr.astype(np.float32, copy=False).argmax(axis=-1)
    return arr.get() if hasattr(arr, 'get') else arr


class ConfusionMatrix:
    """A ``nclasses x nclasses`` count matrix ``mat[target, prediction]``; class indices are 0-based.

    ``ConfusionMatrix(10)`` or ``ConfusionMatrix(['cat', 'dog'])`` (or ``{0: 'cat', 1: 'dog'}``, or Torch7's
    ``ConfusionMatrix(n, names)``; a None name is a hole of the Lua table). Feed it with ``add(prediction, target)`` or
    ``batchAdd(predictions, targets)``; a prediction is a class index or a
    vector of scores (its argmax), a target an index or a one-hot vector;
    negative targets mean "missing" and are skipped. ``updateValids()`` fills
    ``valids`` (per-class accuracy, the row-normalised diagonal),
    ``unionvalids`` (VOC measure), ``totalValid`` (global accuracy),
    ``averageValid`` and ``averageUnionValid``; ``print(cm)`` shows the table.
    """

    lua_package = 'optim'   # optim's ConfusionMatrix.lua:13: torch.class('optim.ConfusionMatrix')

    def __init__(self, nclasses, classes=None):
        if isinstance(nclasses, dict):
            # a Lua sequence filled by index (``CLASSES[v] = k`` from pairs: kaggle-cifar10-torch7's SETTINGS.lua) is
            # a dict of 0-based keys in a port; ConfusionMatrix.lua:16-19 takes any table, its size ``#classes``
            if set(nclasses) != set(range(len(nclasses))):
                raise ValueError(f"optim.ConfusionMatrix: a dict of class names must have the keys 0 .. n-1 (0-based "
                                 f"class indices), got keys {sorted(nclasses, key=repr)!r}")
            nclasses = [nclasses[i] for i in range(len(nclasses))]
        if isinstance(nclasses, (list, tuple)):
            classes, nclasses = list(nclasses), len(nclasses)
        if isinstance(nclasses, bool) or not isinstance(nclasses, numbers.Integral) or nclasses < 1:
            raise ValueError(f"optim.ConfusionMatrix: expected a positive class count or a list of class names, "
                             f"got {nclasses!r}")
        self.nclasses = int(nclasses)
        self.classes = list(classes) if classes else []
        self.mat = LongTensor(self.nclasses, self.nclasses)
        self.valids = FloatTensor(self.nclasses)
        self.unionvalids = FloatTensor(self.nclasses)
        self.totalValid = 0.0
        self.averageValid = 0.0
        self.averageUnionValid = 0.0

    def _indices(self, values, what, allow_missing):
        idx = values.astype(np.int64)
        if np.any(idx != values):
            raise ValueError(f"optim.ConfusionMatrix: {what} must be class indices, got non-integer values")
        low = -math.inf if allow_missing else 0
        bad = (idx >= self.nclasses) | (idx < low)
        if bad.any():
            raise ValueError(f"optim.ConfusionMatrix: {what} must lie in [0, {self.nclasses}) (0-based), got "
                             f"{int(idx[bad][0])}")
        return idx

    def _classes_of(self, values, what):
        """Indices from a vector of indices, or from an N x C table of scores / one-hot rows (argmax)."""
        arr = _host(values, self.nclasses, 2)
        if arr.ndim == 2:
            if arr.shape[1] == 1:
                arr = arr[:, 0]
            else:
                raise ValueError(f"optim.ConfusionMatrix: {what} has {arr.shape[1]} columns, expected "
                                 f"{self.nclasses} (one per class) or fewer")
        if arr.ndim != 1:
            raise ValueError(f"optim.ConfusionMatrix: {what} must be 1-D (indices) or 2-D (N x classes), got "
                             f"{arr.ndim} dimensions")
        return arr

    def add(self, prediction, target):
        """Count one sample: ``prediction`` an index or a score vector, ``target`` an index or a one-hot vector."""
        p, t = _host(prediction, self.nclasses, 1), _host(target, self.nclasses, 1)
        for name, arr in (('prediction', p), ('target', t)):
            if arr.ndim != 0:
                raise ValueError(f"optim.ConfusionMatrix.add: {name} must be an index or a vector of at most "
                                 f"{self.nclasses} scores")
        p = self._indices(p.reshape(1), 'prediction', False)[0]
        t = self._indices(t.reshape(1), 'target', True)[0]
        if t >= 0:
            self.mat.array[t, p] += 1

    def batchAdd(self, predictions, targets):
        """Count a batch: ``predictions`` N indices or N x C scores, ``targets`` N indices or N x C one-hot."""
        preds = self._classes_of(predictions, 'predictions')
        targs = self._classes_of(targets, 'targets')
        if preds.shape[0] != targs.shape[0]:
            raise ValueError(f"optim.ConfusionMatrix.batchAdd: {preds.shape[0]} predictions but "
                             f"{targs.shape[0]} targets")
        targs = self._indices(targs, 'targets', True)
        keep = targs >= 0
        preds = self._indices(preds[keep], 'predictions', False)
        counts = np.bincount(targs[keep] * self.nclasses + preds, minlength=self.nclasses ** 2)
        self.mat.array += counts.reshape(self.nclasses, self.nclasses)

    def zero(self):
        self.mat.zero()
        self.valids.zero()
        self.unionvalids.zero()
        self.totalValid = self.averageValid = self.averageUnionValid = 0.0

    def updateValids(self):
        """Per-class and global accuracies from the counts (classes never seen give NaN and are skipped)."""
        mat = self.mat.array.astype(np.float64)
        diag = np.diag(mat)
        rows, cols = mat.sum(axis=1), mat.sum(axis=0)
        with np.errstate(invalid='ignore', divide='ignore'):
            valids = diag / rows
            union = diag / (rows + cols - diag)
            self.totalValid = float(diag.sum() / mat.sum()) if mat.sum() else math.nan
        self.valids.array[...] = valids
        self.unionvalids.array[...] = union
        seen = ~np.isnan(valids)
        both = seen & ~np.isnan(union)
        # averaged from the stored (float32) valids, as ConfusionMatrix.lua reads them back from its FloatTensors,
        # so the printed averages agree with Torch7's to every printed digit
        stored, stored_union = self.valids.array.astype(np.float64), self.unionvalids.array.astype(np.float64)
        self.averageValid = float(stored[seen].mean()) if seen.any() else math.nan
        self.averageUnionValid = float(stored_union[both].mean()) if both.any() else math.nan

    def farFrr(self):
        """False rejection and false acceptance rates, Torch7's ``farFrr``: ``(classFrrs, classFars, frrs,
        fars)``. For a class i with samples, FRR = 1 - mat[i, i] / (samples of i) and FAR is the mean, over
        the other classes j with samples, of mat[j, i] / (samples of j). ``classFrrs``/``classFars`` hold
        one entry per class (-1 for a class without samples); ``frrs``/``fars`` only the classes with samples."""
        mat = self.mat.array.astype(np.float64)
        counts = mat.sum(axis=1)
        seen = counts > 0
        with np.errstate(invalid='ignore', divide='ignore'):
            rates = mat / counts[:, None]             # row j: how class j's samples were classified
            frr = 1 - np.diag(rates)
            others = seen[:, None] & ~np.eye(self.nclasses, dtype=bool)       # [j, i]: j seen, j != i
            far = np.where(others, rates, 0).sum(axis=0) / others.sum(axis=0)
        class_frrs, class_fars = np.where(seen, frr, -1.0), np.where(seen, far, -1.0)
        return FloatTensor(class_frrs), FloatTensor(class_fars), FloatTensor(frr[seen]), FloatTensor(far[seen])

    def classAccuracy(self, cls):
        """Accuracy on class ``cls`` (0-based index or name), after ``updateValids``."""
        if isinstance(cls, str):
            cls = self.classes.index(cls)
        return float(self.valids.array[cls])

    def __str__(self):
        self.updateValids()
        mat = self.mat.array
        n = self.nclasses
        max_cnt = int(mat.max())
        width = max(8, 1 + math.ceil(math.log10(max_cnt))) if max_cnt > 0 else 8
        lines = []
        for t in range(n):
            cells = ''.join(f'{int(v):{width}d}' for v in mat[t])
            close = ']]  ' if t == n - 1 else ']   '
            line = ('[[' if t == 0 else ' [') + cells + close + f'{float(self.valids.array[t]) * 100:2.3f}% '
            # Lua's `self.classes[1]` and `self.classes[t] or ''`: None stands for a hole in the Lua table of names
            if self.classes and self.classes[0] is not None:
                name = self.classes[t] if t < len(self.classes) else None
                line += f"\t[class: {'' if name is None else name}]"
            lines.append(line)
        lines.append(f' + average row correct: {self.averageValid * 100:.14g}% ')
        lines.append(f' + average rowUcol correct (VOC measure): {self.averageUnionValid * 100:.14g}% ')
        lines.append(f' + global correct: {self.totalValid * 100:.14g}%')
        return 'ConfusionMatrix:\n' + '\n'.join(lines)

    __repr__ = __str__
