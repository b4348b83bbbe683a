"""seq2seq.torch's Seq2Seq.lua: an encoder container whose recurrent state seeds one or more decoders; ``learn``
runs the training epoch (MaskPaddingCriterion over each decoder's next-word targets, the gradient state passed
back from the decoders to the encoder, the gradient norm clipped at 5).

``self:sequence()``, ``self:forget()``, ``self:setIterations(n)``, ``self:zeroGradState()``,
``encoderModel:getState()``, ``decoderModels[m]:setState(state)``, ``encoderModel:accGradState(g)`` are the
methods recurrent.torch's init.lua adds to nn.Container: the port's functions (docs/porting.md's row), called
with the container first. ``yt[m]:ne(0)``, a mask of every 1-based id (none is 0, so it changes nothing), is
``yt[m].ne(-1)`` with 0-based ids, where 0 is <PAD> (docs/porting.md's neuralconvo row)."""
import math

import legonn as lg
from legonn import dok, nn, optim, xlua

from .. import recurrent_torch as recurrent


class Seq2Seq(nn.Container):
    lua_package = None

    def __init__(self, *args, **kwargs):
        super().__init__()
        args = dok.unpack(
            args or kwargs,
            'Seq2Seq',
            'Initializes a Seq2Seq ',
            {'arg': 'encoder', 'type': 'table', 'help': 'encoder model'},
            {'arg': 'maxLength', 'type': 'number', 'help': 'maximum sequence length', 'default': 50},
            {'arg': 'batchSize', 'type': 'number', 'help': 'batch size used', 'default': 32},
            {'arg': 'criterion', 'type': 'userdata', 'help': 'criterion used to evaluate',
             'default': nn.CrossEntropyCriterion()},
            {'arg': 'optimFunc', 'type': 'function', 'help': 'optimization function', 'default': optim.adam},
            {'arg': 'optimState', 'type': 'table', 'help': 'optimization config', 'default': {}}
        )[0]
        self.batchSize = args['batchSize']
        self.optimFunc = args['optimFunc']
        self.optimState = args['optimState']
        self.encoderModel = args['encoder']
        self.maxLength = args['maxLength']
        self.decoderModels = []
        self.criterion = args['criterion']
        self.modules = []
        self.params = None   # read as nil by flattenParameters
        super().add(self.encoderModel)

    def flattenParameters(self):
        if self.params is None:
            self.params = [*self.getParameters()]

    def addDecoder(self, model):
        num = len(self.decoderModels)
        self.decoderModels.append(model)   # self.decoderModels[num] (docs/porting.md's t[#t + 1] row)
        super().add(model)
        return self

    def encode(self, input):
        return self.encoderModel.forward(input)

    def forward(self, inputEncoder, inputsDecoders):
        self.encoderModel.forward(inputEncoder)
        state = recurrent.getState(self.encoderModel)
        output = []
        for m in range(len(self.decoderModels)):
            recurrent.setState(self.decoderModels[m], state)
            output.append(self.decoderModels[m].forward(inputsDecoders[m]))
        return output

    def backward(self, inputEncoder, inputsDecoders, gradDecoders):
        gradEncoder = self.encoderModel.output.zero()
        for m in range(len(self.decoderModels)):
            self.decoderModels[m].backward(inputsDecoders[m], gradDecoders[m])
            decoderGradState = recurrent.getGradState(self.decoderModels[m])
            recurrent.accGradState(self.encoderModel, decoderGradState)
        return self.encoderModel.backward(inputEncoder, gradEncoder)

    # --------------------------------------------------------------------
    def evaluate(self, encodedSeq, decodedSeqs, train=None):
        # input is of form {data, model, vocab}, {data, model, vocab},...
        # data is ordered batches X batchSize X smpLength
        seqCriterion = recurrent.MaskPaddingCriterion(self.criterion)
        shuffle = False
        if train:
            shuffle = encodedSeq.preprocess
            self.training()
            self.flattenParameters()
        maxLength = self.maxLength
        recurrent.sequence(self)
        recurrent.forget(self)
        recurrent.setIterations(self, maxLength)

        encodedSeq.reset()

        for m in range(len(decodedSeqs)):
            decodedSeqs[m].reset()
            assert decodedSeqs[m].size() == encodedSeq.size()
        numBatches = math.floor((encodedSeq.size() - 1) / self.batchSize)
        numSamples = 1
        lossVals = lg.FloatTensor(len(self.decoderModels)).zero()
        randIndexes = lg.LongTensor().randperm(encodedSeq.size())

        for b in range(numBatches):
            xEncoded = None
            x = []
            yt = []
            currLoss = 0
            if shuffle:
                xEncoded = encodedSeq.getIndexes(randIndexes.narrow(0, numSamples - 1, self.batchSize))
            else:
                # :getIndexes(randIndexes:narrow(1, numSamples, self.batchSize))
                xEncoded = encodedSeq.getBatch(self.batchSize)
            for m in range(len(self.decoderModels)):
                seq = None
                if shuffle:
                    seq = decodedSeqs[m].getIndexes(randIndexes.narrow(0, numSamples - 1, self.batchSize))
                else:
                    seq = decodedSeqs[m].getBatch(self.batchSize)
                x.append(seq.sub(0, -1, 0, -2))
                yt.append(seq.sub(0, -1, 1, -1))
            y = self.forward(xEncoded, x)

            for m in range(len(self.decoderModels)):
                seqCriterion.setPadding(decodedSeqs[m].vocab.pad())
                currLoss = seqCriterion.forward(y[m], yt[m])
                lossVals[m] = lossVals[m] + currLoss  # / self.maxLength
            # ----Training -> backpropagation
            if train:
                weights, gradients = self.params

                def f_eval(*_):
                    recurrent.zeroGradState(self)
                    self.zeroGradParameters()
                    dE_dy = []
                    for m in range(len(self.decoderModels)):
                        seqCriterion.setPadding(decodedSeqs[m].vocab.pad())
                        dE_dy.append(seqCriterion.backward(y[m], yt[m]))
                        dE_dy[m].cmul(yt[m].ne(-1).view(yt[m].size(0), yt[m].size(1), 1).expandAs(dE_dy[m]))
                        # print('dE')
                    self.backward(xEncoded, x, dE_dy)

                    # Gradient clipping (actually normalizing)
                    norm = gradients.norm()
                    if norm > 5:
                        shrink = 5 / norm
                        gradients.mul(shrink)

                    return currLoss, gradients

                self.optimFunc(f_eval, weights, self.optimState)

            numSamples = numSamples + self.batchSize

            xlua.progress(numSamples - 1 - 1, encodedSeq.size())   # 0-based t (docs/porting.md's xlua row)

        xlua.progress(encodedSeq.size() - 1, encodedSeq.size())
        lossVals.div(numBatches)
        return lossVals[0]

    # ------------------------------
    def learn(self, encodedSeq, decodedSeqs):
        return self.evaluate(encodedSeq, decodedSeqs, True)
