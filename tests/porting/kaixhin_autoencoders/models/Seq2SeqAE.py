"""models/Seq2SeqAE.lua of Kaixhin/Autoencoders (MIT licence, Kai Arulkumaran), ported line by line
(``require 'rnn'``: rnn's SeqLSTM and Sequencer are in legonn's nn). The ``self.autoencoder`` table of functions is
a namespace whose functions are bound to it, as Lua's ``function self.autoencoder:f()`` binds ``self``.

The decoder's input is the target sequence shifted one row on (teacher forcing),
``decInSeq[{{}, {2, n}, {}}] = decInSeq[{{}, {1, n - 1}, {}}]``: source and destination overlap. Torch7 copies
element by element in memory order (THTensorCopy.c's TH_TENSOR_APPLY2), so every row it writes is read again
after being overwritten, and rows 2..n all become row 1 (then row 1 is zeroed); legonn copies as NumPy does, as
if through a copy of the source, the shift the comment means (docs/porting.md's overlapping-copy row).
"""
import types

import legonn as lg
from legonn import nn


class _Model:
    cellSizes = [256, 256]  # Number of LSTM cells
    encLSTMs = []
    decLSTMs = []

    # Copy encoder cell and output to decoder LSTM
    def forwardConnect(self):
        for l in range(len(Model.decLSTMs)):
            Model.decLSTMs[l].userPrevOutput = Model.encLSTMs[l].output[self.seqLen - 1]
            Model.decLSTMs[l].userPrevCell = Model.encLSTMs[l].cell[self.seqLen - 1]

    # Copy decoder gradients to encoder LSTM
    def backwardConnect(self):
        for l in range(len(Model.encLSTMs)):
            Model.encLSTMs[l].userNextGradCell = Model.decLSTMs[l].userGradPrevCell
            Model.encLSTMs[l].gradPrevOutput = Model.decLSTMs[l].userGradPrevOutput

    def createAutoencoder(self, X):
        featureSize = X.size(1) * X.size(2)
        self.seqLen = X.size(1)  # Treat rows as a sequence

        # Create encoder
        self.encoder = nn.Sequential()
        self.encoder.add(nn.Transpose([0, 1]))  # Transpose to seqlen x batch
        for l in range(len(Model.cellSizes)):
            inputSize = X.size(2) if l == 0 else Model.cellSizes[l - 1]
            if l < len(self.encLSTMs):
                self.encLSTMs[l] = nn.SeqLSTM(inputSize, Model.cellSizes[l])
            else:
                self.encLSTMs.append(nn.SeqLSTM(inputSize, Model.cellSizes[l]))
            self.encoder.add(self.encLSTMs[l])

        # Create decoder
        self.decoder = nn.Sequential()
        self.decoder.add(nn.Transpose([0, 1]))  # Transpose to seqlen x batch
        for l in range(len(Model.cellSizes)):
            inputSize = X.size(2) if l == 0 else Model.cellSizes[l - 1]
            lstm = nn.SeqLSTM(inputSize, Model.cellSizes[l]).remember('eval')  # Retain hidden state on consecutive calls to forward during evaluation
            if l < len(self.decLSTMs):
                self.decLSTMs[l] = lstm
            else:
                self.decLSTMs.append(lstm)
            self.decoder.add(self.decLSTMs[l])
        self.decoder.add(nn.Sequencer(nn.Linear(Model.cellSizes[len(Model.cellSizes) - 1], X.size(2))))  # Reconstruct columns
        self.decoder.add(nn.Transpose([0, 1]))  # Transpose back to batch x seqlen
        self.decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)

        # Create dummy container for getParameters (no other way to combine storage pointers)
        self.dummyContainer = nn.Sequential()
        self.dummyContainer.add(self.encoder)
        self.dummyContainer.add(self.decoder)

        # Create autoencoder wrapper
        self.autoencoder = types.SimpleNamespace(parent=self)

        # Create CUDA wrapper
        def cuda(self):
            self.parent.encoder.cuda()
            self.parent.decoder.cuda()
        self.autoencoder.cuda = types.MethodType(cuda, self.autoencoder)

        # Create replace wrapper
        def replace(self, fn):
            self.parent.dummyContainer.replace(fn)
        self.autoencoder.replace = types.MethodType(replace, self.autoencoder)

        # Create getParameters wrapper
        def getParameters(self):
            return self.parent.dummyContainer.getParameters()
        self.autoencoder.getParameters = types.MethodType(getParameters, self.autoencoder)

        # Create training wrapper
        def training(self):
            self.parent.encoder.training()
            self.parent.decoder.training()
        self.autoencoder.training = types.MethodType(training, self.autoencoder)

        # Create evaluate wrapper
        def evaluate(self):
            self.parent.encoder.evaluate()
            self.parent.decoder.evaluate()
        self.autoencoder.evaluate = types.MethodType(evaluate, self.autoencoder)

        # Create forward wrapper
        def forward(self, x):
            encOut = self.parent.encoder.forward(x)
            self.parent.forwardConnect()

            # Use target vector in training, sample from self in evaluate
            if self.parent.decoder.train:
                # Shift decoder input sequence by one step forward
                decInSeq = x.clone()
                decInSeq[:, 1:x.size(1), :] = decInSeq[:, 0:x.size(1) - 1, :]
                decInSeq[:, 0:1, :].zero()  # Start from vector of zeros
                return self.parent.decoder.forward(decInSeq)
            else:
                decOut = lg.zeros(x.size()).typeAs(x)
                decOutPartial = lg.zeros(x.size(0), 1, x.size(2)).typeAs(x)  # Start from vector of zeros

                # Feed outputs back into self
                self.parent.decoder.forget()  # Clear hidden state
                for t in range(self.parent.seqLen):
                    decOutPartial = self.parent.decoder.forward(decOutPartial)
                    decOut[:, t:t + 1, :] = decOutPartial
                return decOut
        self.autoencoder.forward = types.MethodType(forward, self.autoencoder)

        # Create backward wrapper
        def backward(self, x, gradLoss):
            # Shift decoder input sequence by one step forward
            decInSeq = x.clone()
            decInSeq[:, 1:x.size(1), :] = decInSeq[:, 0:x.size(1) - 1, :]
            decInSeq[:, 0:1, :].zero()
            self.parent.decoder.backward(decInSeq, gradLoss)
            self.parent.backwardConnect()

            zeroTensor = lg.Tensor(x.size(1), x.size(0), Model.cellSizes[len(Model.cellSizes) - 1]).typeAs(x)  # seqlen x batch
            return self.parent.encoder.backward(x, zeroTensor)
        self.autoencoder.backward = types.MethodType(backward, self.autoencoder)


Model = _Model()
