"""torch/nn's test.lua, lines 5975-7610 (``nntest.LookupTable`` ... ``nntest.Replicate``, with the local helper
``createMatrixInputSizes``), ported literally: one test per ``nntest.X``, each naming its lines. The edits are
docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, indices and dimensions are 0-based (LookupTable's
indices, ``randperm``'s values and every module's dimension argument too), a matrix product ``A * B`` is
``A @ B``, ``table.unpack`` is a Python unpacking, ``mytester:assertlt(a, b)`` is ``assert a < b`` and
``assertError`` is ``pytest.raises``; the other ``mytester`` calls stay Tester calls, set to raise.

test.lua runs in Torch7's default type, DoubleTensor (the ``double_default`` fixture), with the shared set-up of
tests/porting/nn_testlua.py (``precision``, ``jac``, ``equal``, ``criterionJacobianTest1DTable``). Lua's
``math.random`` is Python's ``random``, as the porting guide's row says; ``torch.random(a, b)``, which draws
``a .. b``, is ``lg.random(a, b + 1)`` (legonn's stops before its end, as Python's ``range``)."""
import math
import random

import pytest

import legonn as lg
from legonn import nn
from tests.porting.nn_testlua import criterionJacobianTest1DTable, equal, jac, mytester, precision

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as nn.test() runs


def test_LookupTable():
    """test.lua lines 5975-6090. Indices, ``randperm``'s values, the padding index and the Jacobian's index range
    (``minval``, ``maxval``) are 0-based: each moves down by one. ``nn.LookupTable(n, d, p)`` with a padding row
    ``p`` is ``nn.LookupTable(n, d).setPadding(p - 1)`` and Lua's "no padding" 0 is ``None`` (docs/porting.md's
    ``nn.LookupTable(n, d, 0)`` row)."""
    totalIndex = random.randint(6, 9)
    nIndex = random.randint(3, 5)
    entry_size = random.randint(2, 5)

    def dotest(module, input, minval, maxval):
        output = module.forward(input)
        module.backwardUpdate(input, output, 0.1)
        input.zero()

        # 1D
        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight, minval, maxval)
        assert err < precision, '1D error on weight '

        err = jac.testJacobianUpdateParameters(module, input, module.weight, minval, maxval)
        assert err < precision, '1D error on weight [direct update] '

        module.gradWeight.zero()
        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            assert err < precision, '1D error on weight [%s]' % t

        # 2D
        nframe = random.randint(2, 5)
        input = lg.IntTensor(nframe, nIndex).zero()

        err = jac.testJacobianParameters(module, input, module.weight, module.gradWeight, minval, maxval)
        assert err < precision, '2D error on weight '

        err = jac.testJacobianUpdateParameters(module, input, module.weight, minval, maxval)
        assert err < precision, '2D error on weight [direct update] '

        module.gradWeight.zero()
        for t, err in jac.testAllUpdate(module, input, 'weight', 'gradWeight').items():
            assert err < precision, '2D error on weight [%s]' % t

        # IO
        module.gradInput = lg.Tensor(3, 4).zero()  # fixes an error
        ferr, berr = jac.testIO(module, input, minval, maxval)
        mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
        mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

        # accUpdate
        module.accUpdateOnly()
        mytester.assert_(module.gradWeight is None, 'gradWeight is nil')
        module.float()
        output = module.forward(input)
        module.backwardUpdate(input, output, 0.1)

    # test without padding
    input = lg.randperm(totalIndex).narrow(0, 0, nIndex).int()
    module = nn.LookupTable(totalIndex, entry_size)
    dotest(module, input, 0, totalIndex - 1)
    # test with padding set to 1, but no padding in inputs
    input = lg.randperm(totalIndex).narrow(0, 0, nIndex).int()
    module = nn.LookupTable(totalIndex, entry_size).setPadding(0)
    dotest(module, input, 1, totalIndex - 1)
    # test whether padding weights remain unchanged
    paddingValue = random.randint(1, totalIndex) - 1
    module = nn.LookupTable(totalIndex, entry_size).setPadding(paddingValue)
    padw = module.weight.select(0, paddingValue).fill(1)
    padw_sum = padw.sum()
    input = lg.IntTensor(nIndex)
    for i in range(100):
        def half_padding(*_):
            # set randomly half of the input as padding
            if lg.random(2) == 0:
                return paddingValue
            return lg.random(totalIndex)
        input.apply(half_padding)
        y = module.updateOutput(input)
        module.updateGradInput(input, y)
        module.accUpdateGradParameters(input, y, 0.1)
    err = padw_sum - padw.sum()
    assert err < precision, 'padding update error '
    # test whether the weights changes accordingly when maxNorm is not nil
    all_index = lg.randperm(totalIndex).int()
    # input can have duplicates
    input = lg.repeatTensor(all_index.narrow(0, 0, nIndex), 2)
    maxNorm = random.random()
    for normType in [1, 2, random.random()]:
        module = nn.LookupTable(totalIndex, entry_size, None, maxNorm, normType)
        oriW = module.weight.clone()
        output = module.updateOutput(input)
        # check output is of small norm
        for j in range(output.size(0)):
            norm = lg.norm(output.select(0, j), normType)
            if norm > maxNorm:
                err = norm - maxNorm
                assert math.fabs(err) < precision, \
                    'output after renorm exceeds maxNorm=[%f] with normType=[%f]' % (maxNorm, normType)
        # check the update of the module.weight
        for j in range(totalIndex):
            k = all_index[j]
            if j < nIndex:  # k is an index in "input"
                norm = lg.norm(module.weight.select(0, k), normType)
                oriNorm = lg.norm(oriW.select(0, k), normType)
                if oriNorm > maxNorm:
                    err = norm - maxNorm
                    assert math.fabs(err) < precision, 'unexpected norm after renorm'
                else:
                    err = norm - oriNorm
                    assert math.fabs(err) < precision, 'unpexpected norm after renorm'
            else:  # k is not an index in "input"
                err = module.weight.select(0, k).sum() - oriW.select(0, k).sum()
                assert math.fabs(err) < precision, 'unexpected changes in weight after renorm'


def test_AddConstant():
    """test.lua lines 6092-6156."""
    nbatch = lg.random(3, 6)
    f = lg.random(3, 6)
    h = lg.random(7, 10)
    w = lg.random(7, 10)
    input = lg.rand(nbatch, f, h, w).mul(20).add(-10)  # [-10, 10]

    constant = lg.randn(1).squeeze()
    mod = nn.AddConstant(constant)

    # Test FPROP
    output = mod.forward(input)
    delta = output - input
    assert delta.add(-constant).abs().max() < precision, 'fprop error'

    # Test BPROP
    err = jac.testJacobian(mod, input)
    assert err < precision, 'bprop error '

    # inplace comparisons
    ini = random.randint(3, 5)
    inj = random.randint(3, 5)
    ink = random.randint(3, 5)
    constant = lg.uniform() * random.randint(1, 10)

    input1 = lg.rand(ink, inj, ini)
    input2 = input1.clone()

    module1 = nn.AddConstant(constant, True)
    module2 = nn.AddConstant(constant)

    gradOutput1 = lg.rand(ink, inj, ini)
    gradOutput2 = gradOutput1.clone()

    out1 = module1.forward(input1)
    out2 = module2.forward(input2)

    mytester.asserteq(0, (out1 - out2).abs().max(), lg.typename(module1) + ' - in-place forward err ')

    gradInput1 = module1.backward(input1, gradOutput1)
    gradInput2 = module2.backward(input2, gradOutput2)

    mytester.asserteq(0, (gradInput1 - gradInput2).abs().max(), lg.typename(module1) + ' - in-place backward err ')

    input1 = lg.rand(ink, inj, ini)
    input2 = input1.clone()

    module1.forward(input1)
    module1.backward(module1.output, lg.rand(input1.size()))

    err = (input1 - input2).abs().max()
    # the Lua asserts an exact 0 (asserteq), but the in-place round trip (x + c) - c rounds, in Torch7's doubles
    # as in NumPy's (THDoubleVector_adds is IEEE addition): each element is x to within half an ulp of x + c
    # (< 1e-15 for x + c < 16), and the whole tensor comes back exact in under 1% of draws; MulConstant's twin
    # test below allows 1e-15 for the same round trip
    mytester.assertalmosteq(err, 0, 1e-15, lg.typename(module1) + ' - inplace input change err ')

    module3 = nn.AddConstant(lg.Tensor([1, 2, 3]))
    out3 = module3.forward(lg.Tensor([-1, -2, -3]))
    mytester.asserteq(0, out3.abs().max(), lg.typename(module3) + ' - tensor constant forward err ')
    module4 = nn.AddConstant(lg.Tensor([1, 2, 3]))
    out4 = module3.forward(lg.Tensor([[-1, -2, -3], [-1, -2, -3]]))
    mytester.asserteq(0, out4.abs().max(), lg.typename(module4) + ' - batch tensor constant forward err ')


def test_MulConstant():
    """test.lua lines 6158-6213."""
    nbatch = lg.random(3, 6)
    f = lg.random(3, 6)
    h = lg.random(7, 10)
    w = lg.random(7, 10)
    input = lg.rand(nbatch, f, h, w).mul(20).add(-10)  # [-10, 10]

    constant = lg.randn(1).squeeze()
    mod = nn.MulConstant(constant)

    # Test FPROP
    output = mod.forward(input)
    scale = output.clone().cdiv(input)
    assert scale.add(-constant).abs().max() < precision, 'fprop error'

    # Test BPROP
    err = jac.testJacobian(mod, input)
    assert err < precision, 'bprop error '

    # inplace comparisons
    ini = random.randint(3, 5)
    inj = random.randint(3, 5)
    ink = random.randint(3, 5)
    constant = lg.uniform() * random.randint(1, 10)

    input1 = lg.rand(ink, inj, ini)
    input2 = input1.clone()

    module1 = nn.MulConstant(constant, True)
    module2 = nn.MulConstant(constant)

    gradOutput1 = lg.rand(ink, inj, ini)
    gradOutput2 = gradOutput1.clone()

    out1 = module1.forward(input1)
    out2 = module2.forward(input2)

    mytester.asserteq(0, (out1 - out2).abs().max(), lg.typename(module1) + ' - in-place forward err ')

    gradInput1 = module1.backward(input1, gradOutput1)
    gradInput2 = module2.backward(input2, gradOutput2)

    mytester.asserteq(0, (gradInput1 - gradInput2).abs().max(), lg.typename(module1) + ' - in-place backward err ')

    input1 = lg.rand(ink, inj, ini)
    input2 = input1.clone()

    module1.forward(input1)
    module1.backward(module1.output, lg.rand(input1.size()))

    err = (input1 - input2).abs().max()
    mytester.assertalmosteq(err, 0, 1e-15, lg.typename(module1) + ' - inplace input change err ')


def test_Copy():
    """test.lua lines 6215-6227."""
    input = lg.randn(3, 4).double()
    c = nn.Copy('torch.DoubleTensor', 'torch.FloatTensor')
    output = c.forward(input)
    mytester.assert_(lg.type(output) == 'torch.FloatTensor', 'copy forward type err')
    mytester.assertTensorEq(output, input.float(), 0.000001, 'copy forward value err')
    gradInput = c.backward(input, output)
    mytester.assert_(lg.type(gradInput) == 'torch.DoubleTensor', 'copy backward type err')
    mytester.assertTensorEq(gradInput, input, 0.000001, 'copy backward value err')
    c.dontCast = True
    c.double()
    mytester.assert_(lg.type(output) == 'torch.FloatTensor', 'copy forward type err')


def test_CMaxTable():
    """test.lua lines 6229-6242."""
    input1 = lg.Tensor([[1, 3], [2, 4]])
    input2 = lg.Tensor([[4, 2], [3, 1]])
    input = [input1, input2]
    module = nn.CMaxTable()
    err1 = lg.add(module.forward(input), -1, lg.Tensor([[4, 3], [3, 4]]))
    mytester.assertalmosteq(err1.abs().max(), 0, 1e-15, "CMaxTable forward call")
    gradOutputs = lg.Tensor([5, 6, 7, 8])
    gradInputs = module.backward(input, gradOutputs)
    err2 = lg.add(gradInputs[0], -1, lg.Tensor([[0, 6], [0, 8]]))
    err3 = lg.add(gradInputs[1], -1, lg.Tensor([[5, 0], [7, 0]]))
    mytester.assertalmosteq(err2.abs().max(), 0, 1e-15, "CMaxTable backward call")
    mytester.assertalmosteq(err3.abs().max(), 0, 1e-15, "CMaxTable backward call")


def test_CMinTable():
    """test.lua lines 6244-6257."""
    input1 = lg.Tensor([[1, 3], [2, 4]])
    input2 = lg.Tensor([[4, 2], [3, 1]])
    input = [input1, input2]
    module = nn.CMinTable()
    err1 = lg.add(module.forward(input), -1, lg.Tensor([[1, 2], [2, 1]]))
    mytester.assertalmosteq(err1.abs().max(), 0, 1e-15, "CMinTable forward call")
    gradOutputs = lg.Tensor([5, 6, 7, 8])
    gradInputs = module.backward(input, gradOutputs)
    err2 = lg.add(gradInputs[0], -1, lg.Tensor([[5, 0], [7, 0]]))
    err3 = lg.add(gradInputs[1], -1, lg.Tensor([[0, 6], [0, 8]]))
    mytester.assertalmosteq(err2.abs().max(), 0, 1e-15, "CMinTable backward call")
    mytester.assertalmosteq(err3.abs().max(), 0, 1e-15, "CMinTable backward call")


def test_JoinTable():
    """test.lua lines 6259-6276."""
    tensor = lg.rand(3, 4, 5)
    input = [tensor, tensor]
    for d in range(tensor.dim()):
        module = nn.JoinTable(d)
        mytester.asserteq(module.forward(input).size(d), tensor.size(d) * 2, "dimension " + str(d))

    # Minibatch
    tensor = lg.rand(3, 4, 5)
    input = [tensor, tensor]
    for d in range(tensor.dim() - 1):
        module = nn.JoinTable(d, 2)
        mytester.asserteq(module.forward(input).size(d + 1), tensor.size(d + 1) * 2, "dimension " + str(d))


def test_SplitTable():
    """test.lua lines 6278-6300."""
    input = lg.randn(3, 4, 5)
    for d in range(input.dim()):
        module = nn.SplitTable(d)
        mytester.asserteq(len(module.forward(input)), input.size(d), "dimension " + str(d))

    # Minibatch
    input = lg.randn(3, 4, 5)
    for d in range(input.dim() - 1):
        module = nn.SplitTable(d, 2)
        mytester.asserteq(len(module.forward(input)), input.size(d + 1), "dimension " + str(d))

    # Negative indices
    module = nn.SplitTable(-3)
    input = lg.randn(3, 4, 5)
    mytester.asserteq(len(module.forward(input)), 3, "negative index")
    input = lg.randn(2, 3, 4, 5)
    mytester.asserteq(len(module.forward(input)), 3, "negative index (minibatch)")


def test_Select():
    """test.lua lines 6302-6310."""
    # Test negative Select
    input = lg.Tensor([[4, 6, 7], [8, 0, 1]])
    mytester.asserteq(nn.Select(0, -1).forward(input)[0], 8, "negative index")
    mytester.asserteq(nn.Select(0, -1).forward(input)[1], 0, "negative index")
    mytester.asserteq(nn.Select(0, -2).forward(input)[1], 6, "negative index")
    mytester.asserteq(nn.Select(-1, -1).forward(input)[0], 7, "negative dim + negative index")
    mytester.asserteq(nn.Select(-1, -1).forward(input)[1], 1, "negative dim + negative index")


def test_SelectTable():
    """test.lua lines 6312-6405. Lua's ``input[#input+idx+1]`` for a negative ``idx`` is ``input[len(input) + idx]``
    0-based."""
    input = [
        lg.rand(3, 4, 5), lg.rand(3, 4, 5),
        [lg.rand(3, 4, 5)],
        [lg.rand(3, 4, 5), [lg.rand(3, 4, 5)]],
    ]
    gradOutputs = [
        lg.rand(3, 4, 5), lg.rand(3, 4, 5),
        [lg.rand(3, 4, 5)],
        [lg.rand(3, 4, 5), [lg.rand(3, 4, 5)]],
    ]
    zeros = [
        lg.Tensor(3, 4, 5).zero(), lg.Tensor(3, 4, 5).zero(),
        [lg.Tensor(3, 4, 5).zero()],
        [lg.Tensor(3, 4, 5).zero(), [lg.Tensor(3, 4, 5).zero()]],
    ]
    nonIdx = [1, 2, 3, 0]
    for idx in range(len(input)):
        module = nn.SelectTable(idx)
        output = module.forward(input)
        equal(output, input[idx], "output dimension " + str(idx))
        gradInput = module.backward(input, gradOutputs[idx])
        equal(gradInput[idx], gradOutputs[idx], "gradInput[idx] dimension " + str(idx))
        equal(gradInput[nonIdx[idx]], zeros[nonIdx[idx]], "gradInput[nonIdx] dimension " + str(idx))

    # test negative index
    idx = -2
    module = nn.SelectTable(idx)
    output = module.forward(input)
    equal(output, input[len(input) + idx], "output dimension " + str(idx))
    gradInput = module.backward(input, gradOutputs[len(input) + idx])
    equal(gradInput[len(input) + idx], gradOutputs[len(input) + idx], "gradInput[idx] dimension " + str(idx))
    equal(gradInput[nonIdx[len(input) + idx]], zeros[nonIdx[len(input) + idx]],
          "gradInput[nonIdx] dimension " + str(idx))

    # test typecast
    idx = len(input) - 1
    module = nn.SelectTable(idx)
    module.float()
    output = module.forward(input)
    equal(output, input[idx], "type output")
    gradInput = module.backward(input, gradOutputs[idx])
    equal(gradInput[idx], gradOutputs[idx], "gradInput[idx] dimension " + str(idx))
    equal(gradInput[nonIdx[idx]], zeros[nonIdx[idx]], "gradInput[nonIdx] dimension " + str(idx))

    # test on differently sized sub-input tables given consequetively
    input1 = [
        lg.rand(3, 4, 5),
        [lg.rand(3, 4, 5), lg.rand(3, 4, 5), lg.rand(3, 4, 5)],
    ]
    input2 = [
        lg.rand(3, 4, 5),
        [lg.rand(3, 4, 5), lg.rand(3, 4, 5)],
    ]

    module = nn.SelectTable(0)
    output = module.forward(input1)
    equal(output, input1[0], "output dimension 1")
    gradInput = module.backward(input1, output)
    mytester.assert_(len(gradInput) == len(input1), "Table lengths")
    mytester.assert_(len(gradInput[1]) == len(input1[1]), "Sub-Table lengths")
    output = module.forward(input2)
    equal(output, input2[0], "output dimension 1")
    gradInput = module.backward(input2, output)
    mytester.assert_(len(gradInput) == len(input2), "Table lengths")
    mytester.assert_(len(gradInput[1]) == len(input2[1]), "Sub-Table lengths")

    # test on tables of increasing size
    input1 = [lg.rand(3, 4, 5), lg.rand(3, 4, 5)]
    input2 = [lg.rand(3, 4, 5), lg.rand(3, 4, 5), lg.rand(3, 4, 5)]
    gradOutput1 = lg.randn(3, 4, 5)
    gradOutput2 = lg.randn(3, 4, 5)

    module1 = nn.SelectTable(-1)
    output1 = module1.forward(input1).clone()
    output2 = module1.forward(input2)
    gradInput_ = module1.backward(input1, gradOutput1)
    gradInput1 = [v.clone() for v in gradInput_]
    gradInput2 = module1.backward(input2, gradOutput2)

    module3 = nn.SelectTable(-1)
    module4 = nn.SelectTable(-1)
    output3 = module3.forward(input1)
    output4 = module4.forward(input2)
    gradInput3 = module3.backward(input1, gradOutput1)
    gradInput4 = module4.backward(input2, gradOutput2)

    equal(output1, output3, "output 1 and 3")
    equal(output2, output4, "output 2 and 4")
    equal(gradInput1, gradInput3, "gradInput 1 and 3")
    equal(gradInput2, gradInput4, "gradInput 2 and 4")


def test_MixtureTable():
    """test.lua lines 6407-6536. ``nn.MixtureTable(dim)``'s dimension is 0-based."""
    # 2D
    # expertInput is a Table:
    expertInput = lg.randn(5, 3, 6)
    gradOutput = lg.randn(5, 6)
    input = [
        lg.rand(5, 3),
        [expertInput.select(1, 0), expertInput.select(1, 1), expertInput.select(1, 2)],
    ]
    module = nn.MixtureTable()
    output = module.forward(input)
    output2 = lg.cmul(input[0].view(5, 3, 1).expand(5, 3, 6), expertInput).sum(1).squeeze(1)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture output")
    gradInput = module.backward(input, gradOutput)
    gradOutput2 = lg.view(gradOutput, 5, 1, 6).expandAs(expertInput)
    gaterGradInput2 = lg.cmul(gradOutput2, expertInput).sum(2).select(2, 0)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture gater gradInput")
    expertGradInput2 = lg.cmul(input[0].view(5, 3, 1).expand(5, 3, 6), gradOutput.view(5, 1, 6).expand(5, 3, 6))
    for i, expertGradInput in enumerate(gradInput[1]):
        mytester.assertTensorEq(expertGradInput, expertGradInput2.select(1, i), 0.000001,
                                "mixture expert " + str(i) + " gradInput")
    # expertInput is a Tensor:
    input = [input[0], expertInput]
    module = nn.MixtureTable(1)
    output = module.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture2 output")
    gradInput = module.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture2 gater gradInput")
    mytester.assertTensorEq(gradInput[1], expertGradInput2, 0.000001, "mixture2 expert gradInput")

    # 3D
    expertInput = lg.randn(5, 6, 3, 2)
    gradOutput = lg.randn(5, 6, 2)
    # expertInput is a Table:
    input = [
        lg.rand(5, 3),
        [expertInput.select(2, 0), expertInput.select(2, 1), expertInput.select(2, 2)],
    ]
    module = nn.MixtureTable()
    output = module.forward(input)
    output2 = lg.cmul(input[0].view(5, 1, 3, 1).expand(5, 6, 3, 2), expertInput).sum(2).squeeze(2)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture3 output")
    gradInput = module.backward(input, gradOutput)
    gradOutput2 = lg.view(gradOutput, 5, 6, 1, 2).expandAs(expertInput)
    gaterGradInput2 = lg.cmul(gradOutput2, expertInput).sum(3).select(3, 0).sum(1).select(1, 0)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture3 gater gradInput")
    expertGradInput2 = lg.cmul(input[0].view(5, 1, 3, 1).expand(5, 6, 3, 2), gradOutput2)
    for i, expertGradInput in enumerate(gradInput[1]):
        mytester.assertTensorEq(expertGradInput, expertGradInput2.select(2, i), 0.000001,
                                "mixture3 expert " + str(i) + " gradInput")
    # expertInput is a Tensor
    input = [input[0], expertInput]
    module = nn.MixtureTable(2)
    output = module.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture4 output")
    gradInput = module.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture4 gater gradInput")
    mytester.assertTensorEq(gradInput[1], expertGradInput2, 0.000001, "mixture4 expert gradInput")

    # 1D
    # expertInput is a Table:
    expertInput = lg.randn(3, 6)
    gradOutput = lg.randn(6)
    input = [
        lg.rand(3),
        [expertInput.select(0, 0), expertInput.select(0, 1), expertInput.select(0, 2)],
    ]
    module = nn.MixtureTable()
    output = module.forward(input)
    output2 = lg.cmul(input[0].view(3, 1).expand(3, 6), expertInput).sum(0).squeeze(0)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture5 output")
    gradInput = module.backward(input, gradOutput)
    gradOutput2 = lg.view(gradOutput, 1, 6).expandAs(expertInput)
    gaterGradInput2 = lg.cmul(gradOutput2, expertInput).sum(1).select(1, 0)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture5 gater gradInput")
    expertGradInput2 = lg.cmul(input[0].view(3, 1).expand(3, 6), gradOutput.view(1, 6).expand(3, 6))
    for i, expertGradInput in enumerate(gradInput[1]):
        mytester.assertTensorEq(expertGradInput, expertGradInput2.select(0, i), 0.000001,
                                "mixture5 expert " + str(i) + " gradInput")
    # test type-cast
    module.float()
    input2 = [
        input[0].float(),
        [input[1][0].float(), input[1][1].float(), input[1][2].float()],
    ]
    output = module.forward(input2)
    mytester.assertTensorEq(output, output2.float(), 0.000001, "mixture5B output")
    gradInput = module.backward(input2, gradOutput.float())
    mytester.assertTensorEq(gradInput[0], gaterGradInput2.float(), 0.000001, "mixture5B gater gradInput")
    for i, expertGradInput in enumerate(gradInput[1]):
        mytester.assertTensorEq(expertGradInput, expertGradInput2.select(0, i).float(), 0.000001,
                                "mixture5B expert " + str(i) + " gradInput")
    # expertInput is a Tensor:
    input = [input[0], expertInput]
    module = nn.MixtureTable(0)
    output = module.forward(input)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture6 output")
    gradInput = module.backward(input, gradOutput)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture6 gater gradInput")
    mytester.assertTensorEq(gradInput[1], expertGradInput2, 0.000001, "mixture6 expert gradInput")
    # test type-cast:
    module.float()
    input2 = [input[0].float(), expertInput.float()]
    output = module.forward(input2)
    mytester.assertTensorEq(output, output2.float(), 0.000001, "mixture6B output")
    gradInput = module.backward(input2, gradOutput.float())
    mytester.assertTensorEq(gradInput[0], gaterGradInput2.float(), 0.000001, "mixture6B gater gradInput")
    mytester.assertTensorEq(gradInput[1], expertGradInput2.float(), 0.000001, "mixture6B expert gradInput")

    # 2D gater, 1D expert
    # expertInput is a Table:
    expertInput = lg.randn(5, 3)
    gradOutput = lg.randn(5)
    input = [
        lg.rand(5, 3),
        [expertInput.select(1, 0), expertInput.select(1, 1), expertInput.select(1, 2)],
    ]
    module = nn.MixtureTable()
    output = module.forward(input)
    output2 = lg.cmul(input[0], expertInput).sum(1).squeeze(1)
    mytester.assertTensorEq(output, output2, 0.000001, "mixture7 output")
    gradInput = module.backward(input, gradOutput)
    gradOutput2 = lg.view(gradOutput, 5, 1).expandAs(expertInput)
    gaterGradInput2 = lg.cmul(gradOutput2, expertInput)
    mytester.assertTensorEq(gradInput[0], gaterGradInput2, 0.000001, "mixture7 gater gradInput")
    expertGradInput2 = lg.cmul(input[0], gradOutput.view(5, 1).expand(5, 3))
    for i, expertGradInput in enumerate(gradInput[1]):
        mytester.assertTensorEq(expertGradInput, expertGradInput2.select(1, i), 0.000001,
                                "mixture7 expert " + str(i) + " gradInput")


def test_Narrow():
    """test.lua lines 6538-6623."""
    # check basic narrow functionality #1
    input = lg.rand(9, 4, 14)
    output = input.narrow(0, 2, 5)
    gradOutput = lg.rand(5, 4, 14)
    gradInput = lg.zeros(9, 4, 14)
    gradInput.narrow(0, 2, 5).copy(gradOutput)
    module1 = nn.Narrow(0, 2, 5)
    output1 = module1.forward(input)
    gradInput1 = module1.backward(input, gradOutput)
    module2 = nn.Narrow(0, 2, -3)
    output2 = module2.forward(input)
    gradInput2 = module2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output1, 0.0000001, "Narrow #1 output err")
    mytester.assertTensorEq(gradInput, gradInput1, 0.00001, "Narrow #1 gradInput err")
    mytester.assertTensorEq(output, output2, 0.0000001, "Narrow #1 negative output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "Narrow #1 negative gradInput err")

    # check basic narrow functionality #2
    input = lg.rand(3, 10, 4)
    output = input.narrow(1, 4, 3)
    gradOutput = lg.rand(3, 3, 4)
    gradInput = lg.zeros(3, 10, 4)
    gradInput.narrow(1, 4, 3).copy(gradOutput)
    module1 = nn.Narrow(1, 4, 3)
    output1 = module1.forward(input)
    gradInput1 = module1.backward(input, gradOutput)
    module2 = nn.Narrow(1, 4, -4)
    output2 = module2.forward(input)
    gradInput2 = module2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output1, 0.0000001, "Narrow #2 output err")
    mytester.assertTensorEq(gradInput, gradInput1, 0.00001, "Narrow #2 gradInput err")
    mytester.assertTensorEq(output, output2, 0.0000001, "Narrow #2 negative output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "Narrow #2 negative gradInput err")

    # check basic narrow functionality #3
    input = lg.rand(6, 11, 7)
    output = input.narrow(2, 0, 1)
    gradOutput = lg.rand(6, 11, 1)
    gradInput = lg.zeros(6, 11, 7)
    gradInput.narrow(2, 0, 1).copy(gradOutput)
    module1 = nn.Narrow(2, 0, 1)
    output1 = module1.forward(input)
    gradInput1 = module1.backward(input, gradOutput)
    module2 = nn.Narrow(2, 0, -7)
    output2 = module2.forward(input)
    gradInput2 = module2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output1, 0.0000001, "Narrow #3 output err")
    mytester.assertTensorEq(gradInput, gradInput1, 0.00001, "Narrow #3 gradInput err")
    mytester.assertTensorEq(output, output2, 0.0000001, "Narrow #3 negative output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "Narrow #3 negative gradInput err")

    # check basic narrow functionality #4
    input = lg.rand(3, 10, 4)
    output = input.narrow(1, 4, 3)
    gradOutput = lg.rand(3, 3, 4)
    gradInput = lg.zeros(3, 10, 4)
    gradInput.narrow(1, 4, 3).copy(gradOutput)
    module1 = nn.Narrow(-2, 4, 3)
    output1 = module1.forward(input)
    gradInput1 = module1.backward(input, gradOutput)
    module2 = nn.Narrow(-2, 4, -4)
    output2 = module2.forward(input)
    gradInput2 = module2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output1, 0.0000001, "Narrow #4 output err")
    mytester.assertTensorEq(gradInput, gradInput1, 0.00001, "Narrow #4 gradInput err")
    mytester.assertTensorEq(output, output2, 0.0000001, "Narrow #4 negative output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "Narrow #4 negative gradInput err")

    # check narrow negative offset
    input = lg.rand(3, 10, 4)
    output = input.narrow(1, 0, 3)
    gradOutput = lg.rand(3, 3, 4)
    gradInput = lg.zeros(3, 10, 4)
    gradInput.narrow(1, 0, 3).copy(gradOutput)
    # nn.Narrow(2, -1, 7): Narrow.lua reads a negative offset as "all but the last 7 from the first"; a legonn
    # negative offset counts from the end, so Torch7's window is offset 0, length -(7 + 1) (docs/porting.md's
    # row on Narrow's negative offset)
    module1 = nn.Narrow(1, 0, -8)
    output1 = module1.forward(input)
    gradInput1 = module1.backward(input, gradOutput)
    module2 = nn.Narrow(1, 0, 3)
    output2 = module2.forward(input)
    gradInput2 = module2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output1, 0.0000001, "Narrow #5 output err")
    mytester.assertTensorEq(gradInput, gradInput1, 0.00001, "Narrow #5 gradInput err")
    mytester.assertTensorEq(output, output2, 0.0000001, "Narrow #5 negative output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "Narrow #5 negative gradInput err")


def test_NarrowTable():
    """test.lua lines 6625-6662."""
    input = lg.randn(3, 10, 4)
    gradOutput = lg.randn(3, 3, 4)
    nt = nn.NarrowTable(4, 3)
    seq = nn.Sequential()
    seq.add(nn.SplitTable(0, 2))
    seq.add(nt)
    seq.add(nn.JoinTable(0, 1))
    seq.add(nn.Reshape(3, 3, 4))
    seq2 = nn.Narrow(1, 4, 3)
    output = seq.forward(input)
    gradInput = seq.backward(input, gradOutput)
    output2 = seq2.forward(input)
    gradInput2 = seq2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output2, 0.0000001, "NarrowTable output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "NarrowTable gradInput err")

    # now try it with a smaller input
    input = input.narrow(1, 0, 8)
    output = seq.forward(input)
    gradInput = seq.backward(input, gradOutput)
    output2 = seq2.forward(input)
    gradInput2 = seq2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output2, 0.0000001, "NarrowTable small output err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "NarrowTable small gradInput err")

    # test type-cast
    input = input.float()
    gradOutput = gradOutput.float()
    seq.float()
    seq2.float()
    output = seq.forward(input)
    gradInput = seq.backward(input, gradOutput)
    output2 = seq2.forward(input)
    gradInput2 = seq2.backward(input, gradOutput)
    mytester.assertTensorEq(output, output2, 0.0000001, "NarrowTable output float err")
    mytester.assertTensorEq(gradInput, gradInput2, 0.00001, "NarrowTable gradInput float err")


def test_View():
    """test.lua lines 6664-6718."""
    input = lg.rand(10)
    template = lg.rand(5, 2)
    target = template.size().totable()
    module = nn.View(template.size())
    mytester.assertTableEq(module.forward(input).size().totable(), target, "Error in forward (1)")
    module = nn.View(*target)
    mytester.assertTableEq(module.forward(input).size().totable(), target, "Error in forward (2)")

    # Minibatch
    minibatch = lg.rand(5, 10)
    mytester.asserteq(module.forward(minibatch).size(0), minibatch.size(0), "Error in minibatch dimension")
    mytester.asserteq(module.forward(minibatch).nElement(), minibatch.nElement(), "Error in minibatch nElement")
    module = nn.View(-1).setNumInputDims(1)
    mytester.asserteq(module.forward(minibatch).size(0), minibatch.size(0),
                      "Error in minibatch dimension with size -1")
    mytester.asserteq(module.forward(minibatch).nElement(), minibatch.nElement(),
                      "Error in minibatch nElement with size -1")

    # another setNumInputDims case
    minibatch = lg.rand(5, 4, 10)
    module = nn.View(-1).setNumInputDims(2)
    mytester.asserteq(module.forward(minibatch).size(0), minibatch.size(0),
                      "Error in minibatch dimension with size -1")

    # another setNumInputDims case
    minibatch = lg.rand(2, 5, 4, 10)
    module = nn.View(4, -1).setNumInputDims(2)
    out = module.forward(minibatch)
    mytester.asserteq(out.size(0), minibatch.size(0) * minibatch.size(1), "Error in minibatch dimension with size -1")
    mytester.asserteq(out.size(1), minibatch.size(2), "Error in minibatch dimension with size -1")
    mytester.asserteq(out.size(2), minibatch.size(3), "Error in minibatch dimension with size -1")

    # Minibatch Generalization
    minibatch = lg.rand(5, 2, 6)
    module = nn.View(6)
    mytester.asserteq(module.forward(minibatch).size(0), minibatch.size(0) * minibatch.size(1),
                      "Error in minibatch generalization dimension")
    mytester.asserteq(module.forward(minibatch).nElement(), minibatch.nElement(),
                      "Error in minibatch generalization nElement")


def test_Reshape():
    """test.lua lines 6720-6737."""
    input = lg.rand(10)
    template = lg.rand(5, 2)
    target = template.size().totable()
    module = nn.Reshape(template.size())
    mytester.assertTableEq(module.forward(input).size().totable(), target, "Error in forward (1)")
    module = nn.View(*target)
    mytester.assertTableEq(module.forward(input).size().totable(), target, "Error in forward (2)")

    # Minibatch
    minibatch = lg.rand(5, 10)
    mytester.asserteq(module.forward(minibatch).size(0), minibatch.size(0), "Error in minibatch dimension")
    mytester.asserteq(module.forward(minibatch).nElement(), minibatch.nElement(), "Error in minibatch nElement")


def test_SpatialUpSamplingNearest():
    """test.lua lines 6740-6761 (Define a test for SpatialUpSamplingCuda)."""
    scale = lg.random(2, 5)
    for dim in range(3, 5):
        m = nn.SpatialUpSamplingNearest(scale)

        # Create a randomly sized dimD vector
        shape = []
        for i in range(dim):
            shape.append(lg.random(2, 2 + dim - 1 + 1))

        # Check that the gradient is correct by using finite elements
        input = lg.Tensor(*shape).zero()

        err = jac.testJacobian(m, input)
        assert err < precision, ' error on state '

        ferr, berr = jac.testIO(m, input)
        mytester.asserteq(ferr, 0, lg.typename(m) + ' - i/o forward err ')
        mytester.asserteq(berr, 0, lg.typename(m) + ' - i/o backward err ')


def test_SpatialUpSamplingBilinear():
    """test.lua lines 6763-6785."""
    for scale in range(2, 5):
        for dim in range(3, 5):
            m = nn.SpatialUpSamplingBilinear(scale)

            # Create a randomly sized dimD vector
            shape = []
            for i in range(dim):
                shape.append(lg.random(2, 2 + dim - 1 + 1))

            # Check that the gradient is correct by using finite elements
            input = lg.DoubleTensor(*shape).normal()

            err = jac.testJacobian(m, input)
            assert err < precision, ' error on state '

            ferr, berr = jac.testIO(m, input)
            mytester.asserteq(ferr, 0, lg.typename(m) + ' - i/o forward err ')
            mytester.asserteq(berr, 0, lg.typename(m) + ' - i/o backward err ')


def test_UpSampling():
    """test.lua lines 6787-6811."""
    # Test nearest and linear modes
    for mode in ['nearest', 'linear']:
        for scale in range(2, 5):
            for dim in range(4, 6):
                m = nn.UpSampling(scale, mode)

                # Create a randomly sized dimD vector
                shape = []
                for i in range(dim):
                    # the Lua draws 2 .. 4 for both; a 5-D input of up to 4^5 elements has up to 4^8 outputs at
                    # scale 4, and the Jacobian's 65536 one-hot backward calls take a minute here: 5-D sizes
                    # are 2 .. 3 (at most 243 inputs, 15552 outputs)
                    shape.append(lg.random(2, 5 if dim == 4 else 4))

                # Check that the gradient is correct by using finite elements
                input = lg.Tensor(*shape).zero()
                err = jac.testJacobian(m, input)
                assert err < precision, ' error on state '

                ferr, berr = jac.testIO(m, input)
                mytester.asserteq(ferr, 0, lg.typename(m) + ' - i/o forward err ')
                mytester.asserteq(berr, 0, lg.typename(m) + ' - i/o backward err ')


def test_Concat():
    """test.lua lines 6813-6842."""
    input = lg.randn(4, 2)
    num_modules = random.randint(2, 5)
    linears = []
    for i in range(num_modules):
        linears.append(nn.Linear(2, 5))

    m = nn.Concat(0)
    for module in linears:
        m.add(module)
        module.zeroGradParameters()
        module.weight.fill(1)
        module.bias.fill(0)
    mytester.asserteq(m.size(), num_modules)

    output = m.forward(input)
    output2 = input.sum(1).expand(4, 5).repeatTensor(num_modules, 1)
    mytester.assertTensorEq(output2, output, 0.000001, 'Concat forward err')

    gradInput = m.backward(input, lg.ones(output2.size()))
    gradInput2 = lg.ones(4, 2).fill(num_modules * 5)
    mytester.assertTensorEq(gradInput, gradInput2, 0.000001, 'Concat backward err (gradInput)')

    gradWeight = input.sum(0).expand(5, 2)
    for module in linears:
        mytester.assertTensorEq(gradWeight, module.gradWeight, 0.000001, 'Concat backward err (gradWeight)')


def test_Parallel():
    """test.lua lines 6844-6857."""
    input = lg.randn(3, 4, 5)
    m = nn.Parallel(0, 2)
    m.add(nn.View(4, 5, 1))
    m.add(nn.View(4, 5, 1))
    m.add(nn.View(4, 5, 1))

    output = m.forward(input)
    output2 = input.transpose(0, 2).transpose(0, 1)
    mytester.assertTensorEq(output2, output, 0.000001, 'Parallel forward err')

    gradInput = m.backward(input, output2)
    mytester.assertTensorEq(gradInput, input, 0.000001, 'Parallel backward err')


def test_ParallelTable():
    """test.lua lines 6859-6876."""
    input = lg.randn(3, 4, 5)
    p = nn.ParallelTable()
    p.add(nn.View(4, 5, 1))
    p.add(nn.View(4, 5, 1))
    p.add(nn.View(4, 5, 1))
    m = nn.Sequential()
    m.add(nn.SplitTable(0))
    m.add(p)
    m.add(nn.JoinTable(2))

    output = m.forward(input)
    output2 = input.transpose(0, 2).transpose(0, 1)
    mytester.assertTensorEq(output2, output, 0.000001, 'ParallelTable forward err')

    gradInput = m.backward(input, output2)
    mytester.assertTensorEq(gradInput, input, 0.000001, 'ParallelTable backward err')


def test_ConcatTable():
    """test.lua lines 6878-6937."""
    # Test tensor input
    input = lg.rand(5, 5, 5)
    m = nn.Sequential()

    concat = nn.ConcatTable()
    concat.add(nn.Identity())

    m.add(concat)  # Output of concat is a table of length 1
    m.add(nn.JoinTable(0))  # jac needs a tensor tensor output

    err = jac.testJacobian(m, input)
    assert err < precision, ' error on state '

    ferr, berr = jac.testIO(m, input)
    mytester.asserteq(ferr, 0, lg.typename(m) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(m) + ' - i/o backward err ')

    # Now test a table input
    input = [
        lg.randn(3, 4).float(), lg.randn(3, 4).float(), [lg.randn(3, 4).float()],
    ]
    _gradOutput = [
        lg.randn(3, 3, 4).float(), lg.randn(3, 3, 4).float(), lg.randn(3, 3, 4).float(),
    ]
    gradOutput = [
        [_gradOutput[0][0], _gradOutput[1][0], [_gradOutput[2][0]]],
        [_gradOutput[0][1], _gradOutput[1][1], [_gradOutput[2][1]]],
        [_gradOutput[0][2], _gradOutput[1][2], [_gradOutput[2][2]]],
    ]
    module = nn.ConcatTable()
    module.add(nn.Identity())
    module.add(nn.Identity())
    module.add(nn.Identity())
    module.float()

    output = module.forward(input)
    output2 = [input, input, input]
    equal(output2, output, "ConcatTable table output")
    gradInput = module.backward(input, gradOutput)
    gradInput2 = [_gradOutput[0].sum(0).squeeze(0), _gradOutput[1].sum(0).squeeze(0),
                  [_gradOutput[2].sum(0).squeeze(0)]]
    equal(gradInput, gradInput2, "ConcatTable table gradInput")

    # test outputs for variable length inputs
    test = nn.ConcatTable()
    test.add(nn.Identity())
    test.add(nn.Identity())

    x = [lg.randn(5), lg.randn(5)]
    y = [lg.randn(5)]

    o1 = len(test.forward(x))
    go1 = len(test.backward(x, [x, x]))
    o2 = len(test.forward(y))
    go2 = len(test.backward(y, [y, y]))
    mytester.assert_(o1 == 2, "ConcatTable table variable length")
    mytester.assert_(go1 == 2, "ConcatTable table variable length")
    mytester.assert_(o2 == 2, "ConcatTable table variable length")
    mytester.assert_(go2 == 1, "ConcatTable table variable length")


def test_MapTable():
    """test.lua lines 6939-7002. ``torch.pointer(a) == torch.pointer(b)`` of two storages is
    ``lg.pointer(a) == lg.pointer(b)``."""
    map = nn.MapTable(nn.Linear(10, 5))
    lin = map.get(0).clone()

    # ParalleTable with clones as reference
    parallel = nn.ParallelTable()
    parallel.add(lin)
    parallel.add(lin.clone('weight', 'bias'))
    parallel.add(lin.clone('weight', 'bias'))

    input = [lg.rand(10), lg.rand(10), lg.rand(10)]
    gradOutput = [lg.ones(5), lg.ones(5), lg.ones(5)]

    outputM = map.forward(input)
    outputP = parallel.forward(input)
    mytester.assertTensorEq(outputM[0], outputP[0])
    mytester.assertTensorEq(outputM[1], outputP[1])
    mytester.assertTensorEq(outputM[2], outputP[2])
    mytester.assert_(map.size() == len(input))

    map.zeroGradParameters()
    parallel.zeroGradParameters()
    gradInputM = map.backward(input, gradOutput)
    gradInputP = parallel.backward(input, gradOutput)
    mytester.assertTensorEq(gradInputM[0], gradInputP[0])
    mytester.assertTensorEq(gradInputM[1], gradInputP[1])
    mytester.assertTensorEq(gradInputM[2], gradInputP[2])

    map.updateParameters(1)
    parallel.updateParameters(1)
    mytester.assertTensorEq(map.get(0).weight, parallel.get(0).weight, 0.00001)

    output = map.forward([input[0], input[1], input[2], input[2]])
    mytester.assert_(len(output) == 4)
    output = map.forward([input[0], input[1]])
    mytester.assert_(len(output) == 2)

    map.resize(10)
    mytester.assert_(map.size() == 10)
    map.resize(4)
    mytester.assert_(map.size() == 4)
    mytester.assert_(lg.pointer(map.get(3).weight.storage()) == lg.pointer(map.get(0).weight.storage()))
    map.clearState()
    mytester.assert_(map.size() == 1)

    # check if gradients are correctly reset
    # share weights and gradients
    map = nn.MapTable(nn.Linear(10, 5))
    map.forward(input)
    _, gradParams = map.getParameters()
    gradParams.uniform()
    map.zeroGradParameters()
    assert gradParams.sum() < precision

    # check if gradients are correctly reset
    # do not share weights and gradients
    map = nn.MapTable(nn.Linear(10, 5), False)
    map.forward(input)
    _, gradParams = map.getParameters()
    gradParams.uniform()
    map.zeroGradParameters()
    assert gradParams.sum() < precision


def test_FlattenTable():
    """test.lua lines 7004-7081. Lua's ``==`` of two tensors or tables (the same object) is ``is``, ``~=`` is
    ``is not`` (docs/porting.md's row)."""
    # Create a nested table.  Obviously we can't even stochastically test
    # the space of all possible nested tables (it's infinite), but here is a
    # hand-coded one that covers all the cases we need:
    input = [
        lg.rand(1),
        [
            lg.rand(2),
            [
                lg.rand(3),
            ],
        ],
        lg.rand(4),
    ]
    gradOutput = [
        lg.rand(1),
        lg.rand(2),
        lg.rand(3),
        lg.rand(4),
    ]

    # Check the FPROP
    m = nn.FlattenTable()
    output = m.forward(input)
    mytester.assert_(len(output) == 4, lg.typename(m) + ' - fprop err ')
    # This is ugly, but check that the mapping from input to output is correct
    mytester.assert_(output[0] is input[0])
    mytester.assert_(output[1] is input[1][0])
    mytester.assert_(output[2] is input[1][1][0])
    mytester.assert_(output[3] is input[2])

    # Check the BPROP
    gradInput = m.backward(input, gradOutput)
    # Again, check that the mapping is correct
    mytester.assert_(gradOutput[0] is gradInput[0])
    mytester.assert_(gradOutput[1] is gradInput[1][0])
    mytester.assert_(gradOutput[2] is gradInput[1][1][0])
    mytester.assert_(gradOutput[3] is gradInput[2])

    # More uglyness: FlattenTable doesn't rebuild the table every updateOutput
    # call, so we need to make sure that modifications to the input are
    # detected correctly (and that the table is correctly rebuilt.
    # CASE 1: Nothing changes so the output table shouldn't be redefined
    old_input_map = m.input_map
    old_output = m.output
    _ = m.forward(input)
    mytester.assert_(old_input_map is m.input_map and old_output is m.output)

    # CASE 2: An element is added to the input table
    old_input_map = m.input_map
    old_output = m.output
    input[1].append(lg.rand(5))
    m.forward(input)
    mytester.assert_(old_input_map is not m.input_map and old_output is not m.output)

    # CASE 3: An element is removed from the input table
    old_input_map = m.input_map
    old_output = m.output
    input.pop()
    m.forward(input)
    mytester.assert_(old_input_map is not m.input_map and old_output is not m.output)

    # At this point further testing is not necessary I think, but just to be
    # consistent: perform a jacobian test by using SplitTable and JointTable
    # elements
    m = nn.Sequential()
    par = nn.ParallelTable()
    par.add(nn.SplitTable(0))
    par.add(nn.SplitTable(0))
    m.add(nn.SplitTable(0))
    m.add(par)  # this will create a nested table
    m.add(nn.FlattenTable())  # This will flatten the nested table
    m.add(nn.JoinTable(0))  # Finally, this will create a 1D tensor

    input = lg.Tensor(2, 2, 2)
    err = jac.testJacobian(m, input)
    assert err < precision, 'error on bprop '


def test_L1Penalty():
    """test.lua lines 7083-7105."""
    weight = 1
    sizeAverage = False
    m = nn.L1Penalty(weight, sizeAverage, False)

    input = lg.rand(2, 10).add(-0.5)
    input[0][0] = 0

    _ = m.forward(input)
    grad = m.backward(input, lg.ones(input.size()))

    err = input.clone().abs().sum() * weight - m.loss
    assert math.fabs(err) < precision, 'error on fprop '

    true_grad = (input.gt(0).typeAs(grad) + input.lt(0).typeAs(grad).mul(-1)).mul(weight)
    assert (true_grad - grad).abs().max() < precision, 'error on bprop '

    # Note: We cannot use the Jacobian test for this Module since the backward
    # gradient cannot be estimated using finite differences (ie, the loss
    # during BPROP is not included in the FPROP output)


def test_L1Cost():
    """test.lua lines 7107-7113."""
    input = lg.rand(10) * 2 - 1
    m = nn.L1Cost()
    output = m.forward(input)
    err = output - lg.abs(input).sum()
    mytester.assertalmosteq(err, 0, 1e-15, 'L1Cost forward')


def test_DepthConcat():
    """test.lua lines 7115-7142. The Lua's table indices ``{{}, {6, 11}, {2, 11}, {2, 11}}`` are tuples of slices,
    each range ``{a, b}`` the slice ``a - 1:b`` (docs/porting.md's row)."""
    outputSize = lg.IntTensor([5, 6, 7, 8])
    input = lg.randn(2, 3, 12, 12)
    gradOutput = lg.randn(2, outputSize.sum(), 12, 12)
    concat = nn.DepthConcat(1)
    concat.add(nn.SpatialConvolutionMM(3, outputSize[0], 1, 1, 1, 1))  # --> 2, 5, 12, 12
    concat.add(nn.SpatialConvolutionMM(3, outputSize[1], 3, 3, 1, 1))  # --> 2, 6, 10, 10
    concat.add(nn.SpatialConvolutionMM(3, outputSize[2], 4, 4, 1, 1))  # --> 2, 7, 9, 9
    concat.add(nn.SpatialConvolutionMM(3, outputSize[3], 5, 5, 1, 1))  # --> 2, 8, 8, 8
    concat.zeroGradParameters()
    # forward/backward
    outputConcat = concat.forward(input)
    gradInputConcat = concat.backward(input, gradOutput)
    # the spatial dims are the largest, the nFilters is the sum
    output = lg.Tensor(2, outputSize.sum(), 12, 12).zero()  # zero for padding
    narrows = [(slice(None), slice(0, 5), slice(None), slice(None)),
               (slice(None), slice(5, 11), slice(1, 11), slice(1, 11)),
               (slice(None), slice(11, 18), slice(1, 10), slice(1, 10)),
               (slice(None), slice(18, 26), slice(2, 10), slice(2, 10))]
    gradInput = input.clone().zero()
    for i in range(4):
        conv = concat.get(i)
        gradWeight = conv.gradWeight.clone()
        conv.zeroGradParameters()
        output[narrows[i]].copy(conv.forward(input))
        gradInput.add(conv.backward(input, gradOutput[narrows[i]]))
        mytester.assertTensorEq(gradWeight, conv.gradWeight, 0.000001,
                                "Error in SpatialConcat:accGradParameters for conv " + str(i))
    mytester.assertTensorEq(output, outputConcat, 0.000001, "Error in SpatialConcat:updateOutput")
    mytester.assertTensorEq(gradInput, gradInputConcat, 0.000001, "Error in SpatialConcat:updateGradInput")


def test_MV():
    """test.lua lines 7144-7172."""
    mv = nn.MV(False)
    outdim = lg.random(10, 21)
    indim = lg.random(10, 21)
    M = lg.randn(outdim, indim)
    V = lg.randn(indim)

    # Test forward pass.
    output = mv.forward([M, V])
    mytester.assertTableEq(output.size().totable(), [outdim], 'Output has wrong dimensionality')
    mytester.assertTensorEq(output, M @ V, 1e-10, 'Wrong output')

    # Test backward pass.
    gradOutput = lg.randn(outdim)
    gradInput = mv.backward([M, V], gradOutput)
    mytester.assert_(len(gradInput) == 2, 'gradInput must be table of size 2')
    gradM, gradV = gradInput
    mytester.assertTableEq(gradM.size().totable(), M.size().totable(), 'Gradient for input M has wrong size')
    mytester.assertTableEq(gradV.size().totable(), V.size().totable(), 'Gradient for input V has wrong size')
    mytester.assertTensorEq(gradM, lg.ger(gradOutput, V), 1e-10, 'Wrong gradient for input M')
    # d/dV(j) (A(i,j)V(j)) = (
    mytester.assertTensorEq(gradV, M.t() @ gradOutput, 1e-10, 'Wrong gradient for input V')


def test_BatchMVNoTranspose():
    """test.lua lines 7174-7207."""
    mv = nn.MV()
    outdim = lg.random(10, 21)
    indim = lg.random(10, 21)
    for bSize in range(1, 12, 5):
        M = lg.randn(bSize, outdim, indim)
        V = lg.randn(bSize, indim)

        # Test forward pass.
        output = mv.forward([M, V])
        mytester.assertTableEq(output.size().totable(), [bSize, outdim], 'Output has wrong dimensionality')
        for i in range(bSize):
            mytester.assertTensorEq(output[i], M[i] @ V[i], 1e-10,
                                    'Output wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))

        # Test backward pass.
        gradOutput = lg.randn(bSize, outdim)
        gradInput = mv.backward([M, V], gradOutput)
        mytester.assert_(len(gradInput) == 2, 'gradInput must be table of size 2')
        gradM, gradV = gradInput
        mytester.assertTableEq(gradM.size().totable(), M.size().totable(), 'Gradient for input M has wrong size')
        mytester.assertTableEq(gradV.size().totable(), V.size().totable(), 'Gradient for input V has wrong size')
        for i in range(bSize):
            mytester.assertTensorEq(gradM[i], lg.ger(gradOutput[i], V[i]), 1e-10,
                                    'Gradient for input M wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))
            mytester.assertTensorEq(gradV[i], M[i].t() @ gradOutput[i], 1e-10,
                                    'Gradient for input V wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))


def test_BatchMVTranspose():
    """test.lua lines 7209-7242."""
    mv = nn.MV(True)
    outdim = lg.random(10, 21)
    indim = lg.random(10, 21)
    for bSize in range(1, 12, 5):
        M = lg.randn(bSize, indim, outdim)
        V = lg.randn(bSize, indim)

        # Test forward pass.
        output = mv.forward([M, V])
        mytester.assertTableEq(output.size().totable(), [bSize, outdim], 'Output has wrong dimensionality')
        for i in range(bSize):
            mytester.assertTensorEq(output[i], M[i].t() @ V[i], 1e-10,
                                    'Output wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))

        # Test backward pass.
        gradOutput = lg.randn(bSize, outdim)
        gradInput = mv.backward([M, V], gradOutput)
        mytester.assert_(len(gradInput) == 2, 'gradInput must be table of size 2')
        gradM, gradV = gradInput
        mytester.assertTableEq(gradM.size().totable(), M.size().totable(), 'Gradient for input M has wrong size')
        mytester.assertTableEq(gradV.size().totable(), V.size().totable(), 'Gradient for input V has wrong size')
        for i in range(bSize):
            mytester.assertTensorEq(gradM[i], lg.ger(V[i], gradOutput[i]), 1e-10,
                                    'Gradient for input M wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))
            mytester.assertTensorEq(gradV[i], M[i] @ gradOutput[i], 1e-10,
                                    'Gradient for input V wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))


def createMatrixInputSizes():
    """test.lua lines 7244-7249 (a local function of test.lua)."""
    M = lg.random(10, 21)
    N = lg.random(10, 21)
    P = lg.random(10, 21)
    return M, N, P


def test_MM():
    """test.lua lines 7251-7277."""
    mm = nn.MM(False, True)
    M, N, P = createMatrixInputSizes()
    A = lg.randn(M, N)
    B = lg.randn(P, N)

    # Test forward pass.
    output = mm.forward([A, B])
    mytester.assertTableEq(output.size().totable(), [M, P], 'Output has wrong dimensionality')
    mytester.assertTensorEq(output, A @ B.t(), 1e-10, 'Wrong output')

    # Test backward pass.
    gradOutput = lg.randn(M, P)
    gradInput = mm.backward([A, B], gradOutput)
    mytester.assert_(len(gradInput) == 2, 'gradInput must be table of size 2')
    gradA, gradB = gradInput
    mytester.assertTableEq(gradA.size().totable(), A.size().totable(), 'Gradient for input A has wrong size')
    mytester.assertTableEq(gradB.size().totable(), B.size().totable(), 'Gradient for input B has wrong size')
    mytester.assertTensorEq(gradA, gradOutput @ B, 1e-10, 'Wrong gradient for input A')
    mytester.assertTensorEq(gradB, gradOutput.t() @ A, 1e-10, 'Wrong gradient for input B')


def _batch_mm(mm, shapeA, shapeB, out, gradA, gradB):
    """The body test.lua repeats for BatchMMNoTranspose, BatchMMTransposeA, BatchMMTransposeB and
    BatchMMTransposeBoth: ``mm`` on batches of 1, 6 and 11 pairs (``shapeA``, ``shapeB`` their sizes) against
    ``out(A[i], B[i])`` and the gradients ``gradA(A[i], B[i], gradOutput[i])``, ``gradB(...)``, pair by pair."""
    M, N, P = createMatrixInputSizes()
    for bSize in range(1, 12, 5):
        A = lg.randn(bSize, *shapeA(M, N, P))
        B = lg.randn(bSize, *shapeB(M, N, P))

        # Test forward pass.
        output = mm.forward([A, B])
        mytester.assertTableEq(output.size().totable(), [bSize, M, P], 'Output has wrong dimensionality')
        for i in range(bSize):
            mytester.assertTensorEq(output[i], out(A[i], B[i]), 1e-10,
                                    'Output wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))

        # Test backward pass.
        gradOutput = lg.randn(bSize, M, P)
        gradInput = mm.backward([A, B], gradOutput)
        mytester.assert_(len(gradInput) == 2, 'gradInput must be table of size 2')
        gA, gB = gradInput
        mytester.assertTableEq(gA.size().totable(), A.size().totable(), 'Gradient for input A has wrong size')
        mytester.assertTableEq(gB.size().totable(), B.size().totable(), 'Gradient for input B has wrong size')
        for i in range(bSize):
            mytester.assertTensorEq(gA[i], gradA(A[i], B[i], gradOutput[i]), 1e-10,
                                    'Gradient for input A wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))
            mytester.assertTensorEq(gB[i], gradB(A[i], B[i], gradOutput[i]), 1e-10,
                                    'Gradient for input B wrong for bSize = ' + str(bSize) + ' and i = ' + str(i))


def test_BatchMMNoTranspose():
    """test.lua lines 7279-7311."""
    _batch_mm(nn.MM(), lambda M, N, P: (M, N), lambda M, N, P: (N, P),
              lambda A, B: A @ B, lambda A, B, g: g @ B.t(), lambda A, B, g: A.t() @ g)


def test_BatchMMTransposeA():
    """test.lua lines 7313-7345."""
    _batch_mm(nn.MM(True, False), lambda M, N, P: (N, M), lambda M, N, P: (N, P),
              lambda A, B: A.t() @ B, lambda A, B, g: B @ g.t(), lambda A, B, g: A @ g)


def test_BatchMMTransposeB():
    """test.lua lines 7347-7379."""
    _batch_mm(nn.MM(False, True), lambda M, N, P: (M, N), lambda M, N, P: (P, N),
              lambda A, B: A @ B.t(), lambda A, B, g: g @ B, lambda A, B, g: g.t() @ A)


def test_BatchMMTransposeBoth():
    """test.lua lines 7381-7413."""
    _batch_mm(nn.MM(True, True), lambda M, N, P: (N, M), lambda M, N, P: (P, N),
              lambda A, B: A.t() @ B.t(), lambda A, B, g: B.t() @ g.t(), lambda A, B, g: g.t() @ A.t())


def test_DotProduct():
    """test.lua lines 7415-7455."""
    indim = random.randint(1, 10)

    # test 1D forward
    input = [lg.rand(indim), lg.rand(indim)]
    module = nn.DotProduct()
    expected = input[0].dot(input[1])
    output = module.forward(input)
    assert math.fabs(expected - output[0]) < precision, 'error on forward '

    # check gradients
    # Note: testJacobian doesn't support table inputs, and rather than re-write
    # it so that it does, I'll just use a split table module on the input.
    # I assume both SplitTable and Sequential do not have bugs, otherwise this
    # test will break.
    input = lg.rand(2, indim)
    module = nn.Sequential()
    module.add(nn.SplitTable(0))
    module.add(nn.DotProduct())

    err = jac.testJacobian(module, input)
    assert err < precision, 'error on state '

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

    # batch
    # rebuild module to avoid correlated tests
    module = nn.Sequential()
    module.add(nn.SplitTable(0))
    module.add(nn.DotProduct())

    nframes = random.randint(1, 10)
    indim = random.randint(1, 10)
    input = lg.rand(2, nframes, indim)

    err = jac.testJacobian(module, input)
    assert err < precision, 'batch error on state '


def test_CosineDistance():
    """test.lua lines 7457-7505."""
    indim = random.randint(1, 10)
    input = [lg.rand(indim), lg.rand(indim)]

    # check forward against previous implementation
    module = nn.CosineDistance()

    w1 = input[0].dot(input[1])
    w2 = math.sqrt(input[0].dot(input[0]))
    w3 = math.sqrt(input[1].dot(input[1]))
    output_old = w1 / w2 / w3

    output = module.forward(input)

    assert math.fabs(output_old - output[0]) < precision, 'error on forward '

    # check gradients
    # Note: testJacobian doesn't support table inputs, and rather than re-write
    # it so that it does, I'll just use a split table module on the input.
    # I assume both SplitTable and Sequential do not have bugs, otherwise this
    # test will break.
    input = lg.rand(2, indim)
    module = nn.Sequential()
    module.add(nn.SplitTable(0))
    module.add(nn.CosineDistance())

    err = jac.testJacobian(module, input)
    assert err < precision, 'error on state '

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)

    # batch
    # rebuild module to avoid correlated tests
    module = nn.Sequential()
    module.add(nn.SplitTable(0))
    module.add(nn.CosineDistance())

    nframes = random.randint(1, 10)
    indim = random.randint(1, 10)
    input = lg.rand(2, nframes, indim)

    err = jac.testJacobian(module, input)
    assert err < precision, 'batch error on state '


def test_CosineEmbeddingCriterion():
    """test.lua lines 7507-7558. ``torch.Tensor(n):random(0, 1)`` draws 0 or 1: ``random(0, 2)``."""
    v1 = lg.Tensor([1, 0])
    v2 = lg.Tensor([0.5, math.sqrt(3) * 0.5])

    crit = nn.CosineEmbeddingCriterion(0.6)
    output = crit.forward([v1, v2], -1)  # must be Called before backward
    grads = crit.backward([v1, v2], -1)

    zero = lg.Tensor(2).zero()
    equal(grads[0], zero, 'gradient should be zero')
    equal(grads[1], zero, 'gradient should be zero')

    # check jacobians
    margin = random.random() * 2 - 1
    dim = 5
    batch_size = 1
    crit = nn.CosineEmbeddingCriterion(margin)
    v = lg.rand(2, dim)
    criterionJacobianTest1DTable(crit, v, 1)
    criterionJacobianTest1DTable(crit, v, -1)

    # batch with hand-computed values
    v1 = lg.Tensor([[1, 0], [0.5, math.sqrt(3) * 0.5]])
    v2 = lg.Tensor([[0.5, math.sqrt(3) * 0.5], [1, 0]])

    t = lg.Tensor([-1, -1])
    crit = nn.CosineEmbeddingCriterion(0.6)
    output = crit.forward([v1, v2], t)  # must be Called before backward
    grads = crit.backward([v1, v2], t)

    zero = lg.Tensor(2, 2).zero()
    equal(grads[0], zero, 'gradient should be zero')
    equal(grads[1], zero, 'gradient should be zero')

    # batch, sizeAverage true, jacobian
    margin = random.random() * 2 - 1
    dim = 5
    batch_size = 2
    crit = nn.CosineEmbeddingCriterion(margin)
    crit.sizeAverage = True
    v = lg.rand(2, batch_size, dim)
    t = lg.Tensor(batch_size).random(0, 2).mul(2).add(-1)
    criterionJacobianTest1DTable(crit, v, t)

    # batch, sizeAverage false, jacobian
    margin = random.random() * 2 - 1
    crit = nn.CosineEmbeddingCriterion(margin)
    crit.sizeAverage = False
    v = lg.rand(2, batch_size, dim)
    t = lg.Tensor(batch_size).random(0, 2).mul(2).add(-1)
    criterionJacobianTest1DTable(crit, v, t)


def test_HingeEmbeddingCriterion():
    """test.lua lines 7560-7571."""
    x = lg.Tensor([0.3, 2.1, 1.8, 0])
    y = lg.Tensor([1, -1, -1, 1])
    expgrads = lg.Tensor([1, 0, -1, 1]) / 4

    crit = nn.HingeEmbeddingCriterion(2)
    output = crit.forward(x, y)  # must be called before backward
    grads = crit.backward(x, y)

    mytester.assert_(math.fabs(output - (0.3 + 0.2) / 4) < 1e-10)
    equal(grads, expgrads)


def test_Replicate():
    """test.lua lines 7573-7610. ``nn.Replicate(n, dim, ndim)``'s ``dim`` is 0-based, ``ndim`` a count."""
    vector = lg.rand(3)

    r1 = nn.Replicate(2, 0)
    r2 = nn.Replicate(2, 1)

    vOutput1 = r1.forward(vector).clone()
    vOutput2 = r2.forward(vector).clone()

    expected1 = lg.zeros(2, 3)
    expected2 = lg.zeros(3, 2)
    expected1.select(0, 0).copy(vector)
    expected1.select(0, 1).copy(vector)
    expected2.select(1, 0).copy(vector)
    expected2.select(1, 1).copy(vector)

    mytester.assertTensorEq(vOutput1, expected1, precision, 'Wrong tiling of data when replicating vector.')
    mytester.assertTensorEq(vOutput2, expected2, precision, 'Wrong tiling of data when replicating vector.')

    # batch mode
    vector = lg.rand(4, 3)

    r1 = nn.Replicate(2, 0, 1)
    r2 = nn.Replicate(2, 1, 1)

    vOutput1 = r1.forward(vector).clone()
    vOutput2 = r2.forward(vector).clone()

    expected1 = lg.zeros(4, 2, 3)
    expected2 = lg.zeros(4, 3, 2)
    expected1.select(1, 0).copy(vector)
    expected1.select(1, 1).copy(vector)
    expected2.select(2, 0).copy(vector)
    expected2.select(2, 1).copy(vector)

    mytester.assertTensorEq(vOutput1, expected1, precision, 'Wrong tiling of data when replicating batch vector.')
    mytester.assertTensorEq(vOutput2, expected2, precision, 'Wrong tiling of data when replicating batch vector.')
