"""The parts of legonn.distributed that need no MPI job: the sampler and the buffer checks."""
import numpy as np
import pytest

import legonn as lg
from legonn.distributed import AllReduceEA, Communicator, DistributedSampler
from legonn.distributed.communicator import DTYPES, contiguous_array


@pytest.mark.parametrize('size', [1, 2, 3])
def test_sampler_shards_are_disjoint_complete_and_make_up_the_single_process_batches(size):
    nsamples, batch = 50, 8
    for epoch in range(3):
        shares = [list(DistributedSampler(nsamples, batch, r, size, seed=5).batches(epoch)) for r in range(size)]
        single = list(DistributedSampler(nsamples, batch, 0, 1, seed=5).batches(epoch))
        assert all(len(s) == len(single) == 7 for s in shares)
        for step, (whole, weight) in enumerate(single):
            assert weight == 1.0
            parts = [shares[r][step][0] for r in range(size)]
            assert np.array_equal(np.concatenate(parts), whole)
            assert sum(shares[r][step][1] for r in range(size)) == pytest.approx(1.0)
            assert max(map(len, parts)) - min(map(len, parts)) <= 1
        everything = np.concatenate([idx for s in shares for idx, _ in s])
        assert np.array_equal(np.sort(everything), np.arange(nsamples))


def test_sampler_is_reproducible_per_seed_and_epoch_and_takes_a_given_order():
    def epoch_of(seed, epoch, order=None):
        return np.concatenate([i for i, _ in DistributedSampler(20, 6, 1, 2, seed=seed).batches(epoch, order)])
    assert np.array_equal(epoch_of(1, 0), epoch_of(1, 0))
    assert not np.array_equal(epoch_of(1, 0), epoch_of(1, 1))
    assert not np.array_equal(epoch_of(1, 0), epoch_of(2, 0))
    assert np.array_equal(epoch_of(1, 0, np.arange(20)), [3, 4, 5, 9, 10, 11, 15, 16, 17, 19])
    with pytest.raises(ValueError, match='expected an order of 20 indices'):
        epoch_of(1, 0, np.arange(19))


def test_sampler_with_more_ranks_than_samples_gives_empty_zero_weight_shares():
    steps = list(DistributedSampler(3, 3, 3, 4).batches(0))
    assert len(steps) == 1 and len(steps[0][0]) == 0 and steps[0][1] == 0


@pytest.mark.parametrize('args', [(10, 4, 2, 2), (10, 4, -1, 2), (10, 0, 0, 1), (-1, 4, 0, 1), (10, 4, 0, 0)])
def test_sampler_refuses_bad_arguments(args):
    with pytest.raises(ValueError, match='DistributedSampler'):
        DistributedSampler(*args)


def test_contiguous_array_is_a_view_and_refuses_strided_or_mistyped_buffers():
    t = lg.FloatTensor(3, 4).fill(1)
    arr = contiguous_array(t, 'allreduce', DTYPES)
    arr[0, 0] = 7
    assert t[0][0] == 7
    a = np.zeros(6)
    assert contiguous_array(a, 'allreduce', DTYPES) is a
    with pytest.raises(ValueError, match=r'allreduce: expected a contiguous tensor, got one of sizes \(4, 3\)'):
        contiguous_array(t.t(), 'allreduce', DTYPES)
    with pytest.raises(ValueError, match='broadcast: expected a C-contiguous array'):
        contiguous_array(a[::2], 'broadcast', DTYPES)
    with pytest.raises(TypeError, match='expected elements of type float32, float64, int32, int64, got uint8'):
        contiguous_array(lg.ByteTensor(3), 'allreduce', DTYPES)


def test_communicator_and_ea_refuse_bad_settings_before_any_mpi():
    with pytest.raises(ValueError, match='timeout must be a positive number'):
        Communicator(comm=None, timeout=0)
    with pytest.raises(ValueError, match='tau must be a positive step count'):
        AllReduceEA(tau=1.5, alpha=0.5, communicator=object())


def test_collectives_before_init_say_so():
    import legonn.distributed as dist
    with pytest.raises(RuntimeError, match=r'call legonn.distributed.init\(\) first'):
        dist.allreduce(np.zeros(3))


def test_torch_distlearn_names_have_snake_case_twins():
    from legonn.distributed import AllReduceSGD
    sgd, ea = AllReduceSGD(communicator=object()), AllReduceEA(tau=2, alpha=0.5, communicator=object())
    assert sgd.sum_and_normalize_gradients == sgd.sumAndNormalizeGradients
    assert sgd.synchronize_parameters == sgd.synchronizeParameters
    assert ea.average_parameters == ea.averageParameters and ea.synchronize_center == ea.synchronizeCenter
