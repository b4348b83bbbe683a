"""DataParallelTable (torch/cunn's DataParallelTable.lua) on one device: the numbers of running the module on
each chunk of the batch by hand (cunn's sliceRange chunks, the first replicas one row longer), gradients summed
into the module as cunn's reduce leaves them, per-replica BatchNormalization statistics, Jacobians, training,
save/load, GPU, and errors naming the module."""
import copy

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def mlp():
    return nn.Sequential().add(nn.Linear(4, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).double()


def bn_net():
    return nn.Sequential().add(nn.Linear(4, 5)).add(nn.BatchNormalization(5)).add(nn.ReLU()) \
        .add(nn.Linear(5, 2)).double()


def cunn_chunks(n, splits):
    """cunn's sliceRange (1-based in the Lua) for chunk 1..splits, written out as the Lua computes it."""
    per = n // splits
    extra = n - per * splits
    out = []
    for idx in range(1, splits + 1):
        if idx <= extra:
            out.append(((idx - 1) * (per + 1), per + 1))
        else:
            out.append((extra * (per + 1) + (idx - 1 - extra) * per, per))
    return [c for c in out if c[1] > 0]


def by_hand(module, x, gy, dim, splits, mode='training'):
    """Each chunk through its own copy of ``module`` (the replicas cunn clones), gradients summed."""
    outs, gins, grads, replicas = [], [], None, []
    for start, size in cunn_chunks(x.size(dim), splits):
        m = copy.deepcopy(module)
        getattr(m, mode)()
        m.zeroGradParameters()
        xi, gi = x.narrow(dim, start, size), gy.narrow(dim, start, size)
        outs.append(m.forward(xi).numpy().copy())
        gins.append(m.backward(xi, gi).numpy().copy())
        g = [t.numpy().copy() for t in m.parameters()[1]]
        grads = g if grads is None else [a + b for a, b in zip(grads, g)]
        replicas.append(m)
    return np.concatenate(outs, dim), np.concatenate(gins, dim), grads, replicas


def test_slice_range_is_cunns():
    """sliceRange: 7 rows on 3 GPUs are 3, 2, 2; 2 rows on 3 GPUs use the first two only."""
    assert cunn_chunks(7, 3) == [(0, 3), (3, 2), (5, 2)]
    assert cunn_chunks(2, 3) == [(0, 1), (1, 1)]
    sizes = []
    dpt = nn.DataParallelTable(0).add(nn.Identity(), [0, 1, 2])
    dpt._run = lambda method, *a: sizes.append([c.size(0) for c in dpt._chunks(a[0], 'input')]) or [a[0]]
    dpt.forward(lg.zeros(7, 2))
    dpt.forward(lg.zeros(2, 2))
    assert sizes == [[3, 2, 2], [1, 1]]


def test_one_replica_is_the_bare_module_bit_for_bit():
    lg.manualSeed(3)
    bare = mlp()
    dpt = nn.DataParallelTable(0).add(copy.deepcopy(bare), [0])
    x, gy = lg.DoubleTensor(6, 4).uniform(-1, 1), lg.DoubleTensor(6, 3).uniform(-1, 1)
    for m in (bare, dpt):
        m.zeroGradParameters()
    assert np.array_equal(dpt.forward(x).numpy(), bare.forward(x).numpy())
    assert np.array_equal(dpt.backward(x, gy).numpy(), bare.backward(x, gy).numpy())
    for a, b in zip(dpt.parameters()[1], bare.parameters()[1]):
        assert np.array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize('splits,batch,dim', [(2, 6, 0), (2, 7, 0), (3, 7, 0), (3, 2, 0), (3, 8, 1)])
def test_replicas_equal_the_module_on_each_chunk(splits, batch, dim):
    """Outputs and gradInput concatenated, parameter gradients summed (cunn's _reduce into the first replica),
    with the remainder rows on the first replicas; dimension 1 splits a (4, batch, 4) input (through a Bottle)."""
    lg.manualSeed(4)
    module = mlp() if dim == 0 else nn.Bottle(mlp())
    sizes = (batch, 4) if dim == 0 else (4, batch, 4)
    x = lg.DoubleTensor(*sizes).uniform(-1, 1)
    gy = lg.DoubleTensor(*sizes[:-1], 3).uniform(-1, 1)
    out, gin, grads, _ = by_hand(module, x, gy, dim, splits)
    dpt = nn.DataParallelTable(dim).add(module, list(range(splits)))
    dpt.zeroGradParameters()
    np.testing.assert_allclose(dpt.forward(x).numpy(), out, rtol=0, atol=1e-14)
    np.testing.assert_allclose(dpt.backward(x, gy).numpy(), gin, rtol=0, atol=1e-14)
    for g, ref in zip(dpt.parameters()[1], grads):
        np.testing.assert_allclose(g.numpy(), ref, rtol=0, atol=1e-13)


def test_batch_normalization_per_chunk_statistics():
    """Each replica normalises by its own chunk and keeps its own running averages (cunn's replicas are clones
    whose buffers are never synchronised; syncParameters copies parameters only), in training and evaluation."""
    lg.manualSeed(5)
    module = bn_net()
    x, gy = lg.DoubleTensor(7, 4).uniform(-1, 1), lg.DoubleTensor(7, 2).uniform(-1, 1)
    out, gin, grads, hand = by_hand(module, x, gy, 0, 2)
    dpt = nn.DataParallelTable(0).add(module, [0, 1])
    dpt.zeroGradParameters()
    np.testing.assert_allclose(dpt.forward(x).numpy(), out, atol=1e-13)
    np.testing.assert_allclose(dpt.backward(x, gy).numpy(), gin, atol=1e-13)
    for g, ref in zip(dpt.parameters()[1], grads):
        np.testing.assert_allclose(g.numpy(), ref, atol=1e-13)
    for i in range(2):
        np.testing.assert_allclose(dpt.replica(i).get(1).running_mean.numpy(),
                                   hand[i].get(1).running_mean.numpy(), atol=1e-14)
    assert not np.allclose(dpt.replica(0).get(1).running_mean.numpy(), dpt.replica(1).get(1).running_mean.numpy())
    dpt.evaluate()
    expected = np.concatenate([hand[0].evaluate().forward(x.narrow(0, 0, 4)).numpy(),
                               hand[1].evaluate().forward(x.narrow(0, 4, 3)).numpy()])
    np.testing.assert_allclose(dpt.forward(x).numpy(), expected, atol=1e-13)
    assert not dpt.replica(1).get(1).train


def test_table_input_and_output():
    """Every tensor of a table input is split; a table output is joined entry by entry."""
    lg.manualSeed(6)
    module = nn.Sequential().add(nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Linear(4, 2))) \
        .add(nn.ConcatTable().add(nn.CAddTable()).add(nn.CMulTable())).double()
    xs = [lg.DoubleTensor(5, 3).uniform(), lg.DoubleTensor(5, 4).uniform()]
    dpt = nn.DataParallelTable(0).add(copy.deepcopy(module), [0, 1])
    out = dpt.forward(xs)
    ref0 = [t.numpy().copy() for t in module.forward([x.narrow(0, 0, 3) for x in xs])]
    ref1 = [t.numpy().copy() for t in module.forward([x.narrow(0, 3, 2) for x in xs])]
    assert len(out) == 2
    for k in range(2):
        np.testing.assert_allclose(out[k].numpy(), np.concatenate([ref0[k], ref1[k]]), atol=1e-14)
    gin = dpt.backward(xs, [lg.DoubleTensor(5, 2).fill(1), lg.DoubleTensor(5, 2).fill(1)])
    assert [tuple(g.size()) for g in gin] == [(5, 3), (5, 4)]


def test_jacobian():
    lg.manualSeed(7)
    assert_jacobian(nn.DataParallelTable(0).add(mlp(), [0, 1, 2]), lg.DoubleTensor(5, 4))


def test_types():
    lg.manualSeed(8)
    assert_type_roundtrip(nn.DataParallelTable(0).add(mlp(), [0, 1]), lg.FloatTensor(5, 4).uniform())


def test_gradinput_nil_and_threads():
    """fb.resnet.torch's ``dpt.gradInput = nil``: backward makes no gradInput; threads(initFunc) runs it once."""
    calls = []
    dpt = nn.DataParallelTable(0, True, True).add(mlp(), [0, 1]).threads(lambda: calls.append(1))
    assert calls == [1]
    dpt.gradInput = None
    x = lg.DoubleTensor(4, 4).uniform()
    dpt.forward(x)
    assert dpt.backward(x, lg.DoubleTensor(4, 3).fill(1)) is None and dpt.gradInput is None
    assert dpt.get(0).get(0).gradWeight.abs().sum() > 0
    # flattenParams: the first forward packed the parameters into one storage, which the replicas view
    p = dpt.get(0).get(0).weight.storage()
    assert all(t.storage() is p for t in dpt.parameters()[0])
    assert dpt.replica(1).get(2).bias.storage() is p


def test_training_with_get_parameters_and_sgd():
    """Training through the DataParallelTable takes the bare module's steps (the batch gradient is the sum of
    the chunks'); getParameters returns the module's flat pair, which the replicas see."""
    lg.manualSeed(9)
    bare = mlp()
    dpt = nn.DataParallelTable(0).add(copy.deepcopy(bare), [0, 1, 2])
    crit = nn.MSECriterion().double()
    x, t = lg.DoubleTensor(8, 4).uniform(-1, 1), lg.DoubleTensor(8, 3).uniform(-1, 1)
    for model in (bare, dpt):
        params, grads = model.getParameters()
        state = {'learningRate': 0.1, 'momentum': 0.9}

        def feval(_):
            grads.zero()
            out = model.forward(x)
            loss = crit.forward(out, t)
            model.backward(x, crit.backward(out, t))
            return loss, grads
        losses = [optim.sgd(feval, params, state)[1][0] for _ in range(5)]
        model.losses = losses
    np.testing.assert_allclose(dpt.losses, bare.losses, rtol=1e-12)
    assert dpt.losses[-1] < dpt.losses[0]
    np.testing.assert_allclose(dpt.getParameters()[0].numpy(), bare.getParameters()[0].numpy(), rtol=1e-12)


def test_save_load(tmp_path):
    lg.manualSeed(10)
    dpt = nn.DataParallelTable(0).add(bn_net(), [0, 1])
    x = lg.DoubleTensor(6, 4).uniform()
    dpt.forward(x)
    dpt.evaluate()
    before = dpt.forward(x).numpy().copy()
    lg.save(str(tmp_path / 'dpt.lg'), dpt)
    back = lg.load(str(tmp_path / 'dpt.lg'))
    assert type(back) is nn.DataParallelTable and back.gpuAssignments == [0, 1]
    np.testing.assert_array_equal(back.forward(x).numpy(), before)
    assert back.replica(1).get(0).weight.storage() is back.get(0).get(0).weight.storage()
    assert repr(back).startswith('nn.DataParallelTable: 2 x nn.Sequential')


def test_add_one_gpu_at_a_time_and_repr():
    """imagenet-multiGPU's ``model:add(model_single:clone():cuda(), i)`` loop: only the first module is kept."""
    first, second = mlp(), mlp()
    dpt = nn.DataParallelTable(0).add(first, 0).add(second, 1.0)
    assert dpt.modules == [first] and dpt.gpuAssignments == [0, 1] and dpt.get(0) is first
    assert repr(dpt).split('\n')[0] == 'nn.DataParallelTable: 2 x nn.Sequential {'


@pytest.mark.gpu
def test_on_the_gpu():
    lg.manualSeed(11)
    assert_gpu_matches_cpu(nn.DataParallelTable(0).add(bn_net(), [0, 1, 2]), lg.randn(7, 4))


@pytest.mark.gpu
def test_a_cuda_module_takes_host_and_cuda_batches_without_converting_the_table():
    """cunn's idiom ``nn.DataParallelTable(1):add(model:cuda(), gpus)`` with no ``dpt:cuda()`` (e-lab/ENet's
    encoder.lua): cunn copies each chunk of a Float or CUDA batch to its replica's GPU and joins the outputs
    there. The numbers are those of the module's own replicas run on CUDA chunks; the gradOutput is the
    output's type, as every container's."""
    lg.manualSeed(3)
    net = bn_net().float()
    reference = nn.DataParallelTable(0).add(net.clone().cuda(), [0, 1]).cuda()
    dpt = nn.DataParallelTable(0).add(net.cuda(), [0, 1])
    assert dpt.type() == 'torch.FloatTensor'
    x, gy = lg.randn(5, 4), lg.randn(5, 2)
    expected = reference.forward(x.cuda()).clone()
    expected_gin = reference.backward(x.cuda(), gy.cuda()).clone()
    for batch in (x.cuda(), x):          # the gradOutput comes from a criterion on the CUDA output
        grad = gy.cuda()
        dpt.zeroGradParameters()
        y = dpt.forward(batch)
        assert y.type() == 'torch.CudaTensor'
        np.testing.assert_allclose(y.float().numpy(), expected.float().numpy(), rtol=1e-6)
        gin = dpt.backward(batch, grad)
        assert gin.type() == 'torch.CudaTensor'
        np.testing.assert_allclose(gin.float().numpy(), expected_gin.float().numpy(), rtol=1e-6)
        np.testing.assert_allclose(net.get(0).gradWeight.float().numpy(),
                                   reference.get(0).get(0).gradWeight.float().numpy(), rtol=1e-5)
    # a host module is never fed a CUDA batch: the replica refuses its chunk by name
    with pytest.raises(TypeError, match=r'DataParallelTable\[replica 0\] .*expected a legonn.FloatTensor input'):
        nn.DataParallelTable(0).add(bn_net().float(), [0, 1]).forward(x.cuda())


def test_errors_name_the_module():
    """cunn: 'must specify a dimension!', nccl needs flattenParams, add takes one table, an empty batch fails
    (its _concat asserts), accUpdateGradParameters/share unsupported; a failed call changes no parameter."""
    with pytest.raises(TypeError, match='DataParallelTable: must specify a dimension'):
        nn.DataParallelTable()
    with pytest.raises(ValueError, match='cannot use nccl without flattenParams'):
        nn.DataParallelTable(0, False, True)
    dpt = nn.DataParallelTable(2).add(mlp(), [0, 1])
    with pytest.raises(ValueError, match='add should only be called once'):
        dpt.add(mlp(), [2])
    with pytest.raises(ValueError, match=r'expected GPU ids \(whole numbers from 0\)'):
        nn.DataParallelTable(0).add(mlp(), [0, -1])
    weight = dpt.get(0).get(0).weight.clone()
    with pytest.raises(ValueError, match=r'DataParallelTable: 2 x Sequential: expected every tensor of the input to '
                                         r'have a dimension 2 to split, got a 2-D tensor'):
        dpt.forward(lg.DoubleTensor(3, 4))
    with pytest.raises(ValueError, match=r'expected a non-empty input'):
        nn.DataParallelTable(0).add(mlp(), [0, 1]).forward(lg.DoubleTensor())
    with pytest.raises(ValueError, match=r'DataParallelTable\[replica 0\] Sequential\[0\] Linear\(4 -> 5\): '
                                         r'expected 4 input features'):
        nn.DataParallelTable(0).add(mlp(), [0, 1]).forward(lg.DoubleTensor(3, 5))
    with pytest.raises(ValueError, match='before forward'):
        nn.DataParallelTable(0).forward(lg.DoubleTensor(3, 4))
    with pytest.raises(NotImplementedError, match='accUpdateGradParameters not supported'):
        dpt.accUpdateGradParameters(lg.DoubleTensor(3, 4), lg.DoubleTensor(3, 3), 0.1)
    with pytest.raises(NotImplementedError, match='share not supported'):
        dpt.share(mlp(), 'weight')
    fresh = nn.DataParallelTable(0).add(mlp(), [0, 1])
    with pytest.raises(ValueError, match=r'expected a forward\(\) on this input before backward'):
        fresh.accGradParameters(lg.DoubleTensor(3, 4), lg.DoubleTensor(3, 3))
    fresh.forward(lg.DoubleTensor(3, 4).uniform())
    grads = fresh.getParameters()[1].clone()
    with pytest.raises(ValueError, match=r'expected gradOutput to be a legonn.DoubleTensor of size \(3, 3\)'):
        fresh.backward(lg.DoubleTensor(3, 4), lg.DoubleTensor(4, 3))
    assert np.array_equal(fresh.getParameters()[1].numpy(), grads.numpy())
    assert np.array_equal(dpt.get(0).get(0).weight.numpy(), weight.numpy())


def test_replicas_follow_the_module():
    """A replica keeps viewing the module's parameters through type() and getParameters(); a clone's replicas view
    the clone's; a layer added to the module, or apply() (cunn's applyChanges), makes the replicas afresh from the
    module, whose BatchNormalization statistics they then start from."""
    dpt = nn.DataParallelTable(0).add(nn.Sequential().add(nn.Linear(4, 3)).add(nn.BatchNormalization(3)), [0, 1])
    x = lg.FloatTensor(6, 4).uniform()
    dpt.forward(x)
    replica = dpt.replica(1)
    dpt.double()
    assert dpt.replica(1) is replica and replica.get(0).weight.type() == 'legonn.DoubleTensor'
    assert replica.get(0).weight.storage() is dpt.get(0).get(0).weight.storage()
    twin = dpt.clone()
    assert twin.replica(1).get(0).weight.storage() is twin.get(0).get(0).weight.storage()
    assert twin.get(0).get(0).weight.storage() is not dpt.get(0).get(0).weight.storage()
    stats = [dpt.replica(i).get(1).running_mean.numpy().copy() for i in range(2)]
    assert not np.allclose(*stats)
    dpt.apply(lambda m: None)
    np.testing.assert_array_equal(dpt.replica(1).get(1).running_mean.numpy(), stats[0])
    dpt.get(0).add(nn.Tanh())
    assert len(dpt.replica(1).modules) == 3
    assert dpt.forward(x.double()).size() == (6, 3)


def test_replicas_kept_between_steps_until_the_module_changes():
    """cunn's BasicImpl keeps its clones across steps (DataParallelTable.lua's setup makes them once): the
    replicas and their parameter tensors stay the same objects from step to step, and follow the module when it
    changes under them: getParameters, a tensor ``set`` to another storage, a layer swapped for one of another
    class, evaluate()."""
    dpt = nn.DataParallelTable(0).add(nn.Sequential().add(nn.Linear(4, 3)).add(nn.MulConstant(2)).double(),
                                      [0, 1, 2])
    x, gy = lg.DoubleTensor(6, 4).uniform(), lg.DoubleTensor(6, 3).uniform()
    dpt.forward(x)
    dpt.backward(x, gy)
    replica = dpt.replica(2)
    weight = replica.get(0).weight
    dpt.forward(x)
    dpt.backward(x, gy)
    assert dpt.replica(2) is replica and replica.get(0).weight is weight
    bias = lg.DoubleTensor(3).fill(7)
    dpt.get(0).get(0).bias.set(bias)
    dpt.forward(x)
    assert replica.get(0).bias.storage() is bias.storage()
    flat = dpt.get(0).getParameters()[0]
    dpt.forward(x)
    assert weight.storage() is flat.storage()
    dpt.get(0).modules[1] = nn.Tanh().double()
    linear = dpt.get(0).get(0)
    expected = np.tanh(x.numpy() @ linear.weight.numpy().T + linear.bias.numpy())
    np.testing.assert_allclose(dpt.forward(x).numpy(), expected, rtol=1e-12)
    dpt.evaluate()
    dpt.forward(x)
    assert not dpt.replica(2).get(1).train


def test_gradients_dropped_from_the_module():
    """neuraltalk2's sanitize_gradients sets a module's gradWeight to nil before saving (the file loads, as Torch7
    loads it, for evaluation): forward still runs, the replicas keeping the gradients they had."""
    dpt = nn.DataParallelTable(0).add(nn.Sequential().add(nn.Linear(4, 3)), [0, 1])
    x = lg.FloatTensor(5, 4).uniform()
    expected = dpt.forward(x).numpy().copy()
    dpt.get(0).get(0).gradWeight = None
    np.testing.assert_array_equal(dpt.forward(x).numpy(), expected)


def test_cunn_empty_data():
    """cunn's test_DataParallelTable.lua, emptyData on 3 'GPUs' (its add loop and ``torch.range(1, numGpus)`` ids):
    a batch of 1 or 2 rows runs on the first replicas only; tables in and out. (Its emptyTensor case feeds a table
    holding an empty tensor, which every legonn module refuses, nn.Sequential included.)"""
    identity = nn.Linear(5, 5).double()
    identity.bias.zero()
    identity.weight = lg.eye(5).double()
    for module in (identity, nn.ParallelTable().add(identity).add(identity)):
        a = nn.DataParallelTable(0)
        a.add(module, lg.range(0, 2).totable())
        a.double()
        for input in (lg.range(1, 15).reshape(3, 5).double(), lg.range(1, 5).reshape(1, 5).double(),
                      lg.range(1, 10).reshape(2, 5).double()):
            if module is not identity:
                input = [input, input]
            output = a.forward(input)
            gradInput = a.backward(input, output)
            for x, y, g in zip(*[t if isinstance(t, list) else [t] for t in (input, output, gradInput)]):
                assert np.array_equal(x.numpy(), y.numpy()) and np.array_equal(x.numpy(), g.numpy())


@pytest.mark.parametrize('flatten', [False, True])
@pytest.mark.parametrize('usethreads', [False, True])
def test_cunn_acc_grad_parameters_and_apply(flatten, usethreads):
    """cunn's test_DataParallelTable.lua accGradParameters (three backwards accumulate before one updateParameters)
    and apply (apply between steps re-makes the replicas, which must not change the training), on 3 'GPUs'."""
    lg.manualSeed(12)
    net = nn.Sequential().add(nn.Linear(3, 10)).add(nn.ReLU()).add(nn.Linear(10, 7)).double()
    inputs = [lg.randn(8, 3).double() for _ in range(3)]
    gradOutputs = [lg.randn(8, 7).double() for _ in range(3)]

    def accumulateGradient(m):
        m.zeroGradParameters()
        for i in range(len(inputs)):
            m.forward(inputs[i])
            m.backward(inputs[i], gradOutputs[i])
        m.updateParameters(0.5)

    def trainNetwork(m):
        def emptyFn(_):
            pass
        m.apply(emptyFn)
        for i in range(len(inputs)):
            m.zeroGradParameters()
            m.forward(inputs[i])
            m.backward(inputs[i], gradOutputs[i])
            m.updateParameters(0.1)
            m.apply(emptyFn)

    for run in (accumulateGradient, trainNetwork):
        base = net.clone()
        run(base)
        expected = base.forward(inputs[0]).numpy()
        dpt = nn.DataParallelTable(0, flatten, False).add(net.clone(), lg.range(0, 2).totable()).double()
        if usethreads:
            dpt.threads()
        run(dpt)
        np.testing.assert_allclose(dpt.forward(inputs[0]).numpy(), expected, rtol=1e-12, atol=1e-13)
