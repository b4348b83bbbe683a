"""LookupTable: 0-based indices, padding, maxNorm, frequency scaling, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_close_trees, assert_type_roundtrip, launch_counting

IDX = [[0, 3, 3], [4, 1, 0]]


def _param_jacobian_error(m, x):
    m.double()
    est = nn.Jacobian.forward(m, x, param=m.weight)
    exact = nn.Jacobian.backward(m, x, param=m.weight, dparam=m.gradWeight)
    return np.abs(est - exact).max()


@pytest.mark.parametrize('x', [lg.LongTensor([2, 0, 2]), lg.LongTensor(IDX), lg.DoubleTensor(IDX)])
def test_weight_jacobian(x):
    assert _param_jacobian_error(nn.LookupTable(5, 3), x) < 1e-6


def test_padding_rows_get_no_gradient_and_jacobian_agrees():
    m = nn.LookupTable(5, 2, 3).double()
    x = lg.LongTensor(IDX)
    assert _param_jacobian_error(nn.LookupTable(5, 2), x) < 1e-6
    m.zeroGradParameters()
    m.forward(x)
    m.backward(x, lg.DoubleTensor(2, 3, 2).fill(1))
    np.testing.assert_array_equal(m.gradWeight.numpy()[:, 0], [2, 1, 0, 0, 1])


@pytest.mark.parametrize('tensor', ['legonn.DoubleTensor',
                                    pytest.param('legonn.CudaDoubleTensor', marks=pytest.mark.gpu)])
@pytest.mark.parametrize('freq', [False, True])
def test_inf_and_nan_gradient_at_padding_rows_never_reaches_the_table(tensor, freq):
    # THNN's accGradParameters skips an index equal to paddingValue; an inf or NaN gradOutput row there stays
    # out of gradWeight (a product by a 0/1 mask made it NaN), other rows get their loop sums
    m = nn.LookupTable(5, 2, 3).type(tensor)
    m.shouldScaleGradByFreq = freq
    m.zeroGradParameters()
    x = lg.LongTensor([[3, 1, 3], [1, 0, 3]])
    go = np.arange(12.0).reshape(2, 3, 2)
    go[0, 0] = np.inf
    go[1, 2] = np.nan
    m.forward(x.type(tensor.replace('Double', 'Long')))
    m.backward(x.type(tensor.replace('Double', 'Long')), lg.DoubleTensor(go).type(tensor), 0.5)
    flat, rows = x.numpy().reshape(-1), go.reshape(-1, 2)
    expected = np.zeros((5, 2))
    for i, k in enumerate(flat):   # Torch7's loop
        if k != 3:
            expected[k] += 0.5 * rows[i] / ((flat == k).sum() if freq else 1)
    np.testing.assert_array_equal(m.gradWeight.double().numpy(), expected)


def test_matches_numpy_indexing_and_counts():
    m = nn.LookupTable(5, 3).double()
    x = lg.LongTensor(IDX)
    out = m.forward(x)
    np.testing.assert_array_equal(out.numpy(), m.weight.numpy()[np.array(IDX)])
    m.zeroGradParameters()
    gi = m.backward(x, lg.DoubleTensor(2, 3, 3).fill(0.5))
    assert gi.size() == (2, 3) and not gi.numpy().any()
    np.testing.assert_allclose(m.gradWeight.numpy()[:, 1], 0.5 * np.bincount(np.ravel(IDX), minlength=5))
    m.zeroGradParameters()
    m.scaleGradByFreq().backward(x, lg.DoubleTensor(2, 3, 3).fill(0.5))
    np.testing.assert_allclose(m.gradWeight.numpy()[:, 1], [0.5, 0.5, 0, 0.5, 0.5])


def test_max_norm_renormalises_referenced_rows_only():
    m = nn.LookupTable(4, 3, None, 1.0, 1).double()
    m.weight.copy(lg.DoubleTensor([[1, 2, 3], [0.1, 0.1, 0.1], [4, 4, 4], [5, 0, 0]]))
    m.forward(lg.LongTensor([0, 1, 0]))
    w = m.weight.numpy()
    np.testing.assert_allclose(np.abs(w[0]).sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(w[1], [0.1, 0.1, 0.1])
    np.testing.assert_allclose(w[2], [4, 4, 4])      # not referenced: untouched



@pytest.mark.parametrize('setter, value', [('setNormType', 0), ('setNormType', -1.5), ('setNormType', float('nan')),
                                           ('setMaxNorm', -1), ('setMaxNorm', 0), ('setNormType', True)])
def test_max_norm_and_norm_type_must_be_positive_when_set(setter, value):
    # THNN's renorm refuses p <= 0 ("non-positive-norm not supported"); legonn divided by zero at the forward for p = 0
    # and silently rescaled by a negative norm for p < 0, and setMaxNorm(-1) flipped the sign of every row looked up
    name = {'setNormType': 'normType', 'setMaxNorm': 'maxNorm'}[setter]
    m = nn.LookupTable(4, 3, None, 1.0).double()
    before = m.weight.numpy().copy()
    with pytest.raises(ValueError, match=rf"LookupTable\(4, 3\): {name} must be a "):
        getattr(m, setter)(value)
    with pytest.raises(ValueError, match=rf"LookupTable\(4, 3\): {name} must be a "):
        nn.LookupTable(4, 3, None, *((value,) if name == 'maxNorm' else (1.0, value)))
    m.forward(lg.LongTensor([0]))
    assert (np.abs(m.weight.numpy()[0]) ** 2).sum() <= 1 + 1e-6 and (m.weight.numpy()[1:] == before[1:]).all()
    assert m.setMaxNorm(None).setNormType(None).maxNorm is None


@pytest.mark.parametrize('half', ['legonn.HalfTensor', pytest.param('legonn.CudaHalfTensor', marks=pytest.mark.gpu)])
def test_max_norm_of_a_half_table_is_taken_in_float(half):
    # THCUNN's renorm sums |w|^p in its Acctype; 30 squares of 50 (75000) overflow half, whose inf norm scaled the
    # row to zeros
    m = nn.LookupTable(3, 30, None, 1.0).type(half)
    m.weight.fill(50)
    out = m.forward(lg.LongTensor([0, 0]))
    np.testing.assert_allclose(np.linalg.norm(out.double().numpy(), axis=1), 1.0, rtol=2e-3)
    assert m.weight.double().numpy()[1, 0] == 50   # a row not looked up keeps its values

def test_type_roundtrip():
    m = nn.LookupTable(5, 3)
    x = lg.LongTensor(IDX)
    assert_type_roundtrip(m, x)
    assert m.forward(x).type() == 'legonn.FloatTensor'


@pytest.mark.gpu
def test_gpu():
    m = nn.LookupTable(5, 3).double()
    gpu = m.clone().cudaDouble()
    x = lg.LongTensor(IDX)
    assert_close_trees(m.forward(x), gpu.forward(x.cudaLong()))
    go = lg.DoubleTensor(2, 3, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(x.cudaLong(), go.cudaDouble())
    assert_close_trees(m.gradWeight, gpu.gradWeight)


@pytest.mark.gpu
def test_gpu_step_reads_the_range_of_its_indices_once_and_copies_none():
    """On the GPU a forward checks the CudaLong indices in one launch and one read (a host synchronisation) and
    looks them up where they lie; a backward of the indices it checked reads no range again. Other indices (new
    memory, another geometry) are checked, out-of-range ones refused before anything is written."""
    counting = launch_counting()
    m = nn.LookupTable(5, 3).cudaDouble()
    x = lg.LongTensor(IDX).cudaLong()
    go = lg.DoubleTensor(2, 3, 3).normal().cudaDouble()
    m.forward(x)
    with counting() as counts:
        m.forward(x)
        m.zeroGradParameters()
        m.backward(x, go)
    syncs = {k: n for k, n in counts.items() if k.startswith('host sync')}
    assert sum(syncs.values()) == 1 and counts['kernel index_bounds'] == 1, counts
    launched = [k for k in counts if not k.startswith(('no-op', 'view'))]
    assert not any('astype' in k or 'multiply' in k for k in launched), counts   # no copy of the indices, no scaling
    cpu = nn.LookupTable(5, 3).double()
    cpu.weight.copy(m.weight.double())
    cpu.zeroGradParameters()
    cpu.forward(lg.LongTensor(IDX))
    cpu.backward(lg.LongTensor(IDX), go.double())
    assert_close_trees(cpu.gradWeight, m.gradWeight)
    before = m.gradWeight.clone()
    with pytest.raises(IndexError, match=r'LookupTable\(5, 3\): expected indices in \[0, 5\)'):   # new memory
        m.backward(lg.LongTensor([[0, 3, 5], [4, 1, 0]]).cudaLong(), go)
    with pytest.raises(ValueError, match=r'LookupTable\(5, 3\): expected gradOutput of size \(2, 3, 3\)'):
        m.backward(lg.LongTensor([0, 7]).cudaLong(), go[0][:2])   # another geometry than the forward's
    assert_close_trees(before, m.gradWeight)


@pytest.mark.gpu
def test_gpu_table_takes_host_indices_and_a_host_table_gpu_ones():
    """nn/LookupTable.lua's makeInputContiguous copies an input whose type is not its ``_input``'s (a
    CudaLongTensor, a LongTensor on the host), so torch-rnn's sample.lua feeds host
    LongTensors (encode_string, multinomial) to a CUDA model; the other way round works the same."""
    m = nn.LookupTable(5, 3).double()
    gpu = m.clone().cudaDouble()
    x = lg.LongTensor(IDX)
    out = gpu.forward(x)
    assert out.is_cuda
    assert_close_trees(m.forward(x), out)
    go = lg.DoubleTensor(2, 3, 3).normal()
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(x, go.cudaDouble())
    assert_close_trees(m.gradWeight, gpu.gradWeight)
    assert_close_trees(m.forward(x.cudaLong()), gpu.forward(x))
    with pytest.raises(IndexError, match=r'LookupTable.*indices in \[0, 5\)'):
        gpu.forward(lg.LongTensor([0, 5]))

def test_out_of_range_and_bad_indices_change_nothing():
    m = nn.LookupTable(5, 3, None, 0.5)
    m.forward(lg.LongTensor([0, 2]))   # (renorms rows 0 and 2) an output for the backward below
    before = m.weight.clone()
    m.gradWeight.fill(1)
    with pytest.raises(IndexError, match=r'LookupTable\(5, 3\): expected indices in \[0, 5\), got indices in \[0, 5\]'):
        m.forward(lg.LongTensor([0, 5]))
    with pytest.raises(IndexError):   # accGradParameters reads the indices (updateGradInput only their sizes)
        m.backward(lg.LongTensor([-1, 2]), lg.FloatTensor(2, 3))
    with pytest.raises(TypeError, match='integer indices'):
        m.forward(lg.FloatTensor([0.5, 1]))
    with pytest.raises(ValueError, match='1-D or 2-D'):
        m.forward(lg.LongTensor(1, 1, 1))
    assert (m.weight.numpy() == before.numpy()).all() and (m.gradWeight.numpy() == 1).all()


def test_update_grad_input_reads_only_the_sizes():
    """LookupTable.lua's updateGradInput sizes a zero gradInput like the input and never reads the indices:
    a subclass shifting them in updateOutput (rnn's LookupTableMaskZero, HieCoAttenVQA's: padding -1 becomes
    row 0) hands it the unshifted ones, which legonn refused as out of range."""
    m = nn.LookupTable(5, 3)
    m.forward(lg.LongTensor([[0, 4, 1]]))
    gi = m.updateGradInput(lg.LongTensor([[-1, 3, 0]]), lg.FloatTensor(1, 3, 3))
    assert gi.type() == 'torch.LongTensor' and tuple(gi.size()) == (1, 3) and gi.sum() == 0


def test_acc_update_only_drops_grad_weight_and_still_trains():
    """nn/LookupTable.lua's accUpdateOnly: gradWeight becomes nil and returns self; backwardUpdate then
    steps weight directly (Module.lua's defaultAccUpdateGradParameters), and the type can still change."""
    m = nn.LookupTable(5, 3).double()
    ref = m.clone()
    assert m.accUpdateOnly() is m and m.gradWeight is None
    x = lg.LongTensor([1, 4, 1])
    go = lg.DoubleTensor(3, 3).uniform()
    m.forward(x)
    m.backwardUpdate(x, go, 0.5)
    ref.zeroGradParameters()
    ref.forward(x)
    ref.backward(x, go)
    ref.updateParameters(0.5)
    assert (m.weight - ref.weight).abs().max() < 1e-12
    m.float()
    assert m.weight.type() == 'legonn.FloatTensor' and m.gradWeight is None
    m.backwardUpdate(x, m.forward(x), 0.1)


def test_jacobian_checks_refill_index_inputs():
    """nn/Jacobian.lua's testJacobianParameters refills the input with ``rand * (max - min) + min`` whatever its
    type, so an IntTensor of LookupTable indices becomes random whole indices in [minval, maxval) (C truncation)."""
    m = nn.LookupTable(6, 2).double()
    x = lg.IntTensor(40).zero()
    assert nn.Jacobian.testJacobianParameters(m, x, m.weight, m.gradWeight, 1, 5) < 1e-6
    values = set(x.tolist())
    assert values <= {1, 2, 3, 4} and len(values) > 1
    y = lg.LongTensor(3, 40).zero()
    assert nn.Jacobian.testJacobianUpdateParameters(m, y, m.weight, 0, 5) < 1e-6
    assert set(y.view(-1).tolist()) <= {0, 1, 2, 3, 4} and len(set(y.view(-1).tolist())) > 1


def test_reset_through_a_container_uses_the_default_stdv():
    """LookupTable.lua's reset(stdv): stdv defaults to 1 also when a container's reset() passes its nil on (rnn's
    BiSequencer resets a clone of a Recurrent holding a LookupTable)."""
    lg.manualSeed(1)
    m = nn.Sequential().add(nn.LookupTable(1000, 20))
    m.reset()
    w = m.get(0).weight.numpy()
    assert 0.9 < w.std() < 1.1 and abs(w.mean()) < 0.05


@pytest.mark.parametrize('half', ['legonn.HalfTensor', pytest.param('legonn.CudaHalfTensor', marks=pytest.mark.gpu)])
def test_half_gradient_of_a_frequent_index_is_summed_in_float(half):
    # THCUNN sums the rows of one index in its Acctype: 5000 rows of 1 give 5000, where one half add at a time
    # stalls at 2048 (and 1e-3 * 0.5 steps vanish next to 1)
    m = nn.LookupTable(4, 2).type(half)
    m.zeroGradParameters()
    m.gradWeight.fill(1)
    idx = lg.LongTensor([0] * 5000 + [2] * 2000)
    m.forward(idx)
    go = lg.DoubleTensor(7000, 2).fill(1)
    go.narrow(0, 5000, 2000).fill(1e-3)
    m.backward(idx, go.type(half), 0.5)
    np.testing.assert_allclose(m.gradWeight.double().numpy(), [[2501, 2501], [1, 1], [2, 2], [1, 1]], rtol=1e-3)


def test_a_loaded_lookup_table_of_a_bad_weight_is_refused_naming_it():
    """lg.load validates each module it rebuilds and names a bad one in its error; the error's path text calls the
    module's repr, which read ``weight.size(1)`` and so raised an IndexError of its own for a 1-D weight (the
    "empty clone" that harvardnlp/lie-access-memory's cloneManyTimesFast writes: ``cloneParams[i]:set(
    torch.Tensor())``), hiding the ValueError that names the module."""
    lut = nn.LookupTable(5, 3)
    seq = nn.Sequential().add(lut)
    lut.weight.set(lg.Tensor())
    with pytest.raises(ValueError, match=r'Sequential\[0\] LookupTable\(weight of size \(0,\)\)'):
        lg.deserialize(lg.serialize(seq))
    assert 'LookupTable' in repr(lut)
