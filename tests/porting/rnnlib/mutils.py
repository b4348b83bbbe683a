"""rnnlib/mutils.lua: model utility functions for constructing and manipulating SequenceTables and their input
and output (transpose, deepcopy, resizeCopy, the weight initialisers, inmodule / batchedinmodule / outmodule and
the hidden-state savers).

Indices are 0-based: ``self.output[1]`` (the hidden states) is ``self.output[0]``, ``hids[#hids]`` is
``hids[-1]``, ``table.insert(model.modules, 1, inm)`` is ``model.modules.insert(0, inm)``, ``model:get(1)`` /
``model:get(2)`` are ``model.get(0)`` / ``model.get(1)``, ``nn.SplitTable(1)`` is ``nn.SplitTable(0)``.
"""
import legonn as lg
from legonn import nn


# ------------------------------------------------------------------------------
# Utility functions
# ------------------------------------------------------------------------------


# | Only transpose the first two dimensions.
# This function is identical to zip.
def transpose(x):
    y = []
    for i in range(len(x)):
        for j in range(len(x[0])):
            if j == len(y):
                y.append([])
            y[j].append(x[i][j])
    return y


# | Perform a deep copy where both tensors and tables are structurally
# replicated.
def deepcopy(x):
    if lg.isTensor(x):
        return x.clone()
    else:
        if isinstance(x, dict):
            return {k: deepcopy(v) for k, v in x.items()}
        return [deepcopy(v) for v in x]


# | Given two tables of tensors (arbitrarily deep) with the same structure,
# resize and copy the second argument's tensors `y` into the first `x`.
def resizeCopy(x, y):
    if lg.isTensor(x):
        x.typeAs(y).resizeAs(y).copy(y)
    else:
        for k in (y.keys() if isinstance(y, dict) else range(len(y))):
            resizeCopy(x[k], y[k])


# ------------------------------------------------------------------------------
# Initialization helpers
# ------------------------------------------------------------------------------

# | The default initialization function.
def defwinitfun(model, range_=None):
    range_ = 0.1 if range_ is None else range_
    w = model.parameters()[0]
    for i, v in enumerate(w):
        w[i] = v.uniform(-range_, range_)


# | Recursive init on a per-module basis.
# initT : Map ModuleType (Weight -> Weight)
def scalewinitfun(module, initT):
    # initT should look something like:
    # initT = {
    #     'nn.Linear': lambda weight: weight.uniform(-0.1, 0.1),
    #     'nn.LookupTable': ...,
    #     ...
    # }
    def winit(module):
        winitfn = initT.get(lg.typename(module))
        if winitfn is not None:
            p = module.parameters()[0]
            for v in p:
                winitfn(v)
    module.apply(winit)


# ------------------------------------------------------------------------------
# Wrapping functions for recurrent layers
# ------------------------------------------------------------------------------

SeqType = "nn.Sequential"
SetType = "nn.SequenceTable"
RnnType = "nn.RecurrentTable"


# | Any elements f(x) == true.
def any_(t, f):
    for v in (t or []):
        if f(v) is True:
            return True
    return False


# | If the top level model is cudnn or any of its children.
# Will fix later.
def isCudnn(model):
    return (lg.isTypeOf(model, "cudnn.*")
            or any_(getattr(model, 'modules', None), lambda x: lg.isTypeOf(x, "cudnn.*")))


# | Asserts that an RNN is wrapped correctly or wraps an unwrapped one.
def assertWrapped(model):
    if (lg.isTypeOf(model, RnnType)
            or lg.isTypeOf(model, SetType)
            or isCudnn(model)):
        # need to wrap with Sequential
        model = nn.Sequential().add(model)
    elif lg.isTypeOf(model, SeqType):
        # already wrapped with Sequential
        assert len(model.modules) <= 3, (
            "You have %d modules in your RNN, you should have at most inmodule + RNN + outmodule: %s " % (
                len(model.modules), lg.tostring(model)))
        assert (lg.isTypeOf(model.get(0), RnnType)
                or lg.isTypeOf(model.get(1), RnnType)
                or lg.isTypeOf(model.get(0), SetType)
                or lg.isTypeOf(model.get(1), SetType)
                or any_(model.modules, isCudnn)), (
            "Your rnn should be in either module 1 or module 2. Instead, your model is %s" % lg.tostring(model))
    else:
        raise ValueError("The type of your model is %s, while Sequential or Recurrent is expected." %
                         lg.typename(model))
    return model


# | Pipes the input through a module.
# The model must pass the assertWrapped tests.
# The inmodule is applied to the part of the input that does not belong to the
# hidden state, which is assumed to be in index 2 of the input.
def inmodule(model, inmodule):
    model = assertWrapped(model)
    inm = (nn.ParallelTable()
           .add(nn.Identity())
           .add(nn.MapTable(inmodule)))
    model.modules.insert(0, inm)
    return model


# | Pipes a batch through a module and splits along the first dimension.
# The inmodule is applied to an input tensor of seqlen x nbatch and
# gives the recurrent model an input of {seqlen} x bsz x hidden.
def batchedinmodule(model, inmodule):
    model = assertWrapped(model)
    inm = (nn.ParallelTable()
           .add(nn.Identity())
           .add(nn.Sequential()
                .add(inmodule)
                .add(nn.SplitTable(0))))
    model.modules.insert(0, inm)
    return model


# | Applies a module to the output table along the outermost dimension.
def outmodule(model, outmodule):
    model = assertWrapped(model)
    outm = (nn.ParallelTable()
            .add(nn.Identity())
            .add(nn.MapTable(outmodule)))

    return model.add(outm)


# ------------------------------------------------------------------------------
# Utils for RNN Hidden State
# ------------------------------------------------------------------------------

# | Saves the last hidden state of a two dimensional RNN.
# A two dimensional RNN is one which takes as input a table of the previous
# hidden state as well as a sequence. The two dimensions are the depth of the
# RNN (how many layers are stacked) and the length of the input sequence.
def makeSaveLastHidden(depthfirst=None):
    depthfirst = False if depthfirst is None else depthfirst

    def saveLastHidden(self):
        lasthid = self.getLastHidden()
        if getattr(self, 'hiddenbuffer', None) is not None:
            resizeCopy(self.hiddenbuffer, lasthid)
        else:
            self.hiddenbuffer = deepcopy(lasthid)
    return saveLastHidden


# | Gets the last hidden state of a two dimensional RNN.
def makeGetLastHidden(depthfirst=None):
    depthfirst = False if depthfirst is None else depthfirst

    def getLastHidden(self):
        hids = self.output[0]
        return (hids[-1] if depthfirst
                else transpose(hids)[len(hids[0]) - 1])
    return getLastHidden


