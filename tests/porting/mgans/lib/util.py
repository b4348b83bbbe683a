"""code/lib/util.lua of chuanli11/MGANs (MIT licence; DCGAN.torch's util.lua), ported line by line: save a
network as CPU nn modules without buffers or gradients, load one back with zero gradients, swap
nn.SpatialConvolution for cudnn's, and share buffers for inference."""
import legonn as lg
from legonn import nn


def save(filename, net, gpu):

    net.float()  # if needed, bring back to CPU
    netsave = net.clone()
    if gpu > 0:
        net.cuda()

    for k, l in enumerate(netsave.modules):
        # convert to CPU compatible model
        if lg.type(l) == 'cudnn.SpatialConvolution':
            new = nn.SpatialConvolution(l.nInputPlane, l.nOutputPlane,
                                        l.kW, l.kH, l.dW, l.dH,
                                        l.padW, l.padH)
            new.weight.copy(l.weight)
            new.bias.copy(l.bias)
            netsave.modules[k] = new
        elif lg.type(l) == 'fbnn.SpatialBatchNormalization':
            new = nn.SpatialBatchNormalization(l.weight.size(0), l.eps,
                                               l.momentum, l.affine)
            new.running_mean.copy(l.running_mean)
            new.running_std.copy(l.running_std)
            if l.affine:
                new.weight.copy(l.weight)
                new.bias.copy(l.bias)
            netsave.modules[k] = new

        # clean up buffers
        m = netsave.modules[k]
        m.output = m.output.new()
        m.gradInput = m.gradInput.new()
        m.finput = m.finput.new() if getattr(m, 'finput', None) is not None else None
        m.fgradInput = m.fgradInput.new() if getattr(m, 'fgradInput', None) is not None else None
        m.buffer = None
        m.buffer2 = None
        m.centered = None
        m.std = None
        m.normalized = None
        # TODO: figure out why giant storage-offsets being created on typecast
        if getattr(m, 'weight', None) is not None:
            m.weight = m.weight.clone()
            m.gradWeight = m.gradWeight.clone()
            m.bias = m.bias.clone()
            m.gradBias = m.gradBias.clone()
    netsave.output = netsave.output.new()
    netsave.gradInput = netsave.gradInput.new()

    def drop_gradients(m):
        if getattr(m, 'weight', None) is not None:
            m.gradWeight = None
            m.gradBias = None
    netsave.apply(drop_gradients)

    lg.save(filename, netsave)


def load(filename, gpu):
    net = lg.load(filename)

    def zero_gradients(m):
        if getattr(m, 'weight', None) is not None:
            m.gradWeight = m.weight.clone().zero()
            m.gradBias = m.bias.clone().zero()
    net.apply(zero_gradients)
    return net


def cudnn(net):
    for k, l in enumerate(net.modules):
        # convert to cudnn
        if lg.type(l) == 'nn.SpatialConvolution' and _pcall_require_cudnn():
            from legonn import cudnn
            new = cudnn.SpatialConvolution(l.nInputPlane, l.nOutputPlane,
                                           l.kW, l.kH, l.dW, l.dH,
                                           l.padW, l.padH)
            new.weight.copy(l.weight)
            new.bias.copy(l.bias)
            net.modules[k] = new
    return net


def _pcall_require_cudnn():
    """``pcall(require, 'cudnn')``: true where the package loads."""
    try:
        from legonn import cudnn  # noqa: F401
        return True
    except ImportError:
        return False


# a function to do memory optimizations by
# setting up double-buffering across the network.
# this drastically reduces the memory needed to generate samples.
def optimizeInferenceMemory(net):
    # the Lua closure's upvalues finput, output, outputB
    shared = {'finput': None, 'output': None, 'outputB': None}

    def visit(m):
        if 'Convolution' in lg.type(m):
            if shared['finput'] is None:  # finput = finput or m.finput
                shared['finput'] = getattr(m, 'finput', None)
            m.finput = shared['finput']
            if shared['output'] is None:
                shared['output'] = m.output
            m.output = shared['output']
        elif 'ReLU' in lg.type(m):
            m.inplace = True
        elif 'BatchNormalization' in lg.type(m):
            if shared['outputB'] is None:
                shared['outputB'] = m.output
            m.output = shared['outputB']
    net.apply(visit)
