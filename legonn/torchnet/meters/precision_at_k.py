"""PrecisionAtKMeter (torchnet's meter/precisionatkmeter.lua, with the top-k buffer of meter/init.lua's
``__updatetopk`` for its online mode)."""
import numpy as np

from ...tensor.indexing import is_whole
from ..arguments import named_table
from .meter import Meter, by_level, levels, lua_div, scores_and_targets
from .torch_order import sort_rows, top_rows


class PrecisionAtKMeter(Meter):
    """The precision@k in % for each level k of ``topk`` (default [10]): the share of the k top-scoring items
    that are positive targets. Scores and k-hot targets come as N x C tensors (or one query's C): each line along
    ``dim`` (0-based: 1, the default, ranks each query's C documents, as torchnet's dim 2; 0 ranks along the
    columns) is ranked as Torch7's topk ranks it (ties in its order). Normally every add brings new queries; with
    ``online`` the same queries get more documents at every add and the meter keeps each line's k best so far.
    ``value()`` returns {k: precision}, ``value(k)`` one of them."""

    @named_table
    def __init__(self, topk=(10,), dim=1, online=False):
        if dim not in (0, 1) or not is_whole(dim):
            raise ValueError(f"tnt.PrecisionAtKMeter: value of dimension should be 0 or 1 (0-based), got {dim!r}")
        self.topk = levels(self, 'topk', topk)
        self.maxk = self.topk[-1]
        self.dim = int(dim)
        self.online = bool(online)
        self.reset()

    def reset(self):
        self.tp = {k: 0 for k in self.topk}
        self.n = 0
        self._top_output = self._top_target = None

    def _lines(self, array):
        """``array`` (2-D) as rows that each hold one line along ``dim``."""
        return array if self.dim == 1 else array.T

    @named_table
    def add(self, output, target):
        out, tgt = scores_and_targets(self, output, target)
        out, tgt = self._lines(out), self._lines(tgt)
        if self.online:
            self._update_top(out, tgt)
            self.n = out.shape[0]
            return
        if out.shape[1] < self.maxk:
            raise ValueError(f"{self.name}.add: topk {self.maxk} is larger than the {out.shape[1]} items along "
                             f"dim {self.dim}")
        ranked = np.take_along_axis(tgt, top_rows(out.astype(np.float64), self.maxk), axis=1)
        for k in self.topk:
            self.tp[k] += ranked[:, :k].sum()
        self.n += out.shape[0]

    def _update_top(self, out, tgt):
        """Keeps the maxk best scores of each line (and their targets) among those kept and the new ones, in the
        order Torch7's unsorted topk leaves them, in the first output's and target's types."""
        if self._top_output is None:
            self._top_output = np.full((out.shape[0], self.maxk), -np.inf, dtype=out.dtype)
            self._top_target = np.zeros((out.shape[0], self.maxk), dtype=tgt.dtype)
        if out.shape[0] != self._top_output.shape[0]:
            raise ValueError(f"{self.name}.add: online mode keeps {self._top_output.shape[0]} lines along dim "
                             f"{1 - self.dim}, got {out.shape[0]}")
        scores = np.concatenate([self._top_output, out.astype(self._top_output.dtype)], axis=1)
        targets = np.concatenate([self._top_target, tgt.astype(self._top_target.dtype)], axis=1)
        top = top_rows(scores.astype(np.float64), self.maxk, sort=False)
        self._top_output = np.take_along_axis(scores, top, axis=1)
        self._top_target = np.take_along_axis(targets, top, axis=1)

    @named_table
    def value(self, k=None):
        if self.online:
            if self._top_output is None:
                raise ValueError(f"{self.name}.value: nothing was added")
            order = sort_rows(self._top_output.astype(np.float64), descending=True)
            ranked = np.take_along_axis(self._top_target, order, axis=1)
            for level in self.topk:
                self.tp[level] = ranked[:, :level].sum()
        return by_level(self, k, self.tp, lambda k: lua_div(self.tp[k], self.n * k) * 100,
                        lambda k: f"invalid k {k!r} (the meter measures topk {self.topk})")
