"""ClassSimplexCriterion: regression of each class onto a vertex of a regular simplex."""
import math

import numpy as np

from ..modules.base.errors import input_error
from ..tensor import Tensor, default_class
from ..tensor.introspection import typename as lua_typename
from .criterion import ALWAYS_AVERAGES
from .mse import MSECriterion


def regular_simplex(n):
    """(n + 1, n) array whose rows are the unit-norm vertices of a regular simplex centred at the origin."""
    a = np.zeros((n + 1, n))
    for k in range(n):
        if k == 0:
            a[k, k] = 1.0
        else:
            # ClassSimplexCriterion.lua's sqrt(1 - norm()^2): TH's normall sums the squares in order and takes
            # the root, and Lua squares that root again (a dot product rounds differently, by up to 1.7e-15)
            squares = 0.0
            for v in a[k, :k].tolist():
                squares += v * v
            a[k, k] = math.sqrt(1 - math.sqrt(squares) ** 2)
        a[k + 1:, k] = (a[k, k] ** 2 - 1 - 1 / n) / a[k, k]
    return a


class ClassSimplexCriterion(MSECriterion):
    """MSE between the input and the simplex vertex of the target class (Mroueh et al., 2015).

    ``ClassSimplexCriterion(nClasses)``; input ``(nClasses,)`` or ``(batch, nClasses)``;
    target one 0-based label per row. ``simplex`` is ``(nClasses, nClasses)``: row c is
    class c's embedding (a regular simplex in the first nClasses - 1 coordinates).
    ``getPredictions(input)`` gives the similarity to every vertex and
    ``getTopPrediction(input)`` the 0-based best class per row.
    """

    input_ranks = (1, 2)
    takes_labels = True
    unread_arguments_note = ALWAYS_AVERAGES

    def __init__(self, nClasses):
        super().__init__()
        if not isinstance(nClasses, int) or isinstance(nClasses, bool) or nClasses < 2:
            raise ValueError(f"ClassSimplexCriterion: nClasses must be an integer > 1, got {nClasses!r}")
        self.nClasses = nClasses
        self.simplex = default_class()(self._vertices())

    def _vertices(self):
        vertices = np.zeros((self.nClasses, self.nClasses))
        vertices[:, :self.nClasses - 1] = regular_simplex(self.nClasses - 1)
        return vertices

    def type(self, typename=None, cache=None):
        result = super().type(typename, cache)
        if typename is not None:
            # recomputed in float64, so that float -> double does not keep float32 rounding
            self.simplex.copy(Tensor._from_array(self._vertices()))
        return result

    def _embedded(self, input, target):
        self.checkInput(input)
        if input.size(-1) != self.nClasses:
            raise input_error(self, f"{self.nClasses} scores per row", f"input of size {tuple(input.size())}")
        self.checkLabels(input, target, self.nClasses)
        self.checkSameType(self.simplex, input, 'simplex')
        rows = self.simplex.array[target.array.reshape(-1)]
        self.bufferLike('_target', input)[...] = rows.reshape(input.array.shape)
        return self._target

    def updateOutput(self, input, target):
        return super().updateOutput(input, self._embedded(input, target))

    def updateGradInput(self, input, target):
        return super().updateGradInput(input, self._embedded(input, target))

    def getPredictions(self, input):
        x = input.array.reshape(-1, self.nClasses)
        return type(input)._from_array(x @ self.simplex.array.T)

    def getTopPrediction(self, input):
        scores = self.getPredictions(input).array
        return Tensor._from_array(scores.argmax(axis=1)).long()

    def clearState(self):
        return super().clearState('_target')

    def __repr__(self):
        return f"{lua_typename(self)}({self.nClasses})"
