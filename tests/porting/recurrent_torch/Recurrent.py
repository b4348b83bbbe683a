"""recurrent.torch's Recurrent.lua: ``nn.RecurrentContainer``, which clones a step module ``{input, state} ->
{output, state}`` once per time step (weights shared) and runs backprop through time over the clones."""
import legonn as lg
from legonn import nn

from . import utils


class RecurrentContainer(nn.Container):

    def __init__(self, recurrentModule=None):
        super().__init__()
        self.modules = [nn.Sequential()]
        self.state = lg.Tensor()
        self.gradState = lg.Tensor()
        self.initState = lg.Tensor()
        self.stateful = True
        self.currentIteration = 1          # a count of steps run (1 = none yet), as in the Lua
        self.seqMode = False
        self.batchSize = 1
        self.name = None                   # Lua reads the unset field as nil (docs/porting.md's `if x then` row)
        self.setTimeDim(1)
        if recurrentModule is not None:
            self.add(recurrentModule)

    def setTimeDim(self, timeDim):  # mode can be 'sequence' or 'single'
        self.timeDimension = timeDim
        self.splitInput = nn.SplitTable(self.timeDimension)
        self.joinOutput = nn.JoinTable(self.timeDimension)
        return self

    def setMode(self, mode):  # mode can be 'sequence' or 'single'
        assert mode == 'sequence' or mode == 'single'
        self.seqMode = (mode == 'sequence')
        return self

    def isStateful(self, mode):
        self.stateful = mode
        return self

    def single(self):
        return self.setMode('single')

    def sequence(self):
        return self.setMode('sequence')

    def setIterations(self, iterations, clear=None):
        start = 1
        if clear:
            self.modules = [self.modules[0]]
        else:
            start = len(self.modules)
        for i in range(start, iterations):
            # Lua's self.modules[i] = ... one past the end appends (docs/porting.md's t[#t + 1] row)
            self.modules.append(self.modules[0].clone('weight', 'bias', 'gradWeight', 'gradBias', 'running_mean',
                                                      'running_std', 'running_var'))

    def add(self, m, forwardStateModule=None):
        if lg.type(m) == 'table' and (m.get('rnnModule') is not None) and (m.get('initState') is not None):
            self.setState(m['initState'])
            self.name = m.get('name')
            m = m['rnnModule']
        elif forwardStateModule:  # will forward the state as is (useful for output projection)
            self.name = (self.name) and self.name + ' -> ' + lg.tostring(m)
            m = nn.ParallelTable().add(m).add(nn.Identity())

        self.modules[0].add(m)
        self.gradInput = self.modules[0].gradInput
        self.output = self.modules[0].output
        self.setIterations(len(self.modules), True)
        return self

    def insert(self, m, i=None):
        self.modules[0].insert(m, i)
        self.setIterations(len(self.modules), True)

    def remove(self, m=None, i=None):
        # Sequential:remove(index) reads one argument; Lua drops the second (docs/porting.md's torch.class row)
        self.modules[0].remove(m)
        self.setIterations(len(self.modules), True)

    def setState(self, state, batchSize=None):
        if batchSize:
            # the Lua keeps the first of the two results (docs/porting.md's multiple-results row)
            self.state = utils.recursiveBatchExpand(self.state, state, batchSize)[0]
        else:
            self.state = utils.recursiveCopy(self.state, state)[0]

    def getState(self):
        return self.state

    def resizeStateBatch(self, batchSize):
        if self.batchSize == batchSize:
            return
        self.initState = utils.recursiveBatchResize(self.initState, batchSize)
        self.state = utils.recursiveBatchResize(self.state, batchSize)
        self.gradState = nn.utils.recursiveResizeAs(self.gradState, self.state)[0]
        self.batchSize = batchSize

    def setGradState(self, gradState):
        self.gradState = utils.recursiveCopy(self.gradState, gradState)[0]

    def accGradState(self, gradState):
        self.gradState = utils.recursiveAdd(self.gradState, gradState)[0]

    def getGradState(self):
        return self.gradState

    def zeroGradState(self):
        nn.utils.recursiveFill(self.gradState, 0)

    def zeroState(self):
        nn.utils.recursiveFill(self.state, 0)
        self.zeroGradState()

    def forget(self, release=None):
        self.currentIteration = 1
        self.setIterations(1, release)

    def __updateOneTimeStep(self, input):
        if self.currentIteration == 1:
            self.initState = utils.recursiveCopy(self.initState, self.state)[0]
        if self.currentIteration > len(self.modules):
            self.setIterations(self.currentIteration)
        self.resizeStateBatch(input.size(0))
        currentOutput = self.modules[self.currentIteration - 1].forward([input, self.state])
        self.currentIteration = self.currentIteration + 1
        return currentOutput[0], currentOutput[1]

    def updateOutput(self, input):
        assert lg.type(self.state) == 'table' or self.state.dim() > 0, "State must be initialized"
        if not self.train:
            self.forget()
        if not self.stateful:
            self.zeroState()

        currentOutput = None

        if not self.seqMode:
            self.output, self.state = self.__updateOneTimeStep(input)
        else:  # sequence mode
            output = []
            __input = input
            if lg.isTensor(input):  # split a time tensor into table
                __input = self.splitInput.forward(input)

            if len(__input) + self.currentIteration - 1 > len(self.modules):
                self.setIterations(len(__input) + self.currentIteration - 1)

            for i in range(len(__input)):
                out, self.state = self.__updateOneTimeStep(__input[i])
                output.append(out)

            if lg.isTensor(input):  # join a table into a time tensor
                for i in range(len(output)):
                    output[i] = nn.utils.addSingletonDimension(output[i], self.timeDimension)
                output = self.joinOutput.forward(output)
            self.output = output

        self.zeroGradState()

        return self.output

    def __backwardOneStep(self, input, gradOutput, scale):
        self.currentIteration = self.currentIteration - 1
        currentModule = self.modules[self.currentIteration - 1]
        previousState = self.initState

        if self.currentIteration > 1:
            previousState = self.modules[self.currentIteration - 2].output[1]
        currentModule.backward([input, previousState], [gradOutput, self.gradState], scale)

        return currentModule.gradInput[0], currentModule.gradInput[1]

    def backward(self, input, gradOutput, scale=None):
        assert self.train, "must be in training mode"

        scale = scale or 1
        if not self.seqMode:
            self.gradInput, self.gradState = self.__backwardOneStep(input, gradOutput, scale)
        else:
            __input = input
            if lg.isTensor(input):  # split a time tensor into table
                __input = self.splitInput.forward(input)
                # Torch7's modules take each batch x 1 x H slice for a step's batch x H output (ConcatTable and
                # CMulTable copy and add by element count); legonn refuses a gradOutput of another shape than the
                # output (docs/porting.md's row): each slice viewed as the step's output
                gradOutput = [g.squeeze(self.timeDimension) for g in gradOutput.split(1, self.timeDimension)]
            gradInput = [None] * len(__input)  # filled from the end (docs/porting.md's t[#t + 1] row)

            for i in range(len(__input) - 1, -1, -1):
                gradInput[i], self.gradState = self.__backwardOneStep(__input[i], gradOutput[i], scale)

            if lg.isTensor(input):  # join a table into a time tensor
                gradInput = self.splitInput.backward(input, gradInput)
            self.gradInput = gradInput
        return self.gradInput

    def zeroGradParameters(self):
        self.modules[0].zeroGradParameters()

    def updateParameters(self, learningRate):
        self.modules[0].updateParameters(learningRate)

    def clone(self, *args):
        m = RecurrentContainer(self.modules[0].clone(*args))
        m.setState(self.getState())
        m.setGradState(self.getGradState())
        m.name = self.name
        return m

    def share(self, m, *args):
        return self.modules[0].share(m.modules[0], *args)

    def reset(self, stdv=None):
        self.zeroState()
        self.zeroGradState()
        self.modules[0].reset(stdv)

    def parameters(self):
        return self.modules[0].parameters()

    def training(self):
        super().training()
        self.forget()
        return self

    def evaluate(self):
        super().evaluate()
        self.forget()
        return self

    def type(self, t=None, tensorCache=None):
        tensorCache = tensorCache or {}
        super().type(t, tensorCache)
        return self

    def clearState(self):
        self.setIterations(1, True)
        self.resizeStateBatch(1)
        self.splitInput.clearState()
        self.joinOutput.clearState()
        nn.utils.clear(self, ['gradState', 'initState'])
        return super().clearState()

    def __tostring__(self):
        tab = '  '
        line = '\n'
        next = ' -> '
        return self.name or 'nn.RecurrentContainer {' + line + self.modules[0].__tostring__() + line + '}'


lg.register(RecurrentContainer)   # as torch.class does, for lg.load (docs/porting.md)
