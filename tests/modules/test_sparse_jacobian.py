"""SparseJacobian: gradient checks of sparse-input modules against SparseLinear and a dense reference."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

ENTRIES = [[0, 1.5], [3, -2.0], [3, 0.5], [1, 0.25]]


def sparse_input():
    return lg.DoubleTensor(ENTRIES)


class OldLayoutSparseLinear(nn.SparseLinear):
    """SparseLinear giving Torch7's old gradInput layout: one (index, gradient) row per input entry."""

    def updateGradInput(self, input, gradOutput):
        dense = super().updateGradInput(input, gradOutput)[0]
        rows = input.clone()
        rows.select(1, 1).copy(dense.select(1, 1).index(0, input.select(1, 0).long()))
        self.gradInput = rows
        return self.gradInput


class WrongSparseGradient(nn.SparseLinear):
    """A module whose value gradient is off by a factor: the check must notice."""

    def updateGradInput(self, input, gradOutput):
        super().updateGradInput(input, gradOutput)[0].select(1, 1).mul(1.5)
        return self.gradInput


@pytest.mark.parametrize('cls', [nn.SparseLinear, OldLayoutSparseLinear])
def test_value_jacobian_of_sparse_linear(cls):
    m = cls(5, 3, True).double()
    x = sparse_input()
    assert nn.SparseJacobian.testJacobian(m, x) < 1e-6
    # the indices are never touched, only the values are refilled
    np.testing.assert_array_equal(x.numpy()[:, 0], [0, 3, 3, 1])


def test_backward_is_the_weight_columns_of_each_entry():
    m = nn.SparseLinear(5, 3, True).double()
    x = sparse_input()
    jac = nn.SparseJacobian.backward(m, x)
    np.testing.assert_allclose(jac, m.weight.numpy()[:, [0, 3, 3, 1]].T, rtol=1e-13)
    est = nn.SparseJacobian.forward(m, x)
    np.testing.assert_allclose(est, jac, atol=1e-7)


@pytest.mark.parametrize('name', ['weight', 'bias'])
def test_parameter_jacobians(name):
    m = nn.SparseLinear(5, 3).double()
    err = nn.SparseJacobian.testJacobianParameters(m, sparse_input(), getattr(m, name),
                                                   getattr(m, 'grad' + name.capitalize()))
    assert err < 1e-6


def test_a_wrong_gradient_is_caught():
    assert nn.SparseJacobian.testJacobian(WrongSparseGradient(5, 3, True).double(), sparse_input()) > 0.01


def test_float_module_and_input_agree_with_double_loosely():
    m = nn.SparseLinear(5, 3, True)
    assert nn.SparseJacobian.testJacobian(m, lg.FloatTensor(ENTRIES), perturbation=1e-2) < 1e-2


@pytest.mark.gpu
def test_gpu_module():
    m = nn.SparseLinear(5, 3, True).cudaDouble()
    assert nn.SparseJacobian.testJacobian(m, sparse_input().cudaDouble()) < 1e-6
    assert nn.SparseJacobian.testJacobianParameters(m, sparse_input().cudaDouble(), m.weight, m.gradWeight) < 1e-6


def test_errors_name_the_helper_and_the_module():
    with pytest.raises(ValueError, match=r'SparseJacobian: expected a floating-point \(nnz, 2\) input'):
        nn.SparseJacobian.testJacobian(nn.SparseLinear(5, 3, True).double(), lg.DoubleTensor(4, 1))
    with pytest.raises(ValueError,
                       match=r"SparseJacobian: expected _Shrinking\(3 -> 2\)'s gradInput of the input's size"):
        nn.SparseJacobian.backward(_Shrinking(3, 2).double(), lg.DoubleTensor(4, 3))
    with pytest.raises(ValueError, match=r"SparseJacobian: expected SparseLinear\(5 -> 3\)'s gradInput as \(m, 2\) "
                                         r"rows.*doGradInput=True"):
        nn.SparseJacobian.testJacobian(nn.SparseLinear(5, 3).double(), sparse_input())


class _Shrinking(nn.Linear):
    """A dense module whose gradInput lost a row: a wide-input check must refuse it."""

    def updateGradInput(self, input, gradOutput):
        return super().updateGradInput(input, gradOutput).narrow(0, 0, input.size(0) - 1)


class _HalfGradient(nn.Linear):
    def updateGradInput(self, input, gradOutput):
        return super().updateGradInput(input, gradOutput).mul(0.5)


def test_wide_input_checks_column_one_row_by_row():
    """nn/SparseJacobian.lua takes any 2-D input: it perturbs column 2 (0-based 1) and reads din:select(2, 2),
    which nn's test.lua uses on PartialLinear's dense (N, D) input; a wrong gradient shows."""
    m = nn.Linear(5, 3).double()
    x = lg.DoubleTensor(4, 5).uniform(-1, 1)
    assert nn.SparseJacobian.testJacobian(m, x) < 1e-7
    jac = nn.SparseJacobian.backward(m, x)
    assert jac.size() == (4, 12)
    np.testing.assert_allclose(jac.numpy()[0, :3], m.weight.numpy()[:, 1], rtol=1e-13)
    assert nn.SparseJacobian.testJacobian(_HalfGradient(5, 3).double(), x) > 0.01


def test_update_io_and_all_update_helpers():
    """nn/SparseJacobian.lua's testJacobianUpdateParameters (accUpdateGradParameters' change of a parameter),
    testIO (a write/read round trip) and testAllUpdate, on a sparse (nnz, 2) input whose indices stay put."""
    m = nn.SparseLinear(5, 3, True).double()
    x = sparse_input()
    for p in (m.weight, m.bias):
        assert nn.SparseJacobian.testJacobianUpdateParameters(m, x, p) < 1e-6
    np.testing.assert_array_equal(x.numpy()[:, 0], [0, 3, 3, 1])
    assert nn.SparseJacobian.testIO(m, x) == (0, 0)
    assert max(nn.SparseJacobian.testAllUpdate(nn.Linear(5, 3).double(), lg.DoubleTensor(2, 5).uniform(),
                                               'weight', 'gradWeight').values()) < 1e-10
