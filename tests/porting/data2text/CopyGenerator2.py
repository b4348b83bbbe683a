"""onmt/modules/CopyGenerator2.lua of harvardnlp/data2text, the joint copy model's generator: {decoder output
(batch x rnnSize), context (batch x n x rnnSize), last LSTM state (batch x rnnSize), source word ids (batch x n)} ->
{log p(w) (batch x V)}, where one softmax over the V word scores and the n copy scores (the attention of a
Linear of the state over the context) gives p(w, copy = z), marginalised over z (CIndexAddTo)."""
from legonn import nn

from .CIndexAddTo import CIndexAddTo


class CopyGenerator2(nn.Container):
    lua_package = 'onmt'

    def __init__(self, rnnSize, outputSize, tanhQuery=None, doubleOutput=None):
        super().__init__()
        self.net = self._buildGenerator(rnnSize, outputSize, tanhQuery, doubleOutput)
        self.add(self.net)
        self.outputSize = outputSize

    def _buildGenerator(self, rnnSize, outputSize, tanhQuery, doubleOutput):
        tstate = nn.Identity()()   # attnlayer (numEffectiveLayers+1)
        context = nn.Identity()()
        pstate = nn.Identity()()
        srcIdxs = nn.Identity()()
        # get unnormalized attn scores
        qstate = nn.Narrow(1, rnnSize, rnnSize)(pstate) if doubleOutput else pstate
        targetT = nn.Linear(rnnSize, rnnSize)(qstate)
        if tanhQuery:
            targetT = nn.Tanh()(targetT)
        attn = nn.MM()([context, nn.Replicate(1, 2)(targetT)])   # batchL x sourceL x 1
        attn = nn.Sum(2)(attn)   # batchL x sourceL
        # concatenate with regular output shit
        regularOutput = nn.Linear(rnnSize, outputSize)(tstate)
        catDist = nn.SoftMax()(nn.JoinTable(1)([regularOutput, attn]))
        rulDist = nn.Narrow(1, 0, outputSize)(catDist)
        ptrDist = nn.Narrow(1, outputSize, -1)(catDist)
        logmarginals = nn.Log()(CIndexAddTo()([rulDist, ptrDist, srcIdxs]))
        inputs = [tstate, context, pstate, srcIdxs]
        return nn.gModule(inputs, [logmarginals])

    def updateOutput(self, input):
        self.output = [self.net.updateOutput(input)]
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput[0])
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.net.accGradParameters(input, gradOutput[0], scale)
