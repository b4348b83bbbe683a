"""utils/common.lua, the functions the models and fb.lua use: gpu, gpuzeros, convert2Reals (which reads the
global ``__opt``: here the module's ``opt``, set by the caller), changeRnnMode, combineAllParameters (char-rnn's
function, whose port tests/porting/char_rnn/util/model_utils.py this module imports), cloneManyTimesFast.
torch.MemoryFile's writeObject/readObject is ``lg.serialize``/``lg.deserialize`` (docs/porting.md's MemoryFile
row), with the net's Penlight maps set aside while it is written (the Penlight-in-a-written-net row); the empty clone
is not made (the cloneManyTimesFast row). The ``parametersNoGrad`` branches, for modules that have that method
(these have not), are left out. listfill and listinput end the module."""
import legonn as lg
from legonn import nn
from legonn.pl.List import List

from ...char_rnn.util.model_utils import combine_all_parameters

opt = None


def gpu(x, opt, nothrow=None):
    nothrow = nothrow or False
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        if not nothrow:
            return x.cuda()
        else:
            if callable(x) and not hasattr(x, 'cuda'):
                return x
            else:
                return x.cuda() if hasattr(x, 'cuda') else x
    else:
        return x


def gpuzeros(opt):
    def zeros(*args):
        return gpu(lg.zeros(*args), opt)
    return zeros


def convert2Reals(tensor):
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        return tensor.cuda()
    else:
        return tensor.double()


def changeRnnMode(rnn, is_training):
    for i in range(len(rnn)):
        if is_training:
            rnn[i].training()
        else:
            rnn[i].evaluate()


# common.combineAllParameters is char-rnn's util/model_utils.lua combine_all_parameters, line for line
combineAllParameters = combine_all_parameters


def cloneManyTimesFast(net, T):
    # Authors: Tomas Kocisky
    clones = {}

    params, gradParams = net.parameters()
    if params is None:
        params = []
    blob = lg.serialize(net)

    # serialize an empty clone for faster cloning: lg.load validates each module it rebuilds and refuses one whose
    # weight was emptied (docs/porting.md's cloneManyTimesFast row), so the net is read back with its parameters,
    # which each clone then shares as below
    for t in range(T):
        clone = lg.deserialize(blob)
        cloneParams, cloneGradParams = clone.parameters()
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        clones[t] = clone
        # My modification
        if lg.isTypeOf(net, 'nn.kModule') or lg.isTypeOf(net, 'nn.kWrap'):
            clone.input_map = net.input_map
            clone.output_map = net.output_map
    return clones


def listfill(k, stuff, call=None):
    l = List()
    for i in range(k):
        l.append(stuff() if call else stuff)
    return l


def listinput(k):
    l = List()
    for i in range(k):
        l.append(nn.Identity()())
    return l
