"""SparseJacobian: finite-difference checks for modules fed sparse (index, value) input (Torch7's nn.SparseJacobian).

The input is one ``(nnz, 2)`` tensor of (0-based index, value) rows, SparseLinear's form.
Only the values are perturbed and differentiated: the Jacobian has one row per input
entry. The module's ``gradInput`` (a tensor, or a list of one as SparseLinear's for a single
input) must be ``(m, 2)`` rows of (index, d loss / d value), one per entry (Torch7's old
layout) or one per feature (SparseLinear with ``doGradInput=True``); each entry takes the
row carrying its index. As SparseJacobian.lua, a wider 2-D input ``(n, k)``, k > 2, is also
taken: its column 1 is perturbed and compared with column 1 of a gradInput of the input's
size, row by row (nn's test.lua checks PartialLinear so). Parameter checks are those of
``Jacobian`` with the values refilled first; ``testIO`` and ``testAllUpdate`` are
``Jacobian``'s. Use float64 modules and inputs.
"""
import numpy as np

from ...tensor import as_tensor_tree
from .jacobian import Jacobian, _as_double_tensor, _flat, _unit_grads


def _sparse_input(input):
    input = as_tensor_tree(input)
    if not hasattr(input, 'dim') or input.dim() != 2 or input.size(1) < 2 or input.dtype.kind != 'f':
        got = f"size {tuple(input.size())} of {input.type()}" if hasattr(input, 'dim') else type(input).__name__
        raise ValueError(f"SparseJacobian: expected a floating-point (nnz, 2) input of (index, value) rows "
                         f"(or a wider 2-D one, whose column 1 is checked), got {got}")
    return input


def _one_tensor(gi):
    """A gradInput as one tensor: a list of one (SparseLinear's table for a single input) is its entry."""
    return gi[0] if isinstance(gi, list) and len(gi) == 1 else gi


class SparseJacobian:
    """Gradient checks for sparse-input modules; every method is static, as in Torch7."""

    @staticmethod
    def forward(module, input, param=None, perturbation=1e-6):
        """Central differences (a DoubleTensor): rows the input values (or ``param``'s elements), columns the
        outputs."""
        return _as_double_tensor(SparseJacobian._forward(module, input, param, perturbation))

    @staticmethod
    def backward(module, input, param=None, dparam=None):
        """The same Jacobian (a DoubleTensor) from backprop with one-hot gradOutputs (``dparam``: ``param``'s
        gradient)."""
        return _as_double_tensor(SparseJacobian._backward(module, input, param, dparam))

    @staticmethod
    def _forward(module, input, param=None, perturbation=1e-6):
        input = _sparse_input(input)
        return Jacobian._forward(module, input, param if param is not None else input.select(1, 1), perturbation)

    @staticmethod
    def _backward(module, input, param=None, dparam=None):
        input = _sparse_input(input)
        if param is not None:
            return Jacobian._backward(module, input, param, dparam)
        wide = input.size(1) > 2
        indices = None if wide else _flat(input).reshape(-1, 2)[:, 0]
        columns = []
        for grad in _unit_grads(module.forward(input)):
            gi = _one_tensor(module.updateGradInput(input, grad))
            if wide:
                # SparseJacobian.lua's din:select(2, 2): row i of the gradient belongs to row i of the input
                if not hasattr(gi, 'dim') or gi.size() != input.size():
                    got = f"size {tuple(gi.size())}" if hasattr(gi, 'dim') else type(gi).__name__
                    raise ValueError(f"SparseJacobian: expected {module.shortName()}'s gradInput of the input's "
                                     f"size {tuple(input.size())}, got {got}")
                columns.append(_flat(gi.select(1, 1)))
                continue
            rows = _flat(gi)
            if not hasattr(gi, 'dim') or gi.dim() != 2 or gi.size(1) != 2:
                got = f"size {tuple(gi.size())}" if hasattr(gi, 'dim') else type(gi).__name__
                raise ValueError(f"SparseJacobian: expected {module.shortName()}'s gradInput as (m, 2) rows of "
                                 f"(index, gradient) (SparseLinear needs doGradInput=True), got {got}")
            rows = rows.reshape(-1, 2)
            match = rows[None, :, 0] == indices[:, None]
            missing = ~match.any(axis=1)
            if missing.any():
                raise ValueError(f"SparseJacobian: {module.shortName()}'s gradInput has no row for input index "
                                 f"{indices[missing][0]:g}")
            columns.append(rows[match.argmax(axis=1), 1])
        return np.array(columns).T

    @staticmethod
    def _refill(input, minval, maxval):
        input = _sparse_input(input)
        input.select(1, 1).uniform(minval, maxval)
        return input

    @staticmethod
    def testJacobian(module, input, minval=-2, maxval=2, perturbation=1e-6):
        """max |finite-difference - backprop| of d output / d values; the values are refilled in [minval, maxval]."""
        input = SparseJacobian._refill(input, minval, maxval)
        estimate = SparseJacobian._forward(module, input, perturbation=perturbation)
        exact = SparseJacobian._backward(module, input)
        return float(np.abs(estimate - exact).max()) if estimate.size else 0.0

    @staticmethod
    def testJacobianParameters(module, input, param, dparam, minval=-2, maxval=2, perturbation=1e-6):
        """max |finite-difference - backprop| of d output / d ``param`` (values and ``param`` refilled)."""
        input = SparseJacobian._refill(input, minval, maxval)
        param.uniform(minval, maxval)
        estimate = Jacobian._forward(module, input, param, perturbation)
        exact = Jacobian._backward(module, input, param, dparam)
        return float(np.abs(estimate - exact).max()) if estimate.size else 0.0

    @staticmethod
    def testJacobianUpdateParameters(module, input, param, minval=-2, maxval=2, perturbation=1e-6):
        """As ``Jacobian.testJacobianUpdateParameters`` (accUpdateGradParameters' change of ``param``), with
        only the input's values refilled."""
        input = SparseJacobian._refill(input, minval, maxval)
        param.uniform(minval, maxval)
        return Jacobian._update_error(module, input, param, perturbation)

    testIO = staticmethod(Jacobian.testIO)
    testAllUpdate = staticmethod(Jacobian.testAllUpdate)
