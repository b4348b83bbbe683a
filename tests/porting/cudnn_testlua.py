"""What soumith/cudnn.torch's test/test.lua sets up before its tests (lines 1-118): the three parameter sets
(``testparams_half``/``_float``/``_double``), ``cast`` and ``testLayer``, shared by tests/porting/test_cudnn_testlua.py.

The Lua loops over CudaTensor, CudaHalfTensor and CudaDoubleTensor (lines 953-975). legonn's cudnn classes run on
the CPU too, so the port runs each test on FloatTensor and DoubleTensor as well (with the float and double sets),
the CUDA types as GPU tests. The CudaHalfTensor workarounds of lines 41-56 (``__sub``, ``abs``, ``mean`` through
CudaTensor) are not needed: legonn's half tensors have them."""
import legonn as lg
from legonn import nn

testparams_half = {
    'test_type': 'torch.CudaHalfTensor',
    'precision_forward': 2e-1,
    'precision_backward': 10,
    'precision_jac': 1e-3,
    'precision_io': 1e-1,
}

testparams_float = {
    'test_type': 'torch.CudaTensor',
    'precision_forward': 1e-4,
    'precision_backward': 2e-2,
    'precision_jac': 1e-3,
    'precision_io': 1e-5,
}

# TODO (the Lua's): find out why the errors are so huge
testparams_double = {
    'test_type': 'torch.CudaDoubleTensor',
    'precision_forward': 1e-4,
    'precision_backward': 2e-2,
    'precision_jac': 1e-3,
    'precision_io': 1e-5,
}

mytester = lg.Tester()
mytester.setRethrowErrors(True)
jac = nn.Jacobian


def params_for(test_type):
    """The Lua's ``testparams`` for a type: the CPU types take their CUDA twin's set, with their own test_type."""
    base = {'torch.CudaHalfTensor': testparams_half, 'torch.CudaTensor': testparams_float,
            'torch.FloatTensor': testparams_float, 'torch.CudaDoubleTensor': testparams_double,
            'torch.DoubleTensor': testparams_double}[test_type]
    return dict(base, test_type=test_type)


class Suite:
    """The Lua file's upvalues ``testparams`` and ``cast`` (lines 36-40), set per test type."""
    testparams = None

    @classmethod
    def cast(cls, input):
        return input.type(cls.testparams['test_type'])

    @classmethod
    def twin(cls, module):
        """The Lua's ``:cuda()`` on an nn twin or a tensor: CUDA float on the CUDA types; on the CPU types, the
        default type (FloatTensor), so the twin stays nn's float reference."""
        return module.cuda() if 'Cuda' in cls.testparams['test_type'] else module.float()


def testLayer(nnlayer, cudnnlayer, input, gradOutput, scale, parametric, batchMode, description=''):
    """test.lua lines 58-118: nn's output, gradInput (and gradWeight, gradBias when ``parametric``) against the
    cudnn module's after a save and load, then ``nn.Jacobian.testIO`` of the cudnn module."""
    testparams, cast = Suite.testparams, Suite.cast
    # serialize and deserialize (the Lua writes modelTemp.t7 in the working directory: in memory here)
    cudnnlayer = lg.deserialize(lg.serialize(cudnnlayer))

    if not batchMode:   # convert given mini-batch to single sample
        input = input[0].clone()
        gradOutput = gradOutput[0].clone()
    gt = {}   # groundtruth
    gt['output'] = nnlayer.forward(input)
    nnlayer.zeroGradParameters()
    gt['gradInput'] = nnlayer.backward(input, gradOutput, scale)
    if parametric:   # SpatialCrossMapLRN is tested as parametric and has neither: nil leaves no key in Lua
        gt['gradWeight'] = getattr(nnlayer, 'gradWeight', None)
        gt['gradBias'] = getattr(nnlayer, 'gradBias', None)
        gt = {name: value for name, value in gt.items() if value is not None}

    res = {}   # result
    inputcudnn = cast(input).clone()   # for inplace layers
    res['output'] = cudnnlayer.forward(inputcudnn)
    cudnnlayer.zeroGradParameters()
    res['gradInput'] = cudnnlayer.backward(inputcudnn, cast(gradOutput), scale)
    if parametric:
        res['gradWeight'] = getattr(cudnnlayer, 'gradWeight', None)
        res['gradBias'] = getattr(cudnnlayer, 'gradBias', None)

    for name in gt:
        error = gt[name].float() - res[name].float()
        error = error.abs().max()
        precision = testparams['precision_forward'] if name == 'output' else testparams['precision_backward']
        mytester.assertlt(error, precision, f'error on {name}, batchMode = {batchMode}, '
                                            f'type = {lg.type(res[name])}, {description}')

    # IO
    ferr, berr = jac.testIO(cudnnlayer, cast(input))
    mytester.assertlt(ferr, testparams['precision_io'],
                      f'{lg.typename(cudnnlayer)} - i/o forward err, batchMode = {batchMode}, {description}')
    mytester.assertlt(berr, testparams['precision_io'],
                      f'{lg.typename(cudnnlayer)} - i/o backward err, batchMode = {batchMode}, {description}')


testLayer.__test__ = False   # a helper the ports import by its Lua name, not a test for pytest to collect
