"""onmt/utils/Memory.lua of harvardnlp/data2text, its boxOptimize2 (what box_train.lua calls): one forward and
backward of a first batch cut to one target step, so that the decoder's first clone holds its buffers, then
onmt/utils/MemoryOptimizer.lua's marking of the buffers the later clones may share. That marking (an optimisation
of memory that changes no result) is not ported: the clones keep their own buffers."""
from tests.porting.test_opennmt_modules import recursiveClone

from . import G


def boxOptimize2(model, criterion, batch, verbose, switchCrit=None, ptrCrit=None):
    if verbose:
        print('Preparing memory optimization...')
    # Batch of one single word since we optimize the first clone.
    realSizes = {'sourceLength': batch.sourceLength, 'targetLength': batch.targetLength}
    batch.sourceLength = 1
    batch.targetLength = 1
    # Initialize all intermediate tensors with a first batch.
    aggEncStates, catCtx = G.allEncForward(model, batch)
    ctxLen = catCtx.size(1)
    decOutputs = model['decoder'].forward(batch, aggEncStates, catCtx)
    decOutputs = recursiveClone(decOutputs)
    # (the Lua also passes nil, switchCrit, ptrCrit, which Decoder:backward does not take: dropped)
    encGradStatesOut, gradContext, loss = model['decoder'].backward(batch, decOutputs, criterion, ctxLen)
    G.allEncBackward(model, batch, encGradStatesOut, gradContext)
    # Restore batch to be transparent for the calling code.
    batch.sourceLength = realSizes['sourceLength']
    batch.targetLength = realSizes['targetLength']

