"""rnnlib/cudnnutils.lua: utilities for using cuDNN's RNNs with rnnlib: the number of linear projections per cell,
the projections' ids in cuDNN's weight layout (``offsets``), ``getParams`` (views of one projection's matrix and
bias, and of their gradients, inside the module's flat weight), ``copyParams`` (an rnnlib model's weights into a
cuDNN module) and ``zeroField``.

Edits beyond syntax and indices:

* ``getParams`` asks cuDNN itself through LuaJIT's FFI where a projection lies (``cudnnGetRNNLinLayerMatrixParams``
  and ``cudnnGetRNNLinLayerBiasParams`` on the module's descriptors ``rnnDesc``, ``xDescs``, ``wDesc``, then
  ``cudnnGetFilterNdDescriptor`` for its size) and builds tensors on ``rnn.weight:storage()`` at that pointer's
  offset. legonn's cudnn has no C library or descriptors; its ``rnn.weights()[layer][layerId]`` and
  ``rnn.biases()[layer][layerId]`` are the same views (cudnn.torch's RNN:weights() and RNN:biases() are built on
  these very calls), so the offset is read from them: ``view.storageOffset()`` is the Lua's ``pointer[0] -
  rnn.weight:data() + rnn.weight:storageOffset()`` (0-based, as legonn's tensor constructor takes it).
  zeroField's ``rnn:resetWeightDescriptor()`` (a new cuDNN filter descriptor for the same weight) has nothing to
  redo and is left out (docs/porting.md's rnnlib cudnnutils row).
* ``torch.CudaTensor(rnn.weight:storage(), offset, n)``: cudnn.torch's RNN:__init makes its weight a CudaTensor;
  legonn's cudnn modules are built with the default tensor type, on the CPU, until ``:cuda()`` (WrappedCudnnRnn
  converts them after it copied the weights), so the views take the weight's own type:
  ``rnn.weight.new(rnn.weight.storage(), offset, n)`` (docs/porting.md's row on cudnn's RNN weights).
* ``assert(pcall(require, 'cudnn'))`` is the import; ``old[id % ngates + 1]`` is ``old[id % ngates]``;
  ``for dir, t in pairs(offset)`` walks the dict.
"""
from legonn import cudnn  # noqa: F401  (the Lua asserts the bindings load)

# The number of linear projections in each model.
numProjs = {
    # Shorthands
    'RNN': 2,
    'RNNTanh': 2,
    'RNNReLU': 2,
    'GRU': 6,
    'LSTM': 8,

    # Cudnn modes
    'CUDNN_RNN_TANH': 2,
    'CUDNN_RNN_RELU': 2,
    'CUDNN_GRU': 6,
    'CUDNN_LSTM': 8,
}

# See cudnn r5 library user guide.
offsets = {
    'RNN': {'input': {0: 0}, 'hidden': {0: 1}, },
    'RNNTanh': {'input': {0: 0}, 'hidden': {0: 1}, },
    'RNNReLU': {'input': {0: 0}, 'hidden': {0: 1}, },

    'GRU': {
        'input': {'r': 0, 'u': 1, 'c': 2, },
        'hidden': {'r': 3, 'u': 4, 'c': 5, },
    },

    'LSTM': {
        'input': {'i': 0, 'f': 1, 'c': 2, 'o': 3, },
        'hidden': {'i': 4, 'f': 5, 'c': 6, 'o': 7, },
    },
}


def firstToUpper(str_):
    return str_[:1].upper() + str_[1:]


# | Get the parameters for a linear projection.
# rnn     : The Cudnn module.
# layer   : The layer number (0 indexed).
# layerId : The projection in the layer (0 indexed).
def getParams(rnn, layer, layerId):
    fns = {
        'weight': rnn.weights,
        'bias': rnn.biases,
    }
    params = {}
    for key, fn in fns.items():
        view = fn()[layer][layerId]
        offset = view.storageOffset()
        params[key] = rnn.weight.new(
            rnn.weight.storage(), offset, view.nElement())
        params["grad" + firstToUpper(key)] = rnn.gradWeight.new(
            rnn.gradWeight.storage(), offset, view.nElement())
    return params


# | Copy parameters from an rnnlib model to a cudnn one.
# If the rnnlib network has different hidden dimensionality on each layer
# then the parameters must be copied over to cudnn one layer at a time.
# rnn     : The cudnn module.
# offset  : The projection offsets (see Cudnn r5 library user guide).
# oldin   : The input parameters from the rnnlib module.
# oldhid  : The hidden parameters from the rnnlib module.
# hidSize : The hidden size of the layer (or network, if homogeneous).
# nlayer  : The number layers in the network.
def copyParams(rnn, offset, oldin, oldhid, hidSize, nlayer):
    inps = oldin.split(hidSize, 0)
    hids = oldhid.split(hidSize, 0)
    ngates = len(inps)
    for dir_, t in offset.items():
        old = inps if dir_ == "input" else hids
        for gate, id_ in t.items():
            params = getParams(rnn, nlayer - 1, id_)
            params['weight'].copy(old[id_ % ngates].view(-1))
            params['bias'].fill(0)


# | A utility function to zero out a module's tensors.
# rnn   : The cudnn module.
# field : The parameter to be zeroed out [weight, bias, gradWeight, gradBias].
def zeroField(rnn, field):
    for i in range(rnn.numLayers):
        for j in range(numProjs[rnn.mode]):
            ps = getParams(rnn, i, j)
            ps[field].fill(0)
