"""util.lua: ``save`` a network for the CPU (cudnn convolutions and fbnn batch normalisations replaced by nn's, the
buffers emptied, the gradients dropped), ``load`` it back with zeroed gradients, ``cudnn`` (nn convolutions to
cudnn's) and ``optimizeInferenceMemory`` (shared output buffers). The Lua returns the table ``util``; here it is
this module."""
import legonn as lg
from legonn import cudnn as cudnn_
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
        if m.weight is not None:
            m.weight = m.weight.clone()
            m.gradWeight = m.gradWeight.clone()
            m.bias = m.bias.clone()
            m.gradBias = m.gradBias.clone()
    netsave.output = netsave.output.new()
    netsave.gradInput = netsave.gradInput.new()

    def drop_gradients(m):
        if m.weight is not None:
            m.gradWeight = None
            m.gradBias = None
    netsave.apply(drop_gradients)

    lg.save(filename, netsave)


def load(filename, gpu):
    net = lg.load(filename)

    def zero_gradients(m):
        if m.weight is not None:
            m.gradWeight = m.weight.clone().zero()
            m.gradBias = m.bias.clone().zero()
    net.apply(zero_gradients)
    return net


def cudnn(net):
    for k, l in enumerate(net.modules):
        # convert to cudnn
        if lg.type(l) == 'nn.SpatialConvolution':  # pcall(require, 'cudnn'): legonn always has it
            new = cudnn_.SpatialConvolution(l.nInputPlane, l.nOutputPlane,
                                            l.kW, l.kH, l.dW, l.dH,
                                            l.padW, l.padH)
            new.weight.copy(l.weight)
            new.bias.copy(l.bias)
            net.modules[k] = new
    return net


# a function to do memory optimizations by
# setting up double-buffering across the network.
# this drastically reduces the memory needed to generate samples.
def optimizeInferenceMemory(net):
    finput = output = outputB = None

    def share(m):
        nonlocal finput, output, outputB
        if 'Convolution' in lg.type(m):
            finput = finput if finput is not None else getattr(m, 'finput', None)
            m.finput = finput
            output = output if output is not None else m.output
            m.output = output
        elif 'ReLU' in lg.type(m):
            m.inplace = True
        elif 'BatchNormalization' in lg.type(m):
            outputB = outputB if outputB is not None else m.output
            m.output = outputB
    net.apply(share)
