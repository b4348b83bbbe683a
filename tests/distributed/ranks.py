"""What each MPI rank runs in the distributed tests: ``mpiexec -n 2 python ranks.py SCENARIO``.

A scenario checks its results with assertions on every rank and prints ``ok rank R`` at the end; the
fault scenarios instead end the job, and the test reads the launcher's exit status and output.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))

import legonn as lg  # noqa: E402
import legonn.distributed as dist  # noqa: E402
import numpy as np  # noqa: E402
from legonn import nn, optim  # noqa: E402


def raises(kind, words, fn, *args):
    """``fn(*args)`` must raise ``kind`` with every one of ``words`` in its message."""
    try:
        fn(*args)
    except kind as err:
        for word in words:
            assert word in str(err), (word, str(err))
        return str(err)
    raise AssertionError(f"{fn.__name__} raised no {kind.__name__}")


def collectives(rank, size, xp=np):
    lg.setdefaulttensortype('legonn.DoubleTensor')
    t = lg.Tensor(5).fill(rank + 1)
    t = t.cudaDouble() if xp is not np else t
    dist.allreduce(t)
    assert (t.array == xp.asarray(sum(range(1, size + 1)), dtype=t.array.dtype)).all()
    u = lg.Tensor(5).fill(rank + 1)
    u = u.cudaDouble() if xp is not np else u
    dist.allreduce(u, 'mean')
    assert float(abs(u.array - sum(range(1, size + 1)) / size).max()) < 1e-12
    a = xp.arange(6, dtype=xp.float32) * (rank + 1)
    assert dist.broadcast(a, root=size - 1) is a
    assert (a == xp.arange(6, dtype=xp.float32) * size).all()
    n = xp.full(3, rank, dtype=xp.int64)
    dist.allreduce(n, 'sum')
    assert (n == sum(range(size))).all()
    dist.barrier()
    # bad buffers are refused before any communication, so the collectives after them still pair up
    m = xp.ones((4, 4), dtype=xp.float32)
    raises(ValueError, ['allreduce', 'contiguous', '(4, 2)'], dist.allreduce, m[:, ::2])
    raises(ValueError, ['allreduce', 'contiguous', 'strides (4,)'], dist.allreduce, lg.Tensor(4, 4).select(1, 0))
    raises(TypeError, ['allreduce', 'float16'], dist.allreduce, xp.ones(3, dtype=xp.float16))
    raises(TypeError, ['allreduce', 'float32, float64', 'int64'], dist.allreduce, xp.ones(3, dtype=xp.int64), 'mean')
    raises(ValueError, ['op must be one of'], dist.allreduce, m, 'max')
    raises(ValueError, ['root must be a rank'], dist.broadcast, m, size)
    raises(TypeError, ['legonn.Tensor, numpy.ndarray', 'list'], dist.allreduce, [1.0, 2.0])
    dist.allreduce(m)
    assert (m == size).all()
    # a sub-communicator with the ranks in reverse order: its root 0 is the world's last rank
    from mpi4py import MPI
    reverse = dist.Communicator(MPI.COMM_WORLD.Split(color=0, key=size - 1 - rank))
    assert reverse.rank == size - 1 - rank and reverse.size == size
    b = xp.full(2, rank, dtype=xp.int32)
    reverse.broadcast(b, root=0)
    assert (b == size - 1).all()


def mlp(seed):
    lg.manualSeed(seed)
    model = nn.Sequential().add(nn.Linear(6, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax())
    return model.double()


def sgd_step_fn(model, criterion, x, y, params, grads, reduce):
    def feval(_):
        grads.zero()
        loss = 0.0
        if len(x):    # with more ranks than samples in a global batch, some ranks get none
            out = model.forward(x)
            loss = criterion.forward(out, y)
            model.backward(x, criterion.backward(out, y))
        reduce(grads)
        return loss, grads
    return feval


def sgd_matches_single(rank, size):
    """AllReduceSGD over shards of a global batch takes the steps of one process on the whole batch."""
    data = np.random.default_rng(7)
    x_all, y_all = data.standard_normal((30, 6)), data.integers(0, 3, 30)
    # rank-dependent seeds: only synchronizeParameters makes the replicas equal
    model, criterion = mlp(seed=100 + rank), nn.ClassNLLCriterion()
    params, grads = model.getParameters()
    sgd = dist.AllReduceSGD()
    sgd.synchronizeParameters(params)
    single = mlp(seed=100)   # rank 0's initial parameters, trained alone on the whole global batches
    single_params, single_grads = single.getParameters()
    assert np.array_equal(params.array, single_params.array)
    config, single_config = {'learningRate': 0.1, 'momentum': 0.9}, {'learningRate': 0.1, 'momentum': 0.9}
    # global batch 7 over 30 samples: uneven shares and an uneven last batch
    sampler = dist.DistributedSampler(30, 7, rank, size, seed=3)
    for epoch in range(3):
        order = sampler.order(epoch)
        for step, (mine, weight) in enumerate(sampler.batches(epoch)):
            whole = order[step * 7:(step + 1) * 7]
            optim.sgd(sgd_step_fn(model, criterion, x_all[mine], y_all[mine], params, grads,
                                  lambda g: sgd.sumAndNormalizeGradients(g, weight)), params, config)
            optim.sgd(sgd_step_fn(single, criterion, x_all[whole], y_all[whole], single_params, single_grads,
                                  lambda g: g), single_params, single_config)
    assert dist.world().inSharedMemory(grads)   # from the second step on, reduced in the machine's shared memory
    assert np.abs(params.array - single_params.array).max() < 1e-12, np.abs(params.array - single_params.array).max()
    assert np.abs(params.array - mlp(seed=100).getParameters()[0].array).max() > 1e-2   # it did train
    # equal shares: the plain mean over ranks
    g = lg.DoubleTensor(4).fill(rank)
    sgd.sumAndNormalizeGradients(g)
    assert np.allclose(g.array, sum(range(size)) / size)


def ea_converges(rank, size):
    """Ranks fitting different halves of a linear relation with AllReduceEA: the center fits all of it."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    truth = np.random.default_rng(1)
    w_true, b_true = truth.standard_normal((2, 4)), truth.standard_normal(2)
    x = np.random.default_rng(10 + rank).standard_normal((200, 4)) + 2 * rank   # each rank sees other inputs
    y = x @ w_true.T + b_true
    lg.manualSeed(rank)
    model, criterion = nn.Linear(4, 2), nn.MSECriterion()
    params, grads = model.getParameters()
    ea = dist.AllReduceEA(tau=3, alpha=0.3)
    ea.synchronizeParameters(params)
    start_loss = criterion.forward(model.forward(x), y)
    config = {'learningRate': 0.02}
    for step in range(1200):
        batch = slice((step * 20) % 200, (step * 20) % 200 + 20)
        optim.sgd(sgd_step_fn(model, criterion, x[batch], y[batch], params, grads, lambda g: g), params, config)
        ea.averageParameters(params)
    assert dist.world().inSharedMemory(ea._pull)
    center = ea.center.copy()
    everyone = np.zeros((size,) + center.shape)
    everyone[rank] = center
    dist.allreduce(everyone)   # every rank fills its own row: the sum gathers all centers
    assert (everyone == center).all()
    ea.synchronizeCenter(params)
    assert np.array_equal(params.array, center)
    assert np.allclose(model.weight.array, w_true, atol=1e-3), np.abs(model.weight.array - w_true).max()
    assert np.allclose(model.bias.array, b_true, atol=1e-3), np.abs(model.bias.array - b_true).max()
    assert criterion.forward(model.forward(x), y) < 1e-6 * start_loss
    raises(ValueError, ['tau must be'], dist.AllReduceEA, 0, 0.5)
    raises(ValueError, ['alpha must lie'], dist.AllReduceEA, 2, 1.5)


def rank_values(rank, count, dtype, step=0):
    """What rank ``rank`` holds at ``step`` in the shared-memory scenarios: values no other rank holds."""
    values = np.random.default_rng((rank, step)).standard_normal(count) * 100
    return values.astype(dtype)


def check_shared_allreduce(comm, rank, size):
    """Sums and means of tensors moved into shared memory equal NumPy's of every rank's values, in float32,
    float64 and int64, over several steps (the buffers are reduced in place again and again); a buffer that
    cannot move (an array, a view of part of a storage) is left where it is and still reduced."""
    for dtype, op, tolerance in ((np.float64, 'mean', 1e-13), (np.float32, 'sum', 1e-4), (np.int64, 'sum', 0)):
        count = 1000 + 37   # not a multiple of the ranks' cache-line aligned chunks
        t = lg.from_numpy(rank_values(rank, count, dtype))
        assert comm.shareMemory(t) is t and comm.inSharedMemory(t) == comm.shared_memory
        for step in range(3):
            t.array[...] = rank_values(rank, count, dtype, step)
            comm.allreduce(t, op)
            everyone = np.stack([rank_values(r, count, dtype, step) for r in range(size)]).astype(np.float64)
            expected = everyone.sum(0) / (size if op == 'mean' else 1)
            assert np.abs(t.array - expected).max() <= tolerance * np.abs(expected).max(), (dtype, op, step)
    whole = lg.from_numpy(np.full(10, rank, dtype=np.float64))
    part = whole.narrow(0, 2, 5)
    array = np.full(4, rank, dtype=np.float64)
    for buffer in (part, array):
        comm.shareMemory(buffer)
        assert not comm.inSharedMemory(buffer)
        comm.allreduce(buffer, 'sum')
    assert (part.array == sum(range(size))).all() and (whole.array[:2] == rank).all()
    assert (array == sum(range(size))).all()


def shared_memory(rank, size):
    """AllReduceSGD moves the flat gradient it is handed twice into the machine's shared memory, the modules'
    gradients follow it there, and the reduction is the mean; buffers of other kinds, or ranks handing
    different kinds, fall back to MPI's allreduce; ranks in different collectives fail naming both."""
    comm = dist.world()
    assert comm.shared_memory and comm.cross is None   # one machine, two ranks
    check_shared_allreduce(comm, rank, size)
    model = mlp(seed=1)
    params, grads = model.getParameters()
    sgd = dist.AllReduceSGD()
    sgd.synchronizeParameters(params)
    x, y = np.random.default_rng(rank).standard_normal((4, 6)), np.arange(4) % 3
    criterion = nn.ClassNLLCriterion()
    for step in range(3):
        grads.zero()
        model.backward(x, criterion.backward(model.forward(x), y))
        mine = grads.array.copy()
        everyone = np.zeros((size, mine.size))
        everyone[rank] = mine
        dist.allreduce(everyone)   # each rank's own gradient, gathered by MPI
        sgd.sumAndNormalizeGradients(grads)
        assert comm.inSharedMemory(grads) == (step >= 1)
        assert np.abs(grads.array - everyone.mean(0)).max() < 1e-14
        first = model.modules[0]
        assert np.shares_memory(first.gradWeight.array, grads.array)
        assert np.array_equal(first.gradWeight.array.ravel(), grads.array[:first.gradWeight.nElement()])
    # rank 0 hands a movable tensor, rank 1 an array: nothing moves, and the sum is still right
    mixed = lg.from_numpy(np.full(5, 1.0)) if rank == 0 else np.full(5, 2.0)
    comm.shareMemory(mixed)
    assert not comm.inSharedMemory(mixed)
    comm.allreduce(mixed)
    assert (np.asarray(mixed) == 3.0).all()
    buffer = np.full(3, float(rank))
    raises(dist.DistributedError, ['different collectives', 'rank 0: allreduce', 'rank 1: broadcast'],
           comm.allreduce if rank == 0 else comm.broadcast, buffer)
    assert (buffer == rank).all()


def two_machines(rank, size):
    """Four ranks as two machines of two (main() splits the node communicators by rank // 2): each machine
    reduces in its shared memory and the ranks with the same place on both allreduce their chunks over MPI;
    AllReduceSGD still takes the single-process steps. Machines of 3 and 1 ranks, or of one rank each, reduce
    through MPI alone."""
    from mpi4py import MPI
    comm = dist.world()
    assert comm.shared_memory and comm.node.Get_size() == 2 and comm.cross.Get_size() == 2
    check_shared_allreduce(comm, rank, size)
    sgd_matches_single(rank, size)
    for machine_of in (lambda r: int(r == size - 1), lambda r: r):
        world = MPI.COMM_WORLD
        uneven = dist.Communicator(world, node=world.Split(color=machine_of(rank), key=rank))
        assert not uneven.shared_memory
        check_shared_allreduce(uneven, rank, size)


def mismatched_models(rank, size):
    """Replicas with different parameter counts, then types: the first collective names every rank's."""
    model = nn.Linear(4, 3 if rank == 0 else 2)
    params, _ = model.getParameters()
    before = params.array.copy()
    message = raises(dist.DistributedError, ['rank 0: 15 float32 values', 'rank 1: 10 float32 values', 'same model'],
                     dist.AllReduceSGD().synchronizeParameters, params)
    assert np.array_equal(params.array, before)   # nothing was overwritten
    print(f"rank {rank}: {message}", flush=True)
    model = nn.Linear(4, 3)
    model = model.double() if rank == 1 else model
    raises(dist.DistributedError, ['rank 0: 15 float32 values', 'rank 1: 15 float64 values'],
           dist.allreduce, model.getParameters()[1], 'mean')


def fault(rank, size, how):
    """Rank ``size - 1`` fails at its fourth step in the way ``how`` says; the others go on stepping. The
    gradient is a private array, or (``how`` ending in ``_shared``) a tensor in the machine's shared memory."""
    grads = np.ones(1000, dtype=np.float32)
    if how.endswith('_shared'):
        grads = dist.world().shareMemory(lg.from_numpy(grads))
        assert dist.world().inSharedMemory(grads)
    for step in range(100):
        if step == 3 and rank == size - 1:
            if how.startswith('raise'):
                raise RuntimeError(f"rank {rank} fails on purpose at step {step}")
            if how.startswith('kill'):
                os.kill(os.getpid(), signal.SIGKILL)
            if how.startswith('hang'):
                time.sleep(30)
        dist.allreduce(grads, 'mean')
    raise AssertionError(f"rank {rank} finished 100 steps although rank {size - 1} failed")


def main(scenario):
    node = None
    if scenario == 'two_machines':
        from mpi4py import MPI
        node = MPI.COMM_WORLD.Split(color=MPI.COMM_WORLD.Get_rank() // 2, key=MPI.COMM_WORLD.Get_rank())
    dist.init(timeout=2.0 if scenario.startswith('hang') else 20.0, node=node)
    rank, size = dist.rank(), dist.size()
    if scenario.split('_')[0] in ('raise', 'kill', 'hang'):
        fault(rank, size, scenario)
    elif scenario == 'collectives_gpu':
        collectives(rank, size, lg.tensor.backend.cupy())
    else:
        globals()[scenario](rank, size)
    print(f"ok rank {rank}", flush=True)


if __name__ == '__main__':
    main(sys.argv[1])
