"""cmusatyalab/openface ported line by line: models/openface/nn4.small2.def.lua (dpnn's Inception with its
config tables, SpatialCrossMapLRN, SpatialLPPooling, Normalize), the triplet loss it trains with
(Atcold/torch-TripletEmbedding's TripletEmbedding.lua, a user criterion) and training/OpenFaceOptim.lua's
per-module optimiser states. The Lua sits in the docstrings; the Python is its literal port."""
import numpy as np

import legonn as lg
from legonn import cudnn, nn, optim


def inception(inputSize, kernelSize, kernelStride, outputSize, reduceSize, pool):
    return nn.Inception({'inputSize': inputSize, 'kernelSize': kernelSize, 'kernelStride': kernelStride,
                         'outputSize': outputSize, 'reduceSize': reduceSize, 'pool': pool, 'batchNorm': True})


def createModel(embSize=128):
    """nn4.small2.def.lua's createModel (the file's header: 3733968 parameters with embSize 128)."""
    net = nn.Sequential()
    net.add(nn.SpatialConvolutionMM(3, 64, 7, 7, 2, 2, 3, 3))
    net.add(nn.SpatialBatchNormalization(64))
    net.add(nn.ReLU())
    net.add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    net.add(nn.SpatialCrossMapLRN(5, 0.0001, 0.75))
    net.add(nn.SpatialConvolutionMM(64, 64, 1, 1))
    net.add(nn.SpatialBatchNormalization(64))
    net.add(nn.ReLU())
    net.add(nn.SpatialConvolutionMM(64, 192, 3, 3, 1, 1, 1))
    net.add(nn.SpatialBatchNormalization(192))
    net.add(nn.ReLU())
    net.add(nn.SpatialCrossMapLRN(5, 0.0001, 0.75))
    net.add(nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    net.add(inception(192, [3, 5], [1, 1], [128, 32], [96, 16, 32, 64], nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1)))
    net.add(inception(256, [3, 5], [1, 1], [128, 64], [96, 32, 64, 64], nn.SpatialLPPooling(256, 2, 3, 3, 1, 1)))
    net.add(inception(320, [3, 5], [2, 2], [256, 64], [128, 32, None, None], nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1)))
    net.add(inception(640, [3, 5], [1, 1], [192, 64], [96, 32, 128, 256], nn.SpatialLPPooling(640, 2, 3, 3, 1, 1)))
    net.add(inception(640, [3, 5], [2, 2], [256, 128], [160, 64, None, None], nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1)))
    net.add(inception(1024, [3], [1], [384], [96, 96, 256], nn.SpatialLPPooling(960, 2, 3, 3, 1, 1)))
    net.add(inception(736, [3], [1], [384], [96, 96, 256], nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1)))
    net.add(nn.SpatialAveragePooling(3, 3))
    net.add(nn.View(736))
    net.add(nn.Linear(736, embSize))
    net.add(nn.Normalize(2))
    return net


class TripletEmbeddingCriterion(nn.Criterion):
    """TripletEmbedding.lua, a user criterion: mean over the triplets of max(0, |a - p|^2 - |a - n|^2 + alpha)."""

    def __init__(self, alpha=None):
        super().__init__()
        self.alpha = alpha or 0.2
        self.Li = lg.Tensor()
        self.gradInput = [None, None, None]

    def updateOutput(self, input, target=None):
        a, p, n = input[0], input[1], input[2]
        N = a.size(0)
        # torch.max(torch.cat(torch.Tensor(N):zero():type(torch.type(a)), (a - p):norm(2,2):pow(2) - ..., 2), 2)
        self.Li = lg.max(lg.cat(lg.Tensor(N).zero().type(lg.type(a)),
                                (a - p).norm(2, 1).pow(2) - (a - n).norm(2, 1).pow(2) + self.alpha, 1), 1)[0]
        self.output = self.Li.sum() / N
        return self.output

    def updateGradInput(self, input, target=None):
        a, p, n = input[0], input[1], input[2]
        N = a.size(0)
        self.gradInput[0] = (n - p).cmul(self.Li.gt(0).repeatTensor(1, a.size(1)).type(a.type()) * 2 / N)
        self.gradInput[1] = (p - a).cmul(self.Li.gt(0).repeatTensor(1, a.size(1)).type(a.type()) * 2 / N)
        self.gradInput[2] = (a - n).cmul(self.Li.gt(0).repeatTensor(1, a.size(1)).type(a.type()) * 2 / N)
        return self.gradInput


def test_lp_pooling_ignores_its_plane_count():
    """nn/SpatialLPPooling.lua is Square, SpatialAveragePooling, MulConstant(kW*kH), Sqrt: nInputPlane is never
    read, so nn4.small2.def.lua's Inception (5a) pools its 1024 input planes with SpatialLPPooling(960, ...).
    legonn refused any other plane count than nInputPlane; the port now pools as the Lua composition does."""
    lg.manualSeed(0)
    x = lg.rand(2, 12, 5, 5).double()
    lp = nn.SpatialLPPooling(10, 2, 3, 3, 1, 1).double()
    lua = (nn.Sequential().add(nn.Square()).add(nn.SpatialAveragePooling(3, 3, 1, 1)).add(nn.MulConstant(9))
           .add(nn.Sqrt()).double())
    np.testing.assert_allclose(lp.forward(x).numpy(), lua.forward(x).numpy(), rtol=1e-12)
    g = lg.randn(2, 12, 3, 3).double()
    np.testing.assert_allclose(lp.backward(x, g).numpy(), lua.backward(x, g).numpy(), rtol=1e-10)


def test_nn4_small2_builds_with_the_documented_parameter_count():
    """nn4.small2.def.lua's header: 'Number of Parameters from net:getParameters() with embSize=128: 3733968'.
    A 96x96 face gives a unit-norm 128-d embedding; cudnn.convert(model, cudnn) and back (training/model.lua,
    train.lua's saveModel) keep the numbers."""
    lg.manualSeed(0)
    net = createModel()
    params, grads = net.getParameters()
    assert params.nElement() == 3733968
    net.evaluate()
    x = lg.randn(1, 3, 96, 96)
    emb = net.forward(x).clone()
    assert tuple(emb.size()) == (128,)     # View(736) of 1x736x1x1 drops the batch of one, as View.lua does
    assert abs(emb.norm() - 1) < 1e-5
    cudnn.convert(net, cudnn)
    assert lg.typename(net.get(0)) == 'cudnn.SpatialConvolution'     # convert.lua maps SpatialConvolutionMM too
    cudnn.convert(net, nn)
    np.testing.assert_allclose(net.forward(x).numpy(), emb.numpy(), rtol=1e-5, atol=1e-6)


def test_inception_config_tables_with_nil_entries():
    """nn4.small2's Inception (3c): ``reduceSize = {128, 32, nil, nil}`` (a Lua table of two: no pool projection,
    no 1x1 column), ``kernelStride = {2, 2}``: the pool column passes the input planes on, halved in size."""
    lg.manualSeed(0)
    m = inception(8, [3, 5], [2, 2], [6, 4], [5, 3, None, None], nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1))
    assert len(m.modules[0].modules) == 3
    x = lg.randn(2, 8, 6, 6)
    y = m.forward(x)
    assert tuple(y.size()) == (2, 6 + 4 + 8, 3, 3)
    np.testing.assert_array_equal(y[:, 10:].numpy(), nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1).forward(x).numpy())
    assert tuple(m.backward(x, lg.randn(2, 18, 3, 3)).size()) == (2, 8, 6, 6)


def test_triplet_criterion_port_matches_its_maths():
    """TripletEmbedding.lua: torch.cat of an N vector and an Nx1 column along dimension 2 gives Nx2 (TH's cat
    counts a missing dimension as size 1); torch.max's first value is the per-triplet loss. The gradients are
    those of the loss (finite differences agree)."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    try:
        lg.manualSeed(3)
        a, p, n = lg.randn(5, 4), lg.randn(5, 4), lg.randn(5, 4)
        crit = TripletEmbeddingCriterion(0.2)
        loss = crit.forward([a, p, n])
        A, P, Nn = a.numpy(), p.numpy(), n.numpy()

        def f(A, P, Nn):
            return np.maximum(0, ((A - P) ** 2).sum(1) - ((A - Nn) ** 2).sum(1) + 0.2).sum() / 5
        assert abs(loss - f(A, P, Nn)) < 1e-12
        assert tuple(crit.Li.size()) == (5, 1)
        grads = crit.backward([a, p, n])
        eps = 1e-6
        for k, arr in enumerate((A, P, Nn)):
            num = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                args = [A.copy(), P.copy(), Nn.copy()]
                args[k][idx] += eps
                up = f(*args)
                args[k][idx] -= 2 * eps
                num[idx] = (up - f(*args)) / (2 * eps)
            np.testing.assert_allclose(grads[k].numpy(), num, atol=1e-6)
    finally:
        lg.setdefaulttensortype('legonn.FloatTensor')


def weight_bias_parameters(module):
    """OpenFaceOptim.weight_bias_parameters: {weight, gradWeight} and {bias, gradBias} marked is_bias."""
    weight_params = bias_params = None
    if module.weight is not None:
        weight_params = {'params': [module.weight, module.gradWeight], 'is_bias': False}
    if module.bias is not None:
        bias_params = {'params': [module.bias, module.gradBias], 'is_bias': True}
    return [weight_params, bias_params]


def test_openface_optim_triplet_step():
    """OpenFaceOptim.lua: one optim state per module and parameter (biases never decayed), optimizeTriplet
    scatters the criterion's gradients back to the images through the triplet mapper (0-based image indices
    here), backward once, then each parameter tensor gets its own optim.adam call whose closure returns the
    shared loss and that tensor's gradient. Repeated steps lower the triplet loss of a fixed batch."""
    lg.manualSeed(1)
    model = nn.Sequential().add(nn.SpatialConvolutionMM(3, 4, 3, 3)).add(nn.SpatialBatchNormalization(4)) \
        .add(nn.ReLU()).add(nn.View(4 * 4 * 4)).add(nn.Linear(64, 8)).add(nn.Normalize(2))
    criterion = TripletEmbeddingCriterion(0.2)
    optState = {'weightDecay': 1e-4}
    modulesToOptState = {}

    def init(module):
        modulesToOptState[module] = {}
        params = weight_bias_parameters(module)
        for i, _ in enumerate(params):
            modulesToOptState[module][i] = dict(optState)
            if params[i] and params[i]['is_bias']:
                modulesToOptState[module][i]['weightDecay'] = 0.0
    model.apply(init)
    model.training()
    inputs = lg.randn(6, 3, 6, 6)
    mapper = [[0, 1, 2], [2, 3, 4], [4, 5, 0]]

    def optimizeTriplet(optimMethod):
        embeddings = model.forward(inputs).float()
        output = [embeddings[[t[0] for t in mapper]], embeddings[[t[1] for t in mapper]],
                  embeddings[[t[2] for t in mapper]]]
        model.zeroGradParameters()
        numImages = inputs.size(0)
        err = criterion.forward(output)
        df_do = criterion.backward(output)
        gradient_all = lg.Tensor(numImages, output[0].size(1)).type(inputs.type())
        gradient_all.zero()
        for i in range(len(mapper)):
            gradient_all[mapper[i][0]].add(df_do[0][i])
            gradient_all[mapper[i][1]].add(df_do[1][i])
            gradient_all[mapper[i][2]].add(df_do[2][i])
        model.backward(inputs, gradient_all)
        cur = {}

        def fEvalMod(_):
            return err, cur['grad']
        for curMod, opt in modulesToOptState.items():
            curModParams = weight_bias_parameters(curMod)
            for i, _ in enumerate(curModParams):
                if curModParams[i]:
                    curParam, cur['grad'] = curModParams[i]['params']
                    optimMethod(fEvalMod, curParam, opt[i])
        return err

    first = optimizeTriplet(optim.adam)
    for _ in range(15):
        last = optimizeTriplet(optim.adam)
    assert first > 0 and last < first / 2
    assert modulesToOptState[model.get(4)][1]['weightDecay'] == 0.0 and modulesToOptState[model.get(4)][1]['t'] == 16
