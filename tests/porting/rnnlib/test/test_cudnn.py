"""test/test_cudnn.lua: rnnlib's RNN, GRU and LSTM networks (one and two layers, homogeneous and not, and the
nn.LSTM / nn.GRU constructors) against nn.WrappedCudnnRnn of the same weights: outputs, final hidden states,
gradients with respect to the input and the weights, and the weights after updateParameters, over several batches
carried by the saved hidden state; then testSimpleRNN and testSimpleGRU with hand-set weights.

Edits beyond syntax and indices:

* The suite is built by ``makeSuite(tester, ...)`` and run by the caller (tests/porting/test_rnnlib.py), where the
  Lua's file ends with ``tester:add(cudnntest); tester:run()``; the file-level sizes ``ins, nhid1, nhid2s,
  seqlen, bsz, nbatch = 32, 128, {128, 64}, 30, 25, 10`` are its arguments, so that a test can run small ones.
* ``function math.atanh(x)`` (a function added to Lua's math table) is ``math.atanh``, which Python has.
* ``hids`` tables are recurrentnetwork.py's dicts (``{ [0] = ins, [1] = nhid1 }`` is ``{0: ins, 1: nhid1}``;
  ``hids[2] == nil`` is ``hids.get(2) is None``); ``{ nhid1 }`` given to makeRecurrent is ``{1: nhid1}``.
* ``nn.LSTM{inputsize = ins, ...}`` is the port's ``LSTM(inputsize=ins, ...)`` (nn/LSTM.py says why).
* ``cellstring:find("LSTM")`` is ``"LSTM" in cellstring``; ``rgw:eq(math.huge):sum()`` is the same calls with
  ``math.inf``; ``for i = 1, #rnnlibinput do rnnlibinput[i] = ...`` rebinds list entries as the Lua does.
* The Lua's file-level loop registers the tests under names with ``string.format('LSTM%s-%s', nhid1,
  usebackward)``: ``%s`` of a boolean is ``true``/``false`` in Lua, so ``lg.tostring`` formats it.
"""
import math

import legonn as lg
from legonn import nn

from .. import cell
from ..env import rnnlib
from ..nn.GRU import GRU
from ..nn.LSTM import LSTM
from ..nn.WrappedCudnnRnn import WrappedCudnnRnn

tol = 1e-6

# ------------------------------------------------------------------------------
# Utility functions
# ------------------------------------------------------------------------------


def reccopy(x):
    if lg.isTensor(x):
        return x.clone()
    else:
        return [reccopy(v) for v in x]


def recfill(x, val):
    if lg.isTensor(x):
        return x.fill(val)
    else:
        for v in x:
            recfill(v, val)


# | Copy hidden state from rnnlib2 to a format amenable to cudnn.
def rnnlib2cudnn4hid(hid, cellstring):
    nlayer = len(hid)
    allsame = True
    for i in range(nlayer - 1):
        if "LSTM" in cellstring:
            allsame = hid[i][0].size(1) == hid[i + 1][0].size(1) and allsame
        else:
            allsame = hid[i].size(1) == hid[i + 1].size(1) and allsame

    if allsame:
        # For homogeneous networks.
        if "LSTM" in cellstring:
            cellInput = lg.CudaTensor(
                nlayer, hid[0][0].size(0), hid[0][0].size(1))
            hiddenInput = lg.CudaTensor(
                nlayer, hid[0][1].size(0), hid[0][1].size(1))
        else:
            hiddenInput = lg.CudaTensor(
                nlayer, hid[0].size(0), hid[0].size(1))

        for layer in range(nlayer):
            if "LSTM" in cellstring:
                cellInput[layer].copy(
                    hid[layer][0].view(
                        1, hid[layer][0].size(0), hid[layer][0].size(1)))
                hiddenInput[layer].copy(
                    hid[layer][1].view(
                        1, hid[layer][1].size(0), hid[layer][1].size(1)))
            else:
                hiddenInput[layer].copy(
                    hid[layer].view(
                        1, hid[layer].size(0), hid[layer].size(1)))

        return ([[cellInput, hiddenInput]] if 'LSTM' in cellstring
                else [hiddenInput])
    else:
        # For heterogeneous networks.
        # recursive clone, then change view.
        chid = []
        for layer in range(nlayer):
            if "LSTM" in cellstring:
                chid.append([
                    hid[layer][0].clone().view(
                        1, hid[layer][0].size(0), hid[layer][0].size(1)),
                    hid[layer][1].clone().view(
                        1, hid[layer][1].size(0), hid[layer][1].size(1)),
                ])
            else:
                chid.append(hid[layer].clone().view(
                    1, hid[layer].size(0), hid[layer].size(1)))
        return chid


# Wrap a recurrent model to only output the last layer.
def wrapmodel(model):
    return (nn.Sequential()
            .add(model)
            .add(nn.ParallelTable()
                 .add(nn.Identity())
                 .add(nn.Sequential()
                      .add(nn.SelectTable(-1))
                      .add(nn.JoinTable(0)))))


def assertOutputEq(tester, rnnliboutput, cudnnoutput, time, cellstring, allsame, i):
    rhidoutput = rnnliboutput[0]
    chidoutput = cudnnoutput[0]
    rseqoutput = rnnliboutput[1]
    cseqoutput = cudnnoutput[1]
    nlayer = len(rhidoutput)
    if "LSTM" in cellstring:
        for depth in range(nlayer):
            tester.eq(
                rhidoutput[depth][time - 1][0],
                chidoutput[0][0][depth] if allsame
                else chidoutput[depth][0].squeeze(),
                tol,
                "%s cell at depth %i in batch %i" % (cellstring, depth + 1, i + 1)
            )
            tester.eq(
                rhidoutput[depth][time - 1][1],
                chidoutput[0][1][depth] if allsame
                else chidoutput[depth][1].squeeze(),
                tol,
                "%s hidden at depth %i in batch %i" % (cellstring, depth + 1, i + 1)
            )
    else:
        for depth in range(nlayer):
            tester.eq(
                rhidoutput[depth][time - 1],
                chidoutput[0][depth] if allsame
                else chidoutput[depth][0].squeeze(),
                tol,
                "%s hidden at depth %i in batch %i" % (cellstring, depth + 1, i + 1)
            )
    tester.eq(
        rseqoutput,
        cseqoutput,
        tol,
        "%s output in batch %i" % (cellstring, i + 1)
    )


def assertGradientEq(tester, rnnlibm, cudnnm, rg, cg, cellstring, bsz, allsame, i):
    tester.eq(
        nn.MapTable(nn.View(1, bsz, -1).cuda())
        .forward(rnnlibm.gradInput[1]),
        cudnnm.gradInput[1],
        tol,
        "%s gradInput in batch %i" % (cellstring, i + 1)
    )

    rgw = lg.cat(
        nn.MapTable(nn.View(-1).cuda()).forward(rg), 0)
    # If not allsame, then the parameters are separated by layer.
    if allsame:
        cgw = cg[0].narrow(0, 0, rgw.size(0))
    else:
        cgw = lg.cat([
            cg[0].narrow(0, 0, rg[0].nElement() + rg[1].nElement()),
            cg[1].narrow(0, 0, rg[2].nElement() + rg[3].nElement()),
        ], 0)

    tester.assert_(rgw.eq(math.inf).sum() == 0,
                   "Infs in rnnlib gradWeight")
    tester.assert_(cgw.eq(math.inf).sum() == 0,
                   "Infs in cudnn gradWeight")
    # Assert gradients wrt weights are the same.
    tester.eq(
        rgw, cgw, tol,
        "%s gradWeight in batch %i" % (cellstring, i + 1))


def createGradOutput(initfun, rnnliboutput, cudnnoutput, cudnnrnn, time, cellstring, allsame):
    chidoutput = cudnnoutput[0]
    cseqoutput = cudnnoutput[1]
    gradOutput = initfun(cseqoutput.clone())
    gradHidOut = []
    if "LSTM" in cellstring:
        for i in range(len(cudnnrnn.rnns)):
            gradHidOut.append([
                initfun(chidoutput[i][0].clone()),
                initfun(chidoutput[i][1].clone()),
            ])
    else:
        for i in range(len(cudnnrnn.rnns)):
            gradHidOut.append(initfun(chidoutput[i].clone()))
    # Copy errors to rnnlib.
    rgradOutput = reccopy(rnnliboutput)
    rgradOutput[1].copy(gradOutput)
    recfill(rgradOutput[0], 0)

    nlayer = len(rnnliboutput[0])
    if allsame:
        if "LSTM" in cellstring:
            for i in range(nlayer):
                rgradOutput[0][i][time - 1][0].copy(gradHidOut[0][0][i])
                rgradOutput[0][i][time - 1][1].copy(gradHidOut[0][1][i])
        else:
            for i in range(nlayer):
                rgradOutput[0][i][time - 1].copy(gradHidOut[0][i])
    else:
        if "LSTM" in cellstring:
            for i in range(nlayer):
                rgradOutput[0][i][time - 1][0].copy(gradHidOut[i][0][0])
                rgradOutput[0][i][time - 1][1].copy(gradHidOut[i][1][0])
        else:
            for i in range(nlayer):
                rgradOutput[0][i][time - 1].copy(gradHidOut[i][0])
    return rgradOutput, [gradHidOut, gradOutput]


# ------------------------------------------------------------------------------
# Test cases
# ------------------------------------------------------------------------------

# | This function creates a test for a certain cell.
def makeTest(tester, rnnlibrnn, hids, time, bsz, nbatch,
             cellstring, tieHidden, updateParams, usebackward, initfun):
    allsame = hids.get(2) is None or hids[1] == hids[2]

    def test():
        ins = hids[0]
        # Construct cudnn model.
        # Cudnnrnn will either be a cudnn module or a nn.SequenceTable
        # composed of cudnn modules to allow for layers with different hidden
        # dimensions.
        cudnnrnn = WrappedCudnnRnn(rnnlibrnn, cellstring, hids, True)

        # Wrap models.
        rnnlibm = wrapmodel(rnnlibrnn)
        cudnnm = wrapmodel(cudnnrnn)

        rnnlibm.cuda().training()
        cudnnm.cuda().training()

        # Initialize hidden states.
        rnnlibrnn.initializeHidden(bsz)
        cudnnrnn.initializeHidden(bsz)

        for i in range(nbatch):
            # Initialize input.
            cudnninput = initfun(lg.CudaTensor(time, bsz, ins))
            # Split the input along sequence length.
            rnnlibinput = cudnninput.split(1)
            for j in range(len(rnnlibinput)):
                rnnlibinput[j] = rnnlibinput[j].view(bsz, -1)

            # Prepare hidden states.
            hid = rnnlibrnn.hiddenbuffer
            chid = (rnnlib2cudnn4hid(hid, cellstring) if tieHidden
                    else cudnnrnn.hiddenbuffer)

            # Perform forward pass.
            rnnliboutput = rnnlibm.forward([hid, rnnlibinput])
            cudnnoutput = cudnnm.forward([chid, cudnninput.split(1)])

            # Assert all outputs are the same.
            assertOutputEq(
                tester, rnnliboutput, cudnnoutput, time, cellstring, allsame, i)

            # Set up errors.
            rgradOutput, cgradOutput = createGradOutput(
                initfun, rnnliboutput, cudnnoutput, cudnnrnn,
                time, cellstring, allsame)

            # Perform backward pass.
            rnnlibm.zeroGradParameters()
            cudnnm.zeroGradParameters()
            if usebackward:
                rnnlibm.backward([hid, rnnlibinput], rgradOutput)
                cudnnm.backward(
                    [chid, cudnninput.split(1)],
                    cgradOutput)
            else:
                rnnlibm.updateGradInput([hid, rnnlibinput], rgradOutput)
                cudnnm.updateGradInput(
                    [chid, cudnninput.split(1)],
                    cgradOutput)
                rnnlibm.accGradParameters([hid, rnnlibinput], rgradOutput)
                cudnnm.accGradParameters(
                    [chid, cudnninput.split(1)],
                    cgradOutput)

            rp, rg = rnnlibm.parameters()
            cp, cg = cudnnm.parameters()

            # Assert gradients wrt inputs are the same.
            assertGradientEq(
                tester, rnnlibm, cudnnm, rg, cg, cellstring, bsz, allsame, i)

            if updateParams:
                rnnlibm.updateParameters(5)
                cudnnm.updateParameters(5)

                rw = lg.cat(
                    nn.MapTable(nn.View(-1).cuda()).forward(rp), 0)
                if allsame:
                    cw = cp[0].narrow(0, 0, rw.size(0))
                else:
                    cw = lg.cat([
                        cp[0].narrow(0, 0, rp[0].nElement() + rp[1].nElement()),
                        cp[1].narrow(0, 0, rp[2].nElement() + rp[3].nElement()),
                    ], 0)
                tester.eq(
                    rw, cw, tol,
                    "%s weight in batch %i" % (cellstring, i + 1))
    return test


def makeSuite(tester, ins=32, nhid1=128, nhid2s=(128, 64), seqlen=30, bsz=25, nbatch=10):
    cudnntest = lg.TestSuite()

    # If true, copy over the hidden state from Rnnlib over to cudnn every batch.
    tieHidden = False
    # If true, update the parameters at each batch.
    updateParams = True
    # If true, use backwards, otherwise call updateGradInput and accGradParameters.
    usebackwards = [True, False]

    # The initialization function for all tensors.
    def initfun(x):
        return x.uniform(-0.01, 0.01)

    # Generate test cases.
    for usebackward in usebackwards:
        ub = lg.tostring(usebackward)
        # 1 layer rnns.
        cudnntest['LSTM%s-%s' % (nhid1, ub)] = makeTest(
            tester, rnnlib.makeRecurrent(cell.LSTM, ins, {1: nhid1}).cuda(),
            {0: ins, 1: nhid1}, seqlen, bsz, nbatch, "LSTM",
            tieHidden, updateParams, usebackward, initfun)
        cudnntest['GRU%s-%s' % (nhid1, ub)] = makeTest(
            tester, rnnlib.makeRecurrent(cell.GRU, ins, {1: nhid1}).cuda(),
            {0: ins, 1: nhid1}, seqlen, bsz, nbatch, "GRU",
            tieHidden, updateParams, usebackward, initfun)
        cudnntest['RNN%s-%s' % (nhid1, ub)] = makeTest(
            tester, rnnlib.makeRecurrent(cell.RNNTanh, ins, {1: nhid1}).cuda(),
            {0: ins, 1: nhid1}, seqlen, bsz, nbatch, "RNNTanh",
            tieHidden, updateParams, usebackward, initfun)

        # 2 layer rnns.
        for nhid2 in nhid2s:
            cudnntest['LSTM%s-%s-%s' % (nhid1, nhid2, ub)] = makeTest(
                tester, rnnlib.makeRecurrent(cell.LSTM, ins, {1: nhid1, 2: nhid2}).cuda(),
                {0: ins, 1: nhid1, 2: nhid2}, seqlen, bsz, nbatch, "LSTM",
                tieHidden, updateParams, usebackward, initfun)
            cudnntest['GRU%s-%s-%s' % (nhid1, nhid2, ub)] = makeTest(
                tester, rnnlib.makeRecurrent(cell.GRU, ins, {1: nhid1, 2: nhid2}).cuda(),
                {0: ins, 1: nhid1, 2: nhid2}, seqlen, bsz, nbatch, "GRU",
                tieHidden, updateParams, usebackward, initfun)
            cudnntest['RNN%s-%s-%s' % (nhid1, nhid2, ub)] = makeTest(
                tester, rnnlib.makeRecurrent(cell.RNNTanh, ins, {1: nhid1, 2: nhid2}).cuda(),
                {0: ins, 1: nhid1, 2: nhid2}, seqlen, bsz, nbatch, "RNNTanh",
                tieHidden, updateParams, usebackward, initfun)

    # Tests for the nn.RNN interface.
    cudnntest['nn.LSTM%s' % nhid1] = makeTest(
        tester,
        LSTM(
            inputsize=ins,
            hidsize=nhid1,
            nlayer=2,
            usecudnn=False,
        ).cuda(),
        {0: ins, 1: nhid1, 2: nhid1}, seqlen, bsz, nbatch, "LSTM",
        False, True, True, initfun)
    cudnntest['nn.GRU%s' % nhid1] = makeTest(
        tester,
        GRU(
            inputsize=ins,
            hidsize=nhid1,
            nlayer=2,
            usecudnn=False,
        ).cuda(),
        {0: ins, 1: nhid1, 2: nhid1}, seqlen, bsz, nbatch, "GRU",
        False, True, True, initfun)

    # Simple test cases.
    @cudnntest
    def testSimpleRNN():
        ins, nhid, time = 1, 1, 10

        rnnlibm = (rnnlib.makeRecurrent(cell.RNNTanh, ins, {1: nhid, 2: nhid})
                   .cuda())
        p = rnnlibm.parameters()[0]
        p[0].fill(2 * (math.atanh(0.5) - 0.5))
        p[1].fill(1)
        p[2].fill(2 * (math.atanh(0.5) - 0.5))
        p[3].fill(1)

        hids = {0: ins, 1: nhid, 2: nhid}
        cudnnm = WrappedCudnnRnn(rnnlibm, "RNNTanh", hids, True)

        hid = rnnlibm.initializeHidden(1)
        hid[0].fill(0.5)
        hid[1].fill(0.5)
        cudnninput = lg.CudaTensor(time, 1, ins).fill(0.5)
        rnnlibinput = cudnninput.split(1)
        for i in range(len(rnnlibinput)):
            rnnlibinput[i] = rnnlibinput[i].view(1, -1)
        rnnlibinput = [hid, rnnlibinput]

        cudnnHiddenInput = lg.CudaTensor(2, 1, nhid)
        cudnnHiddenInput[0].copy(hid[0].view(1, 1, nhid))
        cudnnHiddenInput[1].copy(hid[1].view(1, 1, nhid))

        cudnninput = [[cudnnHiddenInput], cudnninput.split(1)]

        rnnlibm.cuda()
        cudnnm.cuda()

        rnnliboutput = rnnlibm.forward(rnnlibinput)
        cudnnoutput = cudnnm.forward(cudnninput)

        # Check hiddens.
        for depth in range(2):
            tester.eq(
                rnnliboutput[0][depth][time - 1],
                cudnnoutput[0][0][depth],
                tol
            )
        # Check output.
        tester.eq(rnnliboutput[1][1], cudnnoutput[1][0], tol)

        tester.eq(lg.cat(cudnnoutput[1][0]).eq(0.5).sum(), time, tol)

    @cudnntest
    def testSimpleGRU():
        ins, nhid, time = 1, 1, 1

        rnnlibm = (rnnlib.makeRecurrent(cell.GRU, ins, {1: nhid, 2: nhid})
                   .cuda())
        p = rnnlibm.parameters()[0]
        p[0].fill(2 * (math.atanh(0.5) - 0.5))
        p[1].fill(1)
        p[2].fill(2 * (math.atanh(0.5) - 0.5))
        p[3].fill(1)

        hids = {0: ins, 1: nhid, 2: nhid}
        cudnnm = WrappedCudnnRnn(rnnlibm, "GRU", hids, True)

        hid = rnnlibm.initializeHidden(1)
        hid[0].fill(0.5)
        hid[1].fill(0.5)
        cudnninput = lg.CudaTensor(time, 1, ins).fill(0.5)
        rnnlibinput = cudnninput.split(1)
        for i in range(len(rnnlibinput)):
            rnnlibinput[i] = rnnlibinput[i].view(1, -1)
        rnnlibinput = [hid, rnnlibinput]

        cudnnHiddenInput = lg.CudaTensor(2, 1, nhid)
        cudnnHiddenInput[0].copy(hid[0].view(1, 1, nhid))
        cudnnHiddenInput[1].copy(hid[1].view(1, 1, nhid))

        cudnninput = [[cudnnHiddenInput], cudnninput.split(1)]

        rnnlibm.cuda()
        cudnnm.cuda()

        rnnliboutput = rnnlibm.forward(rnnlibinput)
        cudnnoutput = cudnnm.forward(cudnninput)

        # Check hiddens.
        for depth in range(2):
            tester.eq(rnnliboutput[0][depth][time - 1],
                      cudnnoutput[0][0][depth], tol)
        # Check output.
        tester.eq(rnnliboutput[1][1], cudnnoutput[1][0], tol)

    return cudnntest
