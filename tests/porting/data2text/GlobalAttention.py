"""onmt/modules/GlobalAttention.lua of harvardnlp/data2text: OpenNMT's early ``general`` attention,
(h_t: batch x dim, H: batch x n x dim) -> tanh(W_2 [softmax((W_1 h_t) H) H; h_t]), with data2text's two options:
``tanhQuery`` (tanh(W_1 h_t) as the query) and ``returnAttnScores`` (also output the scores before the softmax,
batch x n)."""
from legonn import nn


class GlobalAttention(nn.Container):
    lua_package = 'onmt'

    def __init__(self, dim, returnAttnScores=None, tanhQuery=None):
        super().__init__()
        self.returnAttnScores = returnAttnScores
        self.tanhQuery = tanhQuery
        self.net = self._buildModel(dim)
        self.add(self.net)

    def _buildModel(self, dim):
        inputs = [nn.Identity()(), nn.Identity()()]
        targetT = nn.Linear(dim, dim, False)(inputs[0])   # batchL x dim
        if self.tanhQuery:
            targetT = nn.Tanh()(targetT)
        context = inputs[1]   # batchL x sourceTimesteps x dim
        # Get attention.
        attn = nn.MM()([context, nn.Replicate(1, 2)(targetT)])   # batchL x sourceL x 1
        attn = nn.Sum(2)(attn)
        softmaxAttn = nn.SoftMax()
        softmaxAttn.name = 'softmaxAttn'
        attnDist = softmaxAttn(attn)
        attnDist = nn.Replicate(1, 1)(attnDist)   # batchL x 1 x sourceL
        # Apply attention to context.
        contextCombined = nn.MM()([attnDist, context])   # batchL x 1 x dim
        contextCombined = nn.Sum(1)(contextCombined)   # batchL x dim
        contextCombined = nn.JoinTable(1)([contextCombined, inputs[0]])   # batchL x dim*2
        contextOutput = nn.Tanh()(nn.Linear(dim * 2, dim, False)(contextCombined))
        outputs = [contextOutput]
        if self.returnAttnScores:
            outputs.append(attn)
        return nn.gModule(inputs, outputs)

    def updateOutput(self, input):
        self.output = self.net.updateOutput(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        return self.net.accGradParameters(input, gradOutput, scale)
