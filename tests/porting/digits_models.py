"""NVIDIA/DIGITS's Torch7 network files, each ported line by line as a Python function standing for the file's
``return function(params) ... end`` (DIGITS's model-definition protocol: the function takes ``params`` with
``nclasses``, ``ngpus`` and ``inputShape``, a LongTensor ``{channels, height, width}`` or nil during visualisation,
and returns a table with ``model`` and optionally ``loss``, ``trainBatchSize``, ``validationBatchSize``, ``croplen``,
``disableAutoDataParallelism``, ``fineTuneHook``, ``labelHook``):

- digits/standard-networks/torch/lenet.lua, lenet-color.lua, alexnet.lua (the early file, which returns the model
  itself) and googlenet.lua (the early file, which loads a flat ``Weights`` tensor);
- digits/standard-networks/torch/ImageNet-Training/alexnet.lua and googlenet.lua;
- examples/binary-segmentation/segmentation-model.lua, examples/fine-tuning/lenet-fine-tune.lua,
  examples/siamese/mnist_siamese.lua, examples/text-classification/text-classification-model.lua;
each file whole.

The files' globals (``backend``, ``convLayer``, ``createModel``) are this module's. ``pcall(function()
require('cudnn') end)`` is ``_have('cudnn')``: legonn's cudnn loads where CuPy finds a device, so on the CPU the
files fall back to ``nn`` as in Torch7 without cuDNN. The early alexnet.lua and googlenet.lua ``require 'ccn2'``
(cuda-convnet2) and use nothing from it: that line goes (legonn has no ccn2; it is a require of an unused package)."""
from legonn import nn, paths
import legonn as lg

backend = None
convLayer = None
convLayerName = None


def _have(name):
    """``pcall(function() require(name) end)``: True where the package loads."""
    try:
        paths.require(name)
    except ImportError:
        return False
    return True


def _choose_backend(fastest=False, quiet=False):
    """The backend block every DIGITS network file repeats: cuDNN where it loads, else nn."""
    global backend, convLayer, convLayerName
    if _have('cudnn'):
        if not quiet:
            print('Using CuDNN backend')
        cudnn = paths.require('cudnn')
        backend = cudnn
        convLayer = cudnn.SpatialConvolution
        convLayerName = 'cudnn.SpatialConvolution'
        if fastest:
            cudnn.fastest = True
    else:
        print('Failed to load cudnn backend (is libcudnn.so in your library path?)')
        if _have('cunn'):
            print('Falling back to legacy cunn backend')
        else:
            print('Failed to load cunn backend (is CUDA installed?)')
            print('Falling back to legacy nn backend')
        backend = nn  # works with cunn or nn
        convLayer = nn.SpatialConvolutionMM
        convLayerName = 'nn.SpatialConvolutionMM'


# --- digits/standard-networks/torch/lenet.lua ----------------------------------------------------------------------

def lenet(params):
    # get number of classes from external parameters
    nclasses = params.get('nclasses') or 1

    # get number of channels from external parameters
    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]
        assert params['inputShape'][1] == 28 and params['inputShape'][2] == 28, 'Network expects 28x28 images'

    _choose_backend()

    lenet = nn.Sequential()
    lenet.add(nn.MulConstant(0.0125))  # 1/(standard deviation on MNIST dataset)
    lenet.add(backend.SpatialConvolution(channels, 20, 5, 5, 1, 1, 0))  # channels*28*28 -> 20*24*24
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 20*24*24 -> 20*12*12
    lenet.add(backend.SpatialConvolution(20, 50, 5, 5, 1, 1, 0))  # 20*12*12 -> 50*8*8
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 50*8*8 -> 50*4*4
    lenet.add(nn.View(-1).setNumInputDims(3))  # 50*4*4 -> 800
    lenet.add(nn.Linear(800, 500))  # 800 -> 500
    lenet.add(backend.ReLU())
    lenet.add(nn.Linear(500, nclasses))  # 500 -> nclasses
    lenet.add(nn.LogSoftMax())

    return {
        'model': lenet,
        'loss': nn.ClassNLLCriterion(),
        'trainBatchSize': 64,
        'validationBatchSize': 32,
    }


# --- digits/standard-networks/torch/lenet-color.lua: the model is built when the file is required ----------------

def lenet_color():
    """``require 'lenet-color'``: builds the model at load time and returns the network function."""
    lenet = nn.Sequential()
    lenet.add(nn.MulConstant(0.00390625))
    lenet.add(nn.SpatialConvolution(3, 20, 5, 5, 1, 1, 0))  # 3*28*28 -> 20*24*24
    lenet.add(nn.SpatialMaxPooling(2, 2, 2, 2))  # 20*24*24 -> 20*12*12
    lenet.add(nn.SpatialConvolution(20, 50, 5, 5, 1, 1, 0))  # 20*12*12 -> 50*8*8
    lenet.add(nn.SpatialMaxPooling(2, 2, 2, 2))  # 50*8*8 -> 50*4*4
    lenet.add(nn.View(-1).setNumInputDims(3))  # 50*4*4 -> 800
    lenet.add(nn.Linear(800, 500))  # 800 -> 500
    lenet.add(nn.ReLU())
    lenet.add(nn.Linear(500, 10))  # 500 -> 10
    lenet.add(nn.LogSoftMax())

    # return function that returns network definition
    def network(params):
        assert params['ngpus'] <= 1, 'Model supports only CPU or single-GPU'
        return {
            'model': lenet,
            'loss': nn.ClassNLLCriterion(),
        }
    return network


# --- digits/standard-networks/torch/alexnet.lua (the early file: returns the model) -------------------------------

def alexnet_early():
    from legonn import cudnn   # require 'cudnn'; require 'cunn' (require 'ccn2' goes: nothing uses it)
    SpatialConvolution = nn.SpatialConvolutionMM  # lib[1]
    SpatialMaxPooling = cudnn.SpatialMaxPooling  # lib[2]
    ReLU = nn.ReLU  # lib[3]

    # this is AlexNet that was presented in the One Weird Trick paper. http://arxiv.org/abs/1404.5997
    features = nn.Sequential()
    features.add(SpatialConvolution(3, 64, 11, 11, 4, 4, 2, 2))  # 224 -> 55
    features.add(ReLU())
    features.add(SpatialMaxPooling(3, 3, 2, 2))  # 55 ->  27
    features.add(SpatialConvolution(64, 192, 5, 5, 1, 1, 2, 2))  # 27 -> 27
    features.add(ReLU())
    features.add(SpatialMaxPooling(3, 3, 2, 2))  # 27 ->  13
    features.add(SpatialConvolution(192, 384, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(ReLU())
    features.add(SpatialConvolution(384, 256, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(ReLU())
    features.add(SpatialConvolution(256, 256, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(ReLU())
    features.add(SpatialMaxPooling(3, 3, 2, 2))  # 13 -> 6

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 7 * 7))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 7 * 7, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, 20))
    classifier.add(nn.LogSoftMax())

    model = nn.Sequential()
    model.add(features).add(classifier)

    return model


# --- digits/standard-networks/torch/googlenet.lua (the early file: returns Net, Weights, Grads, Loss) -------------

def googlenet_early(opt=None, weights_file='Weights'):
    from legonn import cudnn   # require 'nn'; require 'cunn'; require 'cudnn' (require 'ccn2' goes)
    opt = opt or {'type': 'cuda', 'net': 'new'}
    DimConcat = 1

    # ---------------------------------------Inception Modules-------------------------------------------------
    def Inception(nInput, n1x1, n3x3r, n3x3, n5x5r, n5x5, nPoolProj):
        InceptionModule = nn.DepthConcat(DimConcat)
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n1x1, 1, 1)))
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n3x3r, 1, 1)).add(nn.ReLU())
                            .add(nn.SpatialConvolutionMM(n3x3r, n3x3, 3, 3, 1, 1, 1)))
        InceptionModule.add(nn.Sequential().add(nn.SpatialConvolutionMM(nInput, n5x5r, 1, 1)).add(nn.ReLU())
                            .add(nn.SpatialConvolutionMM(n5x5r, n5x5, 5, 5, 1, 1, 2)))
        InceptionModule.add(nn.Sequential().add(cudnn.SpatialMaxPooling(3, 3, 1, 1))
                            .add(nn.SpatialConvolutionMM(nInput, nPoolProj, 1, 1)))
        return InceptionModule

    def AuxileryClassifier(nInput):
        C = nn.Sequential()
        C.add(cudnn.SpatialAveragePooling(5, 5, 3, 3))
        C.add(nn.SpatialConvolutionMM(nInput, 128, 1, 1))
        C.add(nn.ReLU())
        C.add(nn.Reshape(128 * 4 * 4))
        C.add(nn.Linear(128 * 4 * 4, 1024))
        C.add(nn.Dropout(0.7))
        C.add(nn.Linear(1024, 1000))
        C.add(nn.LogSoftMax())
        return C
    # -----------------------------------------------------------------------------------------------------------

    Net = nn.Sequential()

    SubNet1 = nn.Sequential()
    SubNet1.add(nn.SpatialConvolutionMM(3, 64, 7, 7, 2, 2, 4))
    SubNet1.add(nn.ReLU())
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    SubNet1.add(nn.SpatialConvolutionMM(64, 64, 1, 1))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialConvolutionMM(64, 192, 3, 3, 1, 1, 1))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))

    SubNet1.add(Inception(192, 64, 96, 128, 16, 32, 32))
    SubNet1.add(nn.ReLU())
    SubNet1.add(Inception(256, 128, 128, 192, 32, 96, 64))
    SubNet1.add(nn.ReLU())
    SubNet1.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    SubNet1.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))
    SubNet1.add(Inception(480, 192, 96, 208, 16, 48, 64))
    SubNet1.add(nn.ReLU())

    SubNet2 = nn.Sequential()
    SubNet2.add(SubNet1)
    SubNet2.add(Inception(512, 160, 112, 224, 24, 64, 64))
    SubNet2.add(nn.ReLU())
    SubNet2.add(Inception(512, 128, 128, 256, 24, 64, 64))
    SubNet2.add(nn.ReLU())
    SubNet2.add(Inception(512, 112, 144, 288, 32, 64, 64))
    SubNet2.add(nn.ReLU())

    Net.add(SubNet2)
    Net.add(Inception(528, 256, 160, 320, 32, 128, 128))
    Net.add(nn.ReLU())
    Net.add(nn.SpatialZeroPadding(1, 1, 1, 1))
    Net.add(cudnn.SpatialMaxPooling(3, 3, 2, 2))

    Net.add(Inception(832, 256, 160, 320, 32, 128, 128))
    Net.add(nn.ReLU())
    Net.add(Inception(832, 384, 192, 384, 48, 128, 128))
    Net.add(nn.ReLU())
    Net.add(cudnn.SpatialAveragePooling(7, 7, 1, 1))
    Net.add(nn.Dropout(0.4))
    Net.add(nn.Reshape(1024))
    Net.add(nn.Linear(1024, 1000))
    Net.add(nn.LogSoftMax())

    Classifier0 = nn.Sequential()
    Classifier0.add(SubNet1)
    Classifier0.add(AuxileryClassifier(512))

    Classifier1 = nn.Sequential()
    Classifier1.add(SubNet2)
    Classifier1.add(AuxileryClassifier(528))

    # ---- Loss: NLL
    loss = nn.ClassNLLCriterion()
    # ----------------------------------------------------------------------
    if opt['type'] == 'cuda':
        Net.cuda()
        loss.cuda()

    # ----------------------------------------------------------------------
    print('==> flattening Net parameters')

    w, dE_dw = Net.getParameters()

    t = lg.load(weights_file)
    w.copy(t)

    # return package:
    return {
        'Net': Net,
        'Weights': w,
        'Grads': dE_dw,
        'Loss': loss,
    }


# --- digits/standard-networks/torch/ImageNet-Training/alexnet.lua -------------------------------------------------

def createModel_alexnet(nGPU, channels, nClasses):
    # this is alexnet as presented in Krizhevsky et al., 2012
    features = nn.Sequential()
    features.add(convLayer(channels, 96, 11, 11, 4, 4, 2, 2))  # 224 ->  55
    features.add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2))  # 55 ->  27
    features.add(convLayer(96, 256, 5, 5, 1, 1, 2, 2))  # 27 ->  27
    features.add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2))  # 27 ->  13
    features.add(convLayer(256, 384, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(backend.ReLU(True))
    features.add(convLayer(384, 384, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(backend.ReLU(True))
    features.add(convLayer(384, 256, 3, 3, 1, 1, 1, 1))  # 13 ->  13
    features.add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2))  # 13 ->  6

    classifier = nn.Sequential()
    classifier.add(nn.View(256 * 6 * 6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(256 * 6 * 6, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Dropout(0.5))
    classifier.add(nn.Linear(4096, 4096))
    classifier.add(nn.Threshold(0, 1e-6))
    classifier.add(nn.Linear(4096, nClasses))
    classifier.add(backend.LogSoftMax())

    if nGPU > 1:
        gpus = lg.range(0, nGPU - 1).totable()
        fastest, benchmark = None, None
        cudnn = backend if backend is not nn else None
        use_cudnn = cudnn is not None
        if use_cudnn:
            fastest, benchmark = cudnn.fastest, cudnn.benchmark

        def init():
            if use_cudnn:
                cudnn_ = paths.require('cudnn')
                cudnn_.fastest, cudnn_.benchmark = fastest, benchmark
        parallel_features = nn.DataParallelTable(0, True, True).add(features, gpus).threads(init)
        parallel_features.gradInput = None
        model = nn.Sequential().add(parallel_features).add(classifier)
    else:
        features.get(0).gradInput = None
        model = nn.Sequential().add(features).add(classifier)

    return model


def alexnet_imagenet(params):
    _choose_backend(fastest=True)
    # get number of classes from external parameters
    nclasses = params.get('nclasses') or 1
    # adjust to number of channels in input images
    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]
        assert params['inputShape'][1] == 256 and params['inputShape'][2] == 256, 'Network expects 256x256 images'
    return {
        'model': createModel_alexnet(params['ngpus'], channels, nclasses),
        'disableAutoDataParallelism': True,
        'croplen': 224,
        'trainBatchSize': 128,
        'validationBatchSize': 32,
    }


# --- digits/standard-networks/torch/ImageNet-Training/googlenet.lua -----------------------------------------------

def inception(input_size, config):
    concat = nn.Concat(1)
    if config[0][0] != 0:
        conv1 = nn.Sequential()
        conv1.add(convLayer(input_size, config[0][0], 1, 1, 1, 1)).add(backend.ReLU(True))
        concat.add(conv1)

    conv3 = nn.Sequential()
    conv3.add(convLayer(input_size, config[1][0], 1, 1, 1, 1)).add(backend.ReLU(True))
    conv3.add(convLayer(config[1][0], config[1][1], 3, 3, 1, 1, 1, 1)).add(backend.ReLU(True))
    concat.add(conv3)

    conv3xx = nn.Sequential()
    conv3xx.add(convLayer(input_size, config[2][0], 1, 1, 1, 1)).add(backend.ReLU(True))
    conv3xx.add(convLayer(config[2][0], config[2][1], 3, 3, 1, 1, 1, 1)).add(backend.ReLU(True))
    conv3xx.add(convLayer(config[2][1], config[2][1], 3, 3, 1, 1, 1, 1)).add(backend.ReLU(True))
    concat.add(conv3xx)

    pool = nn.Sequential()
    pool.add(nn.SpatialZeroPadding(1, 1, 1, 1))  # remove after getting cudnn R2 into fbcode
    if config[3][0] == 'max':
        pool.add(backend.SpatialMaxPooling(3, 3, 1, 1).ceil())
    elif config[3][0] == 'avg':
        l = backend.SpatialAveragePooling(3, 3, 1, 1)
        if backend is not nn:
            l = l.ceil()
        pool.add(l)
    else:
        raise RuntimeError('Unknown pooling')
    if config[3][1] != 0:
        pool.add(convLayer(input_size, config[3][1], 1, 1, 1, 1)).add(backend.ReLU(True))
    concat.add(pool)

    return concat


def createModel_googlenet(nChannels, nClasses):
    # batch normalization added on top of convolutional layers in feature branch
    # in order to help the network learn faster
    features = nn.Sequential()
    features.add(nn.MulConstant(0.02))
    features.add(convLayer(nChannels, 64, 7, 7, 2, 2, 3, 3)).add(backend.SpatialBatchNormalization(64, 1e-3)) \
        .add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2).ceil())
    features.add(convLayer(64, 64, 1, 1)).add(backend.SpatialBatchNormalization(64, 1e-3)).add(backend.ReLU(True))
    features.add(convLayer(64, 192, 3, 3, 1, 1, 1, 1)).add(backend.SpatialBatchNormalization(192, 1e-3)) \
        .add(backend.ReLU(True))
    features.add(backend.SpatialMaxPooling(3, 3, 2, 2).ceil())
    features.add(inception(192, [[64], [64, 64], [64, 96], ['avg', 32]]))  # 3(a)
    features.add(inception(256, [[64], [64, 96], [64, 96], ['avg', 64]]))  # 3(b)
    features.add(inception(320, [[0], [128, 160], [64, 96], ['max', 0]]))  # 3(c)
    features.add(convLayer(576, 576, 2, 2, 2, 2)).add(backend.SpatialBatchNormalization(576, 1e-3))
    features.add(inception(576, [[224], [64, 96], [96, 128], ['avg', 128]]))  # 4(a)
    features.add(inception(576, [[192], [96, 128], [96, 128], ['avg', 128]]))  # 4(b)
    features.add(inception(576, [[160], [128, 160], [128, 160], ['avg', 96]]))  # 4(c)
    features.add(inception(576, [[96], [128, 192], [160, 192], ['avg', 96]]))  # 4(d)

    main_branch = nn.Sequential()
    main_branch.add(inception(576, [[0], [128, 192], [192, 256], ['max', 0]]))  # 4(e)
    main_branch.add(convLayer(1024, 1024, 2, 2, 2, 2)).add(backend.SpatialBatchNormalization(1024, 1e-3))
    main_branch.add(inception(1024, [[352], [192, 320], [160, 224], ['avg', 128]]))  # 5(a)
    main_branch.add(inception(1024, [[352], [192, 320], [192, 224], ['max', 128]]))  # 5(b)
    main_branch.add(backend.SpatialAveragePooling(7, 7, 1, 1))
    main_branch.add(nn.View(1024).setNumInputDims(3))
    main_branch.add(nn.Linear(1024, nClasses))
    main_branch.add(nn.LogSoftMax())

    # add auxiliary classifier here (thanks to Christian Szegedy for the details)
    aux_classifier = nn.Sequential()
    l = backend.SpatialAveragePooling(5, 5, 3, 3)
    if backend is not nn:
        l = l.ceil()
    aux_classifier.add(l)
    aux_classifier.add(convLayer(576, 128, 1, 1, 1, 1)).add(backend.SpatialBatchNormalization(128, 1e-3))
    aux_classifier.add(nn.View(128 * 4 * 4).setNumInputDims(3))
    aux_classifier.add(nn.Linear(128 * 4 * 4, 768))
    aux_classifier.add(backend.ReLU())
    aux_classifier.add(nn.Linear(768, nClasses))
    aux_classifier.add(backend.LogSoftMax())

    splitter = nn.Concat(1)
    splitter.add(main_branch).add(aux_classifier)

    googlenet = nn.Sequential().add(features).add(main_branch)

    return googlenet


def googlenet_imagenet(params):
    _choose_backend()
    # get number of classes from external parameters
    nclasses = params.get('nclasses') or 1
    # adjust to number of channels in input images
    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]
        assert params['inputShape'][1] == 256 and params['inputShape'][2] == 256, 'Network expects 256x256 images'
    return {
        'model': createModel_googlenet(channels, nclasses),
        'croplen': 224,
        'trainBatchSize': 32,
        'validationBatchSize': 16,
    }


# --- examples/binary-segmentation/segmentation-model.lua ----------------------------------------------------------

def segmentation_model(params):
    # get number of classes from external parameters
    nclasses = params.get('nclasses') or 1  # noqa: F841  (read and unused, as in the Lua)

    # get number of channels from external parameters
    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]

    _choose_backend(quiet=True)

    net = nn.Sequential()

    # conv1: 32 filters, 3x3 kernels, 1x1 stride, 1x1 pad
    net.add(backend.SpatialConvolution(channels, 32, 3, 3, 1, 1, 1, 1))  # C*H*W -> 32*H*W
    net.add(backend.ReLU())

    # conv2: 1024 filters, 16x16 kernels, 16x16 stride, 0x0 pad
    # on 16x16 inputs this is equivalent to a fully-connected layer with 1024 outputs
    net.add(backend.SpatialConvolution(32, 1024, 16, 16, 16, 16, 0, 0))  # 32*H*W -> 1024*H/16*W/16
    net.add(backend.ReLU())

    # deconv: 1 filter, 16x16 kernel, 16x16 stride, 0x0 pad
    net.add(backend.SpatialFullConvolution(1024, 1, 16, 16, 16, 16, 0, 0))  # 1024*H/16*W/16 -> 1xH*W

    return {
        'model': net,
        'loss': nn.SmoothL1Criterion(),
        'trainBatchSize': 4,
        'validationBatchSize': 32,
    }


# --- examples/fine-tuning/lenet-fine-tune.lua ---------------------------------------------------------------------

def lenet_fine_tune(params):
    # get original number of classes (10 i.e. one per digit)
    nclasses = 10

    # get number of channels from external parameters
    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]
        assert params['inputShape'][1] == 28 and params['inputShape'][2] == 28, 'Network expects 28x28 images'

    _choose_backend(quiet=True)

    lenet = nn.Sequential()
    lenet.add(nn.MulConstant(0.00390625))
    lenet.add(backend.SpatialConvolution(channels, 20, 5, 5, 1, 1, 0))  # channels*28*28 -> 20*24*24
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 20*24*24 -> 20*12*12
    lenet.add(backend.SpatialConvolution(20, 50, 5, 5, 1, 1, 0))  # 20*12*12 -> 50*8*8
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 50*8*8 -> 50*4*4
    lenet.add(nn.View(-1).setNumInputDims(3))  # 50*4*4 -> 800
    lenet.add(nn.Linear(800, 500))  # 800 -> 500
    lenet.add(backend.ReLU())
    lenet.add(nn.Linear(500, nclasses))  # 500 -> nclasses
    lenet.add(nn.LogSoftMax())

    # multi-GPU implementation needed
    assert params['ngpus'] <= 1, "Multi-GPU implementation needed"
    model = lenet

    def lenetMnistOddOrEvenFineTune(net):
        # fix weights of existing layers
        def dummyAccGradParameters(*args):
            pass
        net.get(1).accGradParameters = dummyAccGradParameters
        net.get(3).accGradParameters = dummyAccGradParameters
        net.get(6).accGradParameters = dummyAccGradParameters
        # insert 10->2 linear layer
        l = nn.Linear(10, 2)
        net.insert(l, 9)
        return net

    return {
        'model': model,
        'loss': nn.ClassNLLCriterion(),
        'trainBatchSize': 1,
        'validationBatchSize': 100,
        'fineTuneHook': lenetMnistOddOrEvenFineTune,
    }


# --- examples/siamese/mnist_siamese.lua ---------------------------------------------------------------------------

def mnist_siamese(params):
    assert params['ngpus'] <= 1, 'Model does not support multi-GPU training because of shared weights'

    channels = 1
    # params.inputShape may be nil during visualization
    if params.get('inputShape') is not None:
        channels = params['inputShape'][0]
        assert params['inputShape'][1] == 28 and params['inputShape'][2] == 28, 'Network expects 28x28 images'

    # adjust to number of channels in input images - default to 1 channel
    # during model visualization
    channels = (params.get('inputShape') is not None and params['inputShape'][0]) or 1  # noqa: F841

    _choose_backend()

    lenet = nn.Sequential()  # expected input: Nx1x28x28
    lenet.add(nn.Reshape(1, 28, 28))
    lenet.add(nn.MulConstant(0.03))
    lenet.add(backend.SpatialConvolution(1, 20, 5, 5, 1, 1, 0))  # 1*28*28 -> 20*24*24
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 20*24*24 -> 20*12*12
    lenet.add(backend.SpatialConvolution(20, 50, 5, 5, 1, 1, 0))  # 20*12*12 -> 50*8*8
    lenet.add(backend.SpatialMaxPooling(2, 2, 2, 2))  # 50*8*8 -> 50*4*4
    lenet.add(nn.View(-1).setNumInputDims(3))  # 50*4*4 -> 800
    lenet.add(nn.Linear(800, 500))  # 800 -> 500
    lenet.add(backend.ReLU())
    lenet.add(nn.Linear(500, 2))  # 500 -> 2 (reduce to two features for plotting)
    lenet.add(nn.Reshape(1, 2))

    parallel = nn.Parallel(1, 1)  # split along channel dimension
    parallel.add(lenet)  # left branch
    parallel.add(lenet.clone('weight', 'bias', 'gradWeight', 'gradBias'))  # right branch, shared weights

    siamese = nn.Sequential()
    siamese.add(nn.Narrow(1, 1, 2))  # drop red channel
    siamese.add(parallel)  # add parallel features
    siamese.add(nn.SplitTable(1))

    criterion = nn.CosineEmbeddingCriterion(0.8)

    def siameseLabelHook(input, dblabel):
        # cosine embedding criterion requires negative samples to be
        # assigned class -1
        dblabel[lg.eq(dblabel, 0)] = -1
        return dblabel

    return {
        'model': siamese,
        'loss': criterion,
        'trainBatchSize': 8,
        'validationBatchSize': 8,
        'labelHook': siameseLabelHook,
    }


# --- examples/text-classification/text-classification-model.lua --------------------------------------------------

def text_classification_model(params):
    # get number of classes from external parameters (default to 14)
    nclasses = params.get('nclasses') or 14

    _choose_backend()

    feature_len = 1
    if params.get('inputShape') is not None:
        assert params['inputShape'][0] == 1, 'Network expects 1xHxW images'

        def multiply(x):
            nonlocal feature_len
            feature_len = feature_len * x
        params['inputShape'].apply(multiply)

    alphabet_len = 71  # max index in input samples

    net = nn.Sequential()
    # feature_len x 1 x 1
    net.add(nn.View(-1, feature_len))
    # feature_len
    net.add(nn.OneHot(alphabet_len))
    # feature_len x alphabet_len
    net.add(backend.TemporalConvolution(alphabet_len, 256, 7))
    # those shapes are assuming feature_len=1024
    # [1024-6=1018] x 256
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # [(1018-3)/3+1=339] x 256
    net.add(backend.TemporalConvolution(256, 256, 7))
    # [339-6=333] x 256
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # [(333-3)/3+1=111] x 256
    net.add(backend.TemporalConvolution(256, 256, 3))
    # [111-2=109] x 256
    net.add(nn.Threshold())
    net.add(backend.TemporalConvolution(256, 256, 3))
    # [109-2=107] x 256
    net.add(nn.Threshold())
    net.add(backend.TemporalConvolution(256, 256, 3))
    # [107-2=105] x 256
    net.add(nn.Threshold())
    net.add(backend.TemporalConvolution(256, 256, 3))
    # [105-2=103] x 256
    net.add(nn.Threshold())
    net.add(nn.TemporalMaxPooling(3, 3))
    # [(103-3)/3+1=34] x 256
    net.add(nn.Reshape(8704))
    # 8704
    net.add(nn.Linear(8704, 1024))
    net.add(nn.Threshold())
    net.add(nn.Dropout(0.5))
    # 1024
    net.add(nn.Linear(1024, 1024))
    net.add(nn.Threshold())
    net.add(nn.Dropout(0.5))
    # 1024
    net.add(nn.Linear(1024, nclasses))
    net.add(backend.LogSoftMax())

    # weight initialization
    w, dw = net.getParameters()
    w.normal().mul(5e-2)

    return {
        'model': net,
        'loss': nn.ClassNLLCriterion(),
        'trainBatchSize': 128,
        'validationBatchSize': 128,
    }
