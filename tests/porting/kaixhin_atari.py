"""Kaixhin/Atari ported line by line (the shared code of tests/porting/test_kaixhin_atari.py): the user modules
(modules/GradientRescale.lua, GuidedReLU.lua, DeconvnetReLU.lua, MinDim.lua, HuberCriterion.lua, DuelAggregator.lua,
rmspropm.lua, sharedRmsProp.lua), the model bodies (models/Atari.lua, Atari2013.lua, Catch.lua,
examples/GridWorldNet.lua), Model.lua (``_init``, ``preprocess`` without the colour space, ``create`` with every
head: plain, dueling, bootstrapped, A3C, DRQN's SeqLSTM, the async FastLSTM; ``setSaliency``, ``salientBackprop``,
``normalBackprop``), structures/CircularQueue.lua, Singleton.lua and BinaryHeap.lua, Experience.lua (uniform and
rank-based prioritised sampling; the 'proportional' branch is empty in the Lua too), Agent.lua (``_init`` without
the plots, ``training``, ``evaluate``, ``observe``, ``learn`` with double Q, persistent advantage learning and TD
clipping, ``optimise``, ``validate`` without its figures, ``saveWeights``/``loadWeights``) and the async agents
(async/AsyncAgent.lua, QAgent.lua, OneStepQAgent.lua, SarsaAgent.lua, NStepQAgent.lua, A3CAgent.lua) with
AsyncMaster.lua's hogwild pool on legonn.threads (without its validation agent, logging and SIGINT handler).
``classic.class`` classes become Python classes, ``log.info`` goes.

Indices are 0-based: actions ``0 .. m-1`` (Lua's ``1 .. m``, so ``actionOffset`` is ``-first``, not
``1 - first``), memory slots ``0 .. capacity-1``, the bootstrap head ``0 .. heads-1``, dimensions shifted.
"""
import math

import legonn as lg
from legonn import nn, nninit, optim, paths, tds, threads


# modules/GradientRescale.lua
class GradientRescale(nn.Module):
    def __init__(self, scaleFactor, inplace=None):
        super().__init__()
        self.scaleFactor = scaleFactor
        self.inplace = inplace

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.inplace:
            self.gradInput = gradOutput
        else:
            self.gradInput.resizeAs(gradOutput)
            self.gradInput.copy(gradOutput)
        self.gradInput.mul(self.scaleFactor)
        return self.gradInput


# modules/GuidedReLU.lua
class GuidedReLU(nn.ReLU):
    def __init__(self, p=None):
        super().__init__(p)
        self.guide = False

    def updateOutput(self, input):
        return super().updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        super().updateGradInput(input, gradOutput)
        if self.guide:
            # Only backpropagate positive error signals
            self.gradInput.cmul(lg.gt(gradOutput, 0).typeAs(gradOutput))
        return self.gradInput

    def salientBackprop(self):
        self.guide = True

    def normalBackprop(self):
        self.guide = False


# modules/DeconvnetReLU.lua
class DeconvnetReLU(nn.ReLU):
    def __init__(self, p=None):
        super().__init__(p)
        self.deconv = False

    def updateOutput(self, input):
        return super().updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        if self.deconv:
            # Backpropagate all positive error signals (irrelevant of positive inputs)
            if self.inplace:
                self.gradInput = gradOutput
            else:
                self.gradInput.resizeAs(gradOutput).copy(gradOutput)
            self.gradInput.cmul(lg.gt(gradOutput, 0).typeAs(gradOutput))
        else:
            super().updateGradInput(input, gradOutput)
        return self.gradInput

    def salientBackprop(self):
        self.deconv = True

    def normalBackprop(self):
        self.deconv = False


# modules/MinDim.lua
def _assertTensor(t):
    assert lg.isTensor(t), "This module only works on tensor"


class MinDim(nn.Module):
    def __init__(self, pos, minInputDims):
        super().__init__()
        if pos is None:
            raise ValueError('the position to insert singleton dim not specified')
        self.pos = pos
        self.setMinInputDims(minInputDims)

    def setMinInputDims(self, numInputDims):
        self.numInputDims = numInputDims
        return self

    def updateOutput(self, input):
        _assertTensor(input)
        self.output = input
        if input.dim() < self.numInputDims:
            nn.utils.addSingletonDimension(self.output, input, self.pos)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _assertTensor(input)
        _assertTensor(gradOutput)
        assert input.nElement() == gradOutput.nElement()
        self.gradInput.view(gradOutput, input.size())
        return self.gradInput


# modules/HuberCriterion.lua
class HuberCriterion(nn.Criterion):
    def __init__(self, delta=None):
        super().__init__()
        self.delta = delta if delta is not None else 1   # Boundary
        self.alpha = lg.Tensor()                          # Residual

    def updateOutput(self, input, target):
        # Calculate residual
        self.alpha = target - input
        self.absAlpha = lg.abs(self.alpha)
        self.diffAlpha = lg.cmin(self.absAlpha, self.delta)
        self.output = lg.cmul(self.diffAlpha, self.absAlpha.mul(2).add(-self.diffAlpha)).mul(0.5).mean()
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput.resizeAs(target)
        self.gradInput = self.alpha.sign().cmul(self.diffAlpha)
        return self.gradInput


# modules/DuelAggregator.lua
def DuelAggregator(m):
    aggregator = nn.Sequential()
    aggParallel = nn.ParallelTable()
    # Advantage duplicator (for calculating and subtracting mean)
    advDuplicator = nn.Sequential()
    advConcat = nn.ConcatTable()
    advConcat.add(nn.Identity())
    # Advantage mean duplicator
    advMeanDuplicator = nn.Sequential()
    advMeanDuplicator.add(nn.Mean(0, 1))
    advMeanDuplicator.add(nn.Replicate(m, 1, 2))
    advConcat.add(advMeanDuplicator)
    advDuplicator.add(advConcat)
    # Subtract mean from advantage values
    advDuplicator.add(nn.CSubTable())
    # Add value and advantage duplicators
    aggParallel.add(nn.Replicate(m, 1, 2))
    aggParallel.add(advDuplicator)
    # Calculate Q^ = V^ + A^
    aggregator.add(aggParallel)
    aggregator.add(nn.CAddTable())
    return aggregator


# modules/rmspropm.lua: RMSProp with momentum as found in "Generating Sequences With Recurrent Neural Networks"
def rmspropm(opfunc, x, config=None, state=None):
    config = config if config is not None else {}
    state = state if state is not None else config
    lr = config.get('learningRate', 1e-2)
    momentum = config.get('momentum', 0.95)
    epsilon = config.get('epsilon', 0.01)
    fx, dfdx = opfunc(x)
    if state.get('g') is None:
        state['g'] = lg.Tensor().typeAs(x).resizeAs(dfdx).zero()
        state['gSq'] = lg.Tensor().typeAs(x).resizeAs(dfdx).zero()
        state['tmp'] = lg.Tensor().typeAs(x).resizeAs(dfdx)
    state['g'].mul(momentum).add(1 - momentum, dfdx)               # g = αg + (1 - α)df/dx
    state['tmp'].cmul(dfdx, dfdx)                                   # tmp = df/dx . df/dx
    state['gSq'].mul(momentum).add(1 - momentum, state['tmp'])     # gSq = αgSq + (1 - α)df/dx
    state['tmp'].cmul(state['g'], state['g'])                       # tmp = g . g
    state['tmp'].neg().add(state['gSq']).add(epsilon).sqrt()        # tmp = (-tmp + gSq + ε)^0.5
    x.addcdiv(-lr, dfdx, state['tmp'])                              # x = x - lr x df/dx / tmp
    return x, [fx]


# modules/sharedRmsProp.lua
def sharedRmsProp(opfunc, x, config=None, state=None):
    config = config if config is not None else {}
    state = state if state is not None else config
    lr = config.get('learningRate', 1e-2)
    momentum = config.get('momentum', 0.95)
    epsilon = config.get('rmsEpsilon', 0.01)
    fx, dfdx = opfunc(x)
    if state.get('g') is None:
        state['g'] = lg.Tensor().typeAs(x).resizeAs(dfdx).zero()
    if state.get('tmp') is None:
        state['tmp'] = lg.Tensor().typeAs(x).resizeAs(dfdx)
    state['g'].mul(momentum).addcmul(1 - momentum, dfdx, dfdx)
    state['tmp'].copy(state['g']).add(epsilon).sqrt()
    x.addcdiv(-lr, dfdx, state['tmp'])
    return x, [fx]


optim.rmspropm = rmspropm            # the Lua files add them to the optim table
optim.sharedRmsProp = sharedRmsProp


# models/*.lua and examples/GridWorldNet.lua: the network bodies, by the name Model.lua requires
class AtariBody:
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}
        self.recurrent = opts.recurrent
        self.histLen = opts.histLen
        self.stateSpec = opts.stateSpec

    def createBody(self):
        # Number of input frames for recurrent networks is always 1
        histLen = 1 if self.recurrent else self.histLen
        net = nn.Sequential()
        # Concatenate history in channel dimension
        net.add(nn.View(histLen * self.stateSpec[1][0], self.stateSpec[1][1], self.stateSpec[1][2]))
        net.add(nn.SpatialConvolution(histLen * self.stateSpec[1][0], 32, 8, 8, 4, 4, 1, 1))
        net.add(nn.ReLU(True))
        net.add(nn.SpatialConvolution(32, 64, 4, 4, 2, 2))
        net.add(nn.ReLU(True))
        net.add(nn.SpatialConvolution(64, 64, 3, 3, 1, 1))
        net.add(nn.ReLU(True))
        return net


class Atari2013Body(AtariBody):
    def createBody(self):
        histLen = 1 if self.recurrent else self.histLen
        net = nn.Sequential()
        net.add(nn.View(histLen * self.stateSpec[1][0], self.stateSpec[1][1], self.stateSpec[1][2]))
        net.add(nn.SpatialConvolution(histLen * self.stateSpec[1][0], 16, 8, 8, 4, 4, 1, 1))
        net.add(nn.ReLU(True))
        net.add(nn.SpatialConvolution(16, 32, 4, 4, 2, 2))
        net.add(nn.ReLU(True))
        return net


class CatchBody(AtariBody):
    def createBody(self):
        histLen = 1 if self.recurrent else self.histLen
        net = nn.Sequential()
        net.add(nn.View(histLen * self.stateSpec[1][0], self.stateSpec[1][1], self.stateSpec[1][2]))
        net.add(nn.SpatialConvolution(histLen * self.stateSpec[1][0], 32, 5, 5, 2, 2, 1, 1))
        net.add(nn.ReLU(True))
        net.add(nn.SpatialConvolution(32, 32, 5, 5, 2, 2))
        net.add(nn.ReLU(True))
        return net


class GridWorldNetBody:
    def __init__(self, opts=None):
        opts = opts if opts is not None else {}

    def createBody(self):
        net = nn.Sequential()
        net.add(nn.View(2))
        net.add(nn.Linear(2, 32))
        net.add(nn.ReLU(True))
        return net


BODIES = {'models.Atari': AtariBody, 'models.Atari2013': Atari2013Body, 'models.Catch': CatchBody,
          'examples.GridWorldNet': GridWorldNetBody}


# Model.lua
class Model:
    def __init__(self, opt):
        # Extract relevant options
        self.tensorType = opt['tensorType']
        self.gpu = opt['gpu']
        self.cudnn = opt['cudnn']
        self.colorSpace = opt['colorSpace']
        self.width = opt['width']
        self.height = opt['height']
        self.modelBody = opt['modelBody']
        self.hiddenSize = opt['hiddenSize']
        self.histLen = opt['histLen']
        self.duel = opt['duel']
        self.bootstraps = opt['bootstraps']
        self.recurrent = opt['recurrent']
        self.env = opt['env']
        self.async_ = opt['async']
        self.a3c = opt['async'] == 'A3C'
        self.stateSpec = opt['stateSpec']
        self.m = opt['actionSpec'][2][1] - opt['actionSpec'][2][0] + 1   # Number of discrete actions
        self.resize = False
        # Set up resizing
        if opt['width'] != 0 or opt['height'] != 0:
            self.resize = True
            self.width = opt['width'] if opt['width'] != 0 else opt['stateSpec'][1][2]
            self.height = opt['height'] if opt['height'] != 0 else opt['stateSpec'][1][1]

    # Processes a single frame for DQN input; must not return same memory to prevent side-effects
    def preprocess(self, observation):
        frame = observation.type(self.tensorType)   # Convert from CudaTensor if necessary
        # Resize screen if needed
        if self.resize:
            frame = lg.image.scale(frame, self.width, self.height)
        # Clone if needed
        if frame is observation:
            frame = frame.clone()
        return frame

    # Creates a DQN/AC model based on a number of discrete actions
    def create(self):
        # Number of input frames for recurrent networks is always 1
        histLen = 1 if self.recurrent else self.histLen

        # Network starting with convolutional layers/model body
        net = nn.Sequential()
        if self.recurrent:
            net.add(nn.Copy(None, None, True))   # Needed when splitting batch x seq x input over seq for DRQN

        # Add network body
        Body = BODIES[self.modelBody]
        body = Body(self).createBody()

        # Calculate body output size
        bodyOutputSize = lg.prod(lg.Tensor(getOutputSize(body, [histLen] + list(self.stateSpec[1]))))
        if not self.async_ and self.recurrent:
            body.add(nn.View(-1, bodyOutputSize))
            net.add(MinDim(0, 4))
            net.add(nn.Transpose([0, 1]))
            body = nn.Bottle(body, 4, 2)
            net.add(body)
            net.add(MinDim(0, 3))
        else:
            body.add(nn.View(bodyOutputSize))
            net.add(body)

        # Network head
        head = nn.Sequential()
        heads = max(self.bootstraps, 1)
        if self.duel:
            # Value approximator V^(s)
            valStream = nn.Sequential()
            if self.recurrent and self.async_:
                lstm = nn.FastLSTM(bodyOutputSize, self.hiddenSize, self.histLen)
                lstm.i2g.init(['bias', slice(2 * self.hiddenSize, 4 * self.hiddenSize)], nninit.constant, 1)
                lstm.remember('both')
                valStream.add(lstm)
            elif self.recurrent:
                lstm = nn.SeqLSTM(bodyOutputSize, self.hiddenSize)
                lstm.remember('both')
                valStream.add(lstm)
                valStream.add(nn.Select(-3, -1))   # Select last timestep
            else:
                valStream.add(nn.Linear(bodyOutputSize, self.hiddenSize))
                valStream.add(nn.ReLU(True))
            valStream.add(nn.Linear(self.hiddenSize, 1))   # Predicts value for state

            # Advantage approximator A^(s, a)
            advStream = nn.Sequential()
            if self.recurrent and self.async_:
                lstm = nn.FastLSTM(bodyOutputSize, self.hiddenSize, self.histLen)
                lstm.i2g.init(['bias', slice(2 * self.hiddenSize, 4 * self.hiddenSize)], nninit.constant, 1)
                lstm.remember('both')
                advStream.add(lstm)
            elif self.recurrent:
                lstm = nn.SeqLSTM(bodyOutputSize, self.hiddenSize)
                lstm.remember('both')
                advStream.add(lstm)
                advStream.add(nn.Select(-3, -1))   # Select last timestep
            else:
                advStream.add(nn.Linear(bodyOutputSize, self.hiddenSize))
                advStream.add(nn.ReLU(True))
            advStream.add(nn.Linear(self.hiddenSize, self.m))   # Predicts action-conditional advantage

            # Streams container
            streams = nn.ConcatTable()
            streams.add(valStream)
            streams.add(advStream)

            # Network finishing with fully connected layers
            head.add(GradientRescale(1 / math.sqrt(2), True))   # Heuristic that mildly increases stability for duel
            # Create dueling streams
            head.add(streams)
            # Add dueling streams aggregator module
            head.add(DuelAggregator(self.m))
        else:
            if self.recurrent and self.async_:
                lstm = nn.FastLSTM(bodyOutputSize, self.hiddenSize, self.histLen)
                # Extra: high forget gate bias (Gers et al., 2000)
                lstm.i2g.init(['bias', slice(2 * self.hiddenSize, 4 * self.hiddenSize)], nninit.constant, 1)
                lstm.remember('both')
                head.add(lstm)
            elif self.recurrent:
                lstm = nn.SeqLSTM(bodyOutputSize, self.hiddenSize)
                lstm.remember('both')
                head.add(lstm)
                head.add(nn.Select(-3, -1))   # Select last timestep
            else:
                head.add(nn.Linear(bodyOutputSize, self.hiddenSize))
                head.add(nn.ReLU(True))   # DRQN paper reports worse performance with ReLU after LSTM
            head.add(nn.Linear(self.hiddenSize, self.m))   # Note: Tuned DDQN uses shared bias at last layer

        if self.bootstraps > 0:
            # Add bootstrap heads
            headConcat = nn.ConcatTable()
            for h in range(heads):
                # Clone head structure
                bootHead = head.clone()
                # Each head should use a different random initialisation to construct bootstrap
                linearLayers = bootHead.findModules('nn.Linear')[0]
                for l in range(len(linearLayers)):
                    linearLayers[l].init('weight', nninit.kaiming, {'dist': 'uniform', 'gain': 1 / math.sqrt(3)}) \
                        .init('bias', nninit.kaiming, {'dist': 'uniform', 'gain': 1 / math.sqrt(3)})
                headConcat.add(bootHead)
            net.add(GradientRescale(1 / self.bootstraps))   # Normalise gradients by number of heads
            net.add(headConcat)
        elif self.a3c:
            # Actor-critic does not use the normal head but instead a concatenated value function V and policy π
            net.add(nn.Linear(bodyOutputSize, self.hiddenSize))
            net.add(nn.ReLU(True))
            valueAndPolicy = nn.ConcatTable()   # π and V share all layers except the last
            # Value function V(s; θv)
            valueFunction = nn.Linear(self.hiddenSize, 1)
            # Policy π(a | s; θπ)
            policy = nn.Sequential()
            policy.add(nn.Linear(self.hiddenSize, self.m))
            policy.add(nn.SoftMax())
            valueAndPolicy.add(valueFunction)
            valueAndPolicy.add(policy)
            net.add(valueAndPolicy)
        else:
            # Add head via ConcatTable (simplifies bootstrap code in agent)
            headConcat = nn.ConcatTable()
            headConcat.add(head)
            net.add(headConcat)

        if not self.a3c:
            net.add(nn.JoinTable(0, 1))
            net.add(nn.View(heads, self.m))
        # GPU conversion
        if self.gpu > 0:
            net.cuda()

        # Save reference to network
        self.net = net
        return net

    def setNetwork(self, net):
        self.net = net

    # Set ReLUs up for specified saliency visualisation type
    def setSaliency(self, saliency):
        self.saliency = saliency
        # Find ReLUs on existing model
        relus, relucontainers = self.net.findModules('nn.ReLU')
        if len(relus) == 0:
            relus, relucontainers = self.net.findModules('nn.GuidedReLU')
        if len(relus) == 0:
            relus, relucontainers = self.net.findModules('nn.DeconvnetReLU')

        # Work out which ReLU to use now
        layerConstructor = nn.ReLU
        self.relus = []   # Clear special ReLU list to iterate over for salient backpropagation
        if saliency == 'guided':
            layerConstructor = GuidedReLU
        elif saliency == 'deconvnet':
            layerConstructor = DeconvnetReLU

        # Replace ReLUs
        for i in range(len(relus)):
            # Create new special ReLU
            layer = layerConstructor()
            # Copy everything over
            for key, val in vars(relus[i]).items():
                setattr(layer, key, val)
            # Find ReLU in containing module and replace
            for j in range(len(relucontainers[i].modules)):
                if relucontainers[i].modules[j] is relus[i]:
                    relucontainers[i].modules[j] = layer

        # Create special ReLU list to iterate over for salient backpropagation
        self.relus = self.net.findModules('nn.GuidedReLU' if saliency == 'guided' else 'nn.DeconvnetReLU')[0]

    # Switches the backward computation of special ReLUs for salient backpropagation
    def salientBackprop(self):
        for i, v in enumerate(self.relus):
            v.salientBackprop()

    # Switches the backward computation of special ReLUs for normal backpropagation
    def normalBackprop(self):
        for i, v in enumerate(self.relus):
            v.normalBackprop()


# Calculates network output size
def getOutputSize(net, inputDims):
    return net.forward(lg.Tensor(lg.LongStorage(inputDims))).size().totable()


# structures/Singleton.lua: one table of globals (the step counter) for the agent and its memories
class Singleton:
    _instance = None

    def __init__(self, fields=None):
        for k, v in (fields or {}).items():
            setattr(self, k, v)

    @classmethod
    def getInstance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance


# structures/CircularQueue.lua: a non-standard circular queue
class CircularQueue:
    # Creates a new fixed-length circular queue and tensor creation function
    def __init__(self, length, createTensor, tensorSizes):
        self.length = length
        self.queue = []
        self.reset = False
        # Initialise zero tensors
        for i in range(self.length):
            self.queue.append(createTensor(lg.LongStorage(tensorSizes)).zero())

    # Pushes a new element to the end of the queue and moves all others down
    def push(self, tensor):
        if self.reset:
            # If reset flag set, zero old tensors
            for i in range(self.length - 1):
                self.queue[i].zero()
            # Unset reset flag
            self.reset = False
        else:
            # Otherwise, move old elements down
            for i in range(self.length - 1):
                self.queue[i] = self.queue[i + 1]
        # Add new element (casting if needed, will keep reference if not)
        self.queue[self.length - 1] = tensor.typeAs(self.queue[0])

    # Pushes a new element to the end of the queue and sets reset flag
    def pushReset(self, tensor):
        for i in range(self.length - 1):
            self.queue[i] = self.queue[i + 1]
        self.queue[self.length - 1] = tensor.typeAs(self.queue[0])
        self.reset = True

    # Resets (zeros) the entire queue
    def clear(self):
        for i in range(self.length):
            self.queue[i].zero()

    # Reads entire queue as a large tensor
    def readAll(self):
        return lg.concat(self.queue)


# structures/BinaryHeap.lua: a priority queue on a (maximum) binary heap; heap positions are 0-based, so a
# node's parent is (i - 1) // 2 and its children 2i + 1 and 2i + 2 (the Lua's floor(i/2), 2i, 2i + 1)
class BinaryHeap:
    # array row 0 (priority/key): absolute TD-error |δ|; row 1 (value): experience replay index;
    # ephash: experience replay index -> heap position; pehash: heap position -> experience replay index

    # Creates a new Binary Heap with a length or existing tensor
    def __init__(self, init):
        self.ephash = {}
        self.pehash = {}
        if isinstance(init, (int, float)):
            # init is treated as the length of the heap
            self.array = lg.Tensor(init, 2)   # Priorities are 1st, values (used as hash table keys) are 2nd
            self.size = 0
        else:
            # Otherwise assume tensor to build heap from
            self.array = init
            self.size = init.size(0)
            # Convert values to form hash tables (moses' _.invert of the list)
            self.ephash = dict(enumerate(self.array.select(1, 1).totable()))
            self.pehash = {v: k for k, v in self.ephash.items()}
            # Rebalance
            for i in range(math.floor(self.size / 2) - 2, -1, -1):
                self.downHeap(i)

    # Checks if heap is full
    def isFull(self):
        return self.size == self.array.size(0)

    # Inserts a new value
    def insert(self, priority, val):
        # Refuse to add values if no space left
        if self.isFull():
            print('Error: no space left in heap to add value ' + str(val) + ' with priority ' + str(priority))
            return
        # Add value to end
        self.size = self.size + 1
        self.array[self.size - 1][0] = priority
        self.array[self.size - 1][1] = val
        # Update hash tables
        self.ephash[val] = self.size - 1
        self.pehash[self.size - 1] = val
        # Rebalance
        self.upHeap(self.size - 1)

    # Updates a value (and rebalances)
    def update(self, i, priority, val):
        if i >= self.size:
            print('Error: index ' + str(i) + ' is greater than the current size of the heap')
            return
        # Replace value
        self.array[i][0] = priority
        self.array[i][1] = val
        # Update hash tables
        self.ephash[val] = i
        self.pehash[i] = val
        # Rebalance
        self.downHeap(i)
        self.upHeap(i)

    # Updates a value by using the value (using the ER -> PQ hash table)
    def updateByVal(self, valKey, priority, val):
        self.update(self.ephash[valKey], priority, val)

    # Returns the maximum priority with value
    def findMax(self):
        return self.array[0][0] if self.size != 0 else None

    # Removes and returns the maximum priority with value
    def pop(self):
        if self.size == 0:
            print('Error: no values in heap')
            return None
        max = self.array[0].clone()
        # Move the last value (not necessarily the smallest) to the root
        self.array[0] = self.array[self.size - 1]
        self.size = self.size - 1
        # Update hash tables
        self.ephash[self.array[0][1]], self.pehash[0] = 0, self.array[0][1]
        # Rebalance
        self.downHeap(0)
        return max

    # Rebalances the heap (by moving large values up)
    def upHeap(self, i):
        # Calculate parent index
        p = (i - 1) // 2
        if i > 0:
            # If parent is smaller than child then swap
            if self.array[p][0] < self.array[i][0]:
                self.array[i], self.array[p] = self.array[p].clone(), self.array[i].clone()
                # Update hash tables
                self.ephash[self.array[i][1]], self.ephash[self.array[p][1]], self.pehash[i], self.pehash[p] = \
                    i, p, self.array[i][1], self.array[p][1]
                # Continue rebalancing
                self.upHeap(p)

    # Rebalances the heap (by moving small values down)
    def downHeap(self, i):
        # Calculate left and right child indices
        l, r = 2 * i + 1, 2 * i + 2
        # Find the index of the greatest of these elements
        if l < self.size and self.array[l][0] > self.array[i][0]:
            greatest = l
        else:
            greatest = i
        if r < self.size and self.array[r][0] > self.array[greatest][0]:
            greatest = r
        # Continue rebalancing if necessary
        if greatest != i:
            self.array[i], self.array[greatest] = self.array[greatest].clone(), self.array[i].clone()
            # Update hash tables
            self.ephash[self.array[i][1]], self.ephash[self.array[greatest][1]], self.pehash[i], \
                self.pehash[greatest] = i, greatest, self.array[i][1], self.array[greatest][1]
            self.downHeap(greatest)

    # Retrieves priorities
    def getPriorities(self):
        return self.array.narrow(1, 0, 1)

    # Retrieves values
    def getValues(self):
        return self.array.narrow(1, 1, 1)

    # Retrieves a value by using the value (using the PQ -> ER hash table)
    def getValueByVal(self, hashIndex):
        return self.pehash.get(hashIndex)

    # Rebalances the heap
    def rebalance(self):
        # Sort underlying array
        sortArray, sortIndices = lg.sort(self.array, 0, True)
        # Retrieve values (indices) in descending priority order
        sortIndices = self.array.index(0, sortIndices.select(1, 0)).select(1, 1)
        # Put values with corresponding priorities
        sortArray[:, 1:2] = sortIndices
        # Convert values to form hash tables
        self.pehash = dict(enumerate(sortIndices.totable()))
        self.ephash = {v: k for k, v in self.pehash.items()}
        # Replace array
        self.array = sortArray
        # Fix heap
        for i in range(math.floor(self.size / 2) - 2, -1, -1):
            self.downHeap(i)


# Experience.lua
class Experience:
    # Creates experience replay memory
    def __init__(self, capacity, opt, isValidation=None):
        self.capacity = capacity
        # Extract relevant options
        self.batchSize = opt['batchSize']
        self.histLen = opt['histLen']
        self.gpu = opt['gpu']
        self.discretiseMem = opt['discretiseMem']
        self.memPriority = opt['memPriority']
        self.learnStart = opt['learnStart']
        self.alpha = opt['alpha']
        self.betaZero = opt['betaZero']
        self.heads = max(opt['bootstraps'], 1)

        # Create transition tuples buffer
        bufferStateSize = lg.LongStorage([opt['batchSize'], opt['histLen']] + list(opt['stateSpec'][1]))
        self.transTuples = {
            'states': opt['Tensor'](bufferStateSize),
            'actions': lg.ByteTensor(opt['batchSize']),
            'rewards': opt['Tensor'](opt['batchSize']),
            'transitions': opt['Tensor'](bufferStateSize),
            'terminals': lg.ByteTensor(opt['batchSize']),
            'priorities': opt['Tensor'](opt['batchSize']),
        }
        self.indices = lg.LongTensor(opt['batchSize'])
        self.w = opt['Tensor'](opt['batchSize']).fill(1)   # Importance-sampling weights w, 1 if no correction needed

        # Allocate memory for experience
        stateSize = lg.LongStorage([capacity] + list(opt['stateSpec'][1]))   # Calculate state storage size
        self.imgDiscLevels = 255   # Number of discretisation levels for images (used for float <-> byte conversion)
        if opt['discretiseMem']:
            self.states = lg.ByteTensor(stateSize)   # ByteTensor to avoid massive memory usage
        else:
            self.states = lg.Tensor(stateSize)
        self.actions = lg.ByteTensor(capacity)   # Discrete action indices
        self.rewards = lg.FloatTensor(capacity)   # Stored at time t (not t + 1)
        # Terminal conditions stored at time t+1, encoded by 0 = false, 1 = true
        self.terminals = lg.ByteTensor(capacity).fill(1)   # Filling with 1 prevents going back in history at beginning
        # Validation flags (used if state is stored without transition)
        self.invalid = lg.ByteTensor(capacity)   # 1 is used to denote invalid
        self.masks = lg.ByteTensor(capacity, self.heads).fill(0)   # Masking flags for Bootstrap heads
        self.allIndexes = lg.LongTensor().range(0, capacity - 1)   # Used during finding unmasked samples
        # Internal pointer
        self.index = 0
        self.isFull = False
        self.size = 0

        # TD-error δ-based priorities
        self.priorityQueue = BinaryHeap(capacity)   # Stored at time t
        self.smallConst = 1e-12
        # Sampling priority
        if not isValidation and opt['memPriority'] == 'rank':
            # Cache partition indices for several values of N as α is static
            self.distributions = {}
            nPartitions = 100   # learnStart must be at least 1/100 of capacity (arbitrary constant)
            partitionNum = 1
            partitionDivision = math.floor(capacity / nPartitions)

            for n in range(partitionDivision, capacity + 1, partitionDivision):
                if n >= opt['learnStart'] or n == capacity:   # Do not calculate distributions before learnStart
                    # Set up power-law PDF and CDF
                    distribution = {}
                    distribution['pdf'] = lg.linspace(1, n, n).pow(-opt['alpha'])
                    pdfSum = lg.sum(distribution['pdf'])
                    distribution['pdf'].div(pdfSum)   # Normalise PDF
                    cdf = lg.cumsum(distribution['pdf'])

                    # Set up strata for stratified sampling (transitions will have varying TD-error magnitudes |δ|)
                    distribution['strataEnds'] = lg.LongTensor(opt['batchSize'] + 1)
                    distribution['strataEnds'][0] = 0   # First stratum starts at rank 0
                    distribution['strataEnds'][opt['batchSize']] = n   # Last stratum ends at rank n (excluded)
                    # Use linear search to find strata indices (counts of ranks, as the Lua's 1-based ends)
                    stratumEnd = 1 / opt['batchSize']
                    index = 1
                    for s in range(2, opt['batchSize'] + 1):
                        while cdf[index - 1] < stratumEnd:
                            index = index + 1
                        distribution['strataEnds'][s - 1] = index   # Save index
                        stratumEnd = stratumEnd + 1 / opt['batchSize']   # Set condition for next stratum

                    # Check that enough transitions are available (to prevent an infinite loop of infinite tuples)
                    if distribution['strataEnds'][1] - distribution['strataEnds'][0] <= opt['histLen']:
                        raise ValueError('Experience replay strata are too small - use a smaller alpha/larger '
                                         'memSize/greater learnStart')

                    # Store distribution
                    self.distributions[partitionNum] = distribution
                partitionNum = partitionNum + 1

        # Initialise first time step (s0)
        self.states[0].zero()   # Blank out state
        self.terminals[0] = 0
        self.actions[0] = 0   # Action is no-op
        self.invalid[0] = 0   # First step is a fake blanked-out state, but can thereby be utilised
        self.masks[0].zero()   # Mask out for all
        if self.memPriority:
            self.priorityQueue.insert(1, 0)   # First priority = 1

        # Calculate β growth factor (linearly annealed till end of training)
        self.betaGrad = (1 - opt['betaZero']) / (opt['steps'] - opt['learnStart'])

        # Get singleton instance for step
        self.globals = Singleton.getInstance()

    # Calculates circular indices
    def circIndex(self, x):
        return x % self.capacity   # 0-based slots need no correction of 0

    # Stores experience tuple parts (including pre-emptive action)
    def store(self, reward, state, terminal, action, mask):
        self.rewards[self.index] = reward
        # Increment index and size
        self.index = self.index + 1
        self.size = min(self.size + 1, self.capacity)
        # Circle back to beginning if memory limit reached
        if self.index >= self.capacity:
            self.isFull = True   # Full memory flag
            self.index = 0   # Reset index

        if self.discretiseMem:
            self.states[self.index] = lg.mul(state, self.imgDiscLevels)   # float -> byte
        else:
            self.states[self.index] = state.clone()
        self.terminals[self.index] = 1 if terminal else 0
        self.actions[self.index] = action
        self.invalid[self.index] = 0
        self.masks[self.index] = mask.clone()

        # Store with maximal priority
        if self.memPriority:
            maxPriority = 0 if terminal else self.priorityQueue.findMax()   # Terminal states cannot be sampled
            if self.isFull:
                self.priorityQueue.updateByVal(self.index, maxPriority, self.index)
            else:
                self.priorityQueue.insert(maxPriority, self.index)

    # Sets current state as invalid (utilised when switching to evaluation mode)
    def setInvalid(self):
        self.invalid[self.index] = 1

    # Retrieves experience tuples (s, a, r, s', t)
    def retrieve(self, indices):
        N = indices.size(0)
        # Blank out history in one go
        self.transTuples['states'].zero()
        self.transTuples['transitions'].zero()

        # Iterate over indices
        for n in range(N):
            memIndex = indices[n]
            # Retrieve action
            self.transTuples['actions'][n] = self.actions[memIndex]
            # Retrieve rewards
            self.transTuples['rewards'][n] = self.rewards[memIndex]
            # Retrieve terminal status (of transition)
            self.transTuples['terminals'][n] = self.terminals[self.circIndex(memIndex + 1)]

            # Go back in history whilst episode exists
            histIndex = self.histLen - 1
            while True:
                if self.discretiseMem:
                    # Copy state (converting to float first for non-integer division)
                    self.transTuples['states'][n][histIndex].div(
                        self.states[memIndex].typeAs(self.transTuples['states']), self.imgDiscLevels)   # byte -> float
                else:
                    self.transTuples['states'][n][histIndex] = self.states[memIndex].typeAs(self.transTuples['states'])
                # Adjust indices
                memIndex = self.circIndex(memIndex - 1)
                histIndex = histIndex - 1
                if histIndex == -1 or self.terminals[memIndex] == 1 or self.invalid[memIndex] == 1:
                    break

            # If transition not terminal, fill in transition history
            if self.transTuples['terminals'][n] == 0:
                # Copy most recent state
                for h in range(1, self.histLen):
                    self.transTuples['transitions'][n][h - 1] = self.transTuples['states'][n][h]
                # Get transition frame
                memTIndex = self.circIndex(indices[n] + 1)
                if self.discretiseMem:
                    self.transTuples['transitions'][n][self.histLen - 1].div(
                        self.states[memTIndex].typeAs(self.transTuples['transitions']), self.imgDiscLevels)
                else:
                    self.transTuples['transitions'][n][self.histLen - 1] = \
                        self.states[memTIndex].typeAs(self.transTuples['transitions'])

        t = self.transTuples
        return t['states'][:N], t['actions'][:N], t['rewards'][:N], t['transitions'][:N], t['terminals'][:N]

    # Determines if an index points to a valid transition state
    def validateTransition(self, index):
        # Calculate beginning of state and end of transition for checking overlap with head of buffer
        minIndex, maxIndex = index - self.histLen, self.circIndex(index + 1)
        # State must not be terminal, invalid, or overlap with head of buffer
        return (self.terminals[index] == 0 and self.invalid[index] == 0
                and (self.index <= minIndex or self.index >= maxIndex))

    # Determines if an index points to a masked state
    def isUnmasked(self, index, head):
        return self.masks[index][head] == 1

    # Returns indices and importance-sampling weights based on (stochastic) proportional prioritised sampling
    def sample(self, head):
        N = self.size
        unmaskedIndexes = self.allIndexes[self.masks[:, head]]
        M = unmaskedIndexes.size(0)

        # Priority 'none' = uniform sampling
        if not self.memPriority:
            # Keep uniformly picking random indices until indices filled
            for n in range(self.batchSize):
                isValid = False
                # Generate random index until valid transition found
                while not isValid:
                    index = lg.random(0, M)
                    isValid = self.validateTransition(unmaskedIndexes[index])
                # Store index
                self.indices[n] = index

        elif self.memPriority == 'rank':
            # Find closest precomputed distribution by size
            distIndex = math.floor(N / self.capacity * 100)
            distribution = self.distributions[distIndex]
            N = distIndex * 100

            # Ranks (the underlying array-based binary heap approximates a ranked (sorted) array)
            rankIndices = lg.LongTensor(self.batchSize)
            # Perform stratified sampling
            for n in range(self.batchSize):
                isValid = False
                # Generate random index until valid transition found
                while not isValid:
                    # Sample within stratum
                    rankIndices[n] = lg.random(distribution['strataEnds'][n], distribution['strataEnds'][n + 1])
                    # Retrieve actual transition index
                    index = self.priorityQueue.getValueByVal(rankIndices[n])
                    isValid = self.validateTransition(index)   # The last stratum might be full of terminal states
                # Store actual transition index
                self.indices[n] = index

            # Compute importance-sampling weights w = (N * p(rank))^-β
            beta = min(self.betaZero + (self.globals.step - self.learnStart - 1) * self.betaGrad, 1)
            self.w = distribution['pdf'].index(0, rankIndices).mul(N).pow(-beta)   # torch.index does memory copy
            # Calculate max importance-sampling weight (over the minibatch, not the entire distribution)
            wMax = lg.max(self.w)
            # Normalise weights so updates only scale downwards (for stability)
            self.w.div(wMax)

        return self.indices, self.w

    # Update experience priorities using TD-errors δ
    def updatePriorities(self, indices, delta):
        if self.memPriority:
            priorities = lg.abs(delta).float()   # Use absolute values
            for p in range(indices.size(0)):
                self.priorityQueue.updateByVal(indices[p], priorities[p], indices[p])

    # Rebalance prioritised experience replay heap
    def rebalance(self):
        self.priorityQueue.rebalance()


# Agent.lua
class Agent:
    # Creates a DQN agent
    def __init__(self, opt):
        # Experiment ID
        self._id = opt['_id']
        self.experiments = opt['experiments']
        # Actions
        self.m = opt['actionSpec'][2][1] - opt['actionSpec'][2][0] + 1   # Number of discrete actions
        self.actionOffset = 0 - opt['actionSpec'][2][0]   # Calculate offset if first action is not indexed as 0

        # Initialise model helper
        self.model = Model(opt)
        # Create policy and target networks
        self.policyNet = self.model.create()
        self.targetNet = self.policyNet.clone()   # Create deep copy for target network
        self.targetNet.evaluate()   # Target network always in evaluation mode
        self.tau = opt['tau']
        self.doubleQ = opt['doubleQ']
        # Network parameters θ and gradients dθ
        self.theta, self.dTheta = self.policyNet.getParameters()

        # Boostrapping
        self.bootstraps = opt['bootstraps']
        self.head = 0   # Identity of current episode bootstrap head
        self.heads = max(opt['bootstraps'], 1)   # Number of heads

        # Recurrency
        self.recurrent = opt['recurrent']
        self.histLen = opt['histLen']

        # Reinforcement learning parameters
        self.gamma = opt['gamma']
        self.rewardClip = opt['rewardClip']
        self.tdClip = opt['tdClip']
        self.epsilonStart = opt['epsilonStart']
        self.epsilonEnd = opt['epsilonEnd']
        # Greediness ε decay factor
        self.epsilonGrad = (opt['epsilonEnd'] - opt['epsilonStart']) / opt['epsilonSteps']
        self.PALpha = opt['PALpha']

        # State buffer
        self.stateBuffer = CircularQueue(1 if opt['recurrent'] else opt['histLen'], opt['Tensor'], opt['stateSpec'][1])
        # Experience replay memory
        self.memory = Experience(opt['memSize'], opt)
        self.memSampleFreq = opt['memSampleFreq']
        self.memNSamples = opt['memNSamples']
        self.memSize = opt['memSize']
        self.memPriority = opt['memPriority']

        # Training mode
        self.isTraining = False
        self.batchSize = opt['batchSize']
        self.learnStart = opt['learnStart']
        self.progFreq = opt['progFreq']
        self.gradClip = opt['gradClip']
        # Optimiser parameters
        self.optimiser = opt['optimiser']
        self.optimParams = {'learningRate': opt['eta'], 'momentum': opt['momentum']}

        # Q-learning variables (per head)
        self.QPrimes = opt['Tensor'](opt['batchSize'], self.heads, self.m)
        self.tdErr = opt['Tensor'](opt['batchSize'], self.heads)
        self.VPrime = opt['Tensor'](opt['batchSize'], self.heads, 1)

        # Validation variables
        self.valSize = opt['valSize']
        self.valMemory = Experience(opt['valSize'] + 3, opt, True)
        self.losses = []
        self.avgV = []   # Running average of V(s')
        self.avgTdErr = []   # Running average of TD-error δ
        self.valScores = []   # Validation scores (passed from main script)
        self.normScores = []   # Normalised validation scores (passed from main script)

        # Tensor creation
        self.Tensor = opt['Tensor']

        # Saliency display
        self.setSaliency(opt['saliency'])   # Set saliency option on agent and model
        if len(opt['stateSpec'][1]) == 3:   # Make saliency map only for visual states
            self.saliencyMap = opt['Tensor'](1, opt['stateSpec'][1][1], opt['stateSpec'][1][2]).zero()
            self.inputGrads = opt['Tensor'](opt['histLen'] * opt['stateSpec'][1][0], opt['stateSpec'][1][1],
                                         opt['stateSpec'][1][2]).zero()

        # Get singleton instance for step
        self.globals = Singleton.getInstance()

    # Sets training mode
    def training(self):
        self.isTraining = True
        self.policyNet.training()
        self.stateBuffer.clear()
        if self.bootstraps > 0:
            self.head = lg.random(0, self.bootstraps)
        if self.recurrent:
            self.policyNet.forget()
            self.targetNet.forget()

    # Sets evaluation mode
    def evaluate(self):
        self.isTraining = False
        self.policyNet.evaluate()
        self.stateBuffer.clear()
        # Set previously stored state as invalid (as no transition stored)
        self.memory.setInvalid()
        if self.bootstraps > 0:
            self.head = lg.random(0, self.bootstraps)
        if self.recurrent:
            self.policyNet.forget()

    # Observes the results of the previous transition and chooses the next action to perform
    def observe(self, reward, rawObservation, terminal):
        # Clip reward for stability
        if self.rewardClip > 0:
            reward = max(reward, -self.rewardClip)
            reward = min(reward, self.rewardClip)

        # Process observation of current state
        observation = self.model.preprocess(rawObservation)   # Must avoid side-effects on observation from env

        # Store in buffer depending on terminal status
        if terminal:
            self.stateBuffer.pushReset(observation)   # Will clear buffer on next push
        else:
            self.stateBuffer.push(observation)
        # Retrieve current and historical states from state buffer
        state = self.stateBuffer.readAll()

        # Set ε based on training vs. evaluation mode
        epsilon = 0.001   # Taken from tuned DDQN evaluation
        if self.isTraining:
            if self.globals.step < self.learnStart:
                # Keep ε constant before learning starts
                epsilon = self.epsilonStart
            else:
                # Use annealing ε
                epsilon = max(self.epsilonStart + (self.globals.step - self.learnStart - 1) * self.epsilonGrad,
                              self.epsilonEnd)

        aIndex = 0   # In a terminal state, choose no-op/first action by default
        if not terminal:
            if not self.isTraining and self.bootstraps > 0:
                # Retrieve estimates from all heads
                QHeads = self.policyNet.forward(state)
                # Use ensemble policy with bootstrap heads (in evaluation mode)
                QHeadsMax, QHeadsMaxInds = QHeads.max(1)   # Find max action per head
                aIndex = lg.mode(QHeadsMaxInds.float(), 0)[0][0][0]
            elif lg.uniform() < epsilon:
                # Choose action by ε-greedy exploration (even with bootstraps)
                aIndex = lg.random(0, self.m)
                # Forward state anyway if recurrent
                if self.recurrent:
                    self.policyNet.forward(state)
            else:
                # Retrieve estimates from all heads
                QHeads = self.policyNet.forward(state)
                # Sample from current episode head (indexes on first dimension with no batch)
                Qs = QHeads.select(0, self.head)
                maxQ = Qs[0]
                bestAs = [0]
                # Find best actions
                for a in range(1, self.m):
                    if Qs[a] > maxQ:
                        maxQ = Qs[a]
                        bestAs = [a]
                    elif Qs[a] == maxQ:   # Ties can occur even with floats
                        bestAs.append(a)
                # Perform random tie-breaking (if more than one argmax action)
                aIndex = bestAs[lg.random(0, len(bestAs))]

        # If training
        if self.isTraining:
            # Store experience tuple parts (including pre-emptive action)
            defaultMask = lg.ByteTensor(self.heads).fill(1)   # By default, the no head is masked
            mask = defaultMask.clone()
            if self.bootstraps > 0:
                mask = mask.bernoulli(0.5)   # Sample a mask for bootstrap using p = 0.5
            self.memory.store(reward, observation, terminal, aIndex, mask)

            # Collect validation transitions at the start
            if self.globals.step <= self.valSize + 1:
                self.valMemory.store(reward, observation, terminal, aIndex, defaultMask)

            # Sample uniformly or with prioritised sampling
            if self.globals.step % self.memSampleFreq == 0 and self.globals.step >= self.learnStart:
                for n in range(self.memNSamples):
                    # Optimise (learn) from experience tuples
                    self.optimise(*self.memory.sample(self.head))

            # Update target network every τ steps
            if self.globals.step % self.tau == 0 and self.globals.step >= self.learnStart:
                self.targetNet = self.policyNet.clone()
                self.targetNet.evaluate()

        if terminal:
            if self.bootstraps > 0:
                # Change bootstrap head for next episode
                self.head = lg.random(0, self.bootstraps)
            elif self.recurrent:
                # Forget last sequence
                self.policyNet.forget()

        # Return action index with offset applied
        return aIndex - self.actionOffset

    # Learns from experience
    def learn(self, x, indices, ISWeights, isValidation=None):
        # Copy x to parameters θ if necessary
        if x is not self.theta:
            self.theta.copy(x)
        # Reset gradients dθ
        self.dTheta.zero()

        # Retrieve experience tuples
        memory = self.valMemory if isValidation else self.memory
        # Terminal status is for transition (can't act in terminal state)
        states, actions, rewards, transitions, terminals = memory.retrieve(indices)
        N = actions.size(0)

        if self.recurrent:
            # Forget last sequence
            self.policyNet.forget()
            self.targetNet.forget()

        # Perform argmax action selection
        if self.doubleQ:
            # Calculate Q-values from transition using policy network
            self.QPrimes = self.policyNet.forward(transitions)   # Find argmax actions using policy network
            # Perform argmax action selection on transition using policy network: argmax_a[Q(s', a; θpolicy)]
            APrimeMax, APrimeMaxInds = lg.max(self.QPrimes, 2)
            # Calculate Q-values from transition using target network
            self.QPrimes = self.targetNet.forward(transitions)   # Evaluate Q-values of argmax actions
        else:
            # Calculate Q-values from transition using target network
            self.QPrimes = self.targetNet.forward(transitions)
            # Perform argmax action selection on transition using target network: argmax_a[Q(s', a; θtarget)]
            APrimeMax, APrimeMaxInds = lg.max(self.QPrimes, 2)

        # Initially set target Y = Q(s', argmax_a[Q(s', a; θ)]; θtarget)
        Y = self.Tensor(N, self.heads)
        for n in range(N):
            self.QPrimes[n].mul(1 - terminals[n])   # Zero Q(s' a) when s' is terminal
            Y[n] = self.QPrimes[n].gather(1, APrimeMaxInds[n])
        # Calculate target Y := r + γ.Q(s', argmax_a[Q(s', a; θ)]; θtarget)
        Y.mul(self.gamma).add(rewards.repeatTensor(1, self.heads))

        # Get all predicted Q-values from the current state
        if self.recurrent and self.doubleQ:
            self.policyNet.forget()
        QCurr = self.policyNet.forward(states)   # Correct internal state of policy network before backprop
        QTaken = self.Tensor(N, self.heads)
        # Get prediction of current Q-values with given actions
        for n in range(N):
            QTaken[n] = QCurr[n][:, actions[n]:actions[n] + 1]

        # Calculate TD-errors δ := ∆Q(s, a) = Y − Q(s, a)
        self.tdErr = Y - QTaken

        # Calculate Advantage Learning update(s)
        if self.PALpha > 0:
            # Calculate Q(s, a) and V(s) using target network
            if self.recurrent:
                self.targetNet.forget()
            Qs = self.targetNet.forward(states)
            Q = self.Tensor(N, self.heads)
            for n in range(N):
                Q[n] = Qs[n][:, actions[n]:actions[n] + 1]
            V = lg.max(Qs, 2)[0]   # Current states cannot be terminal

            # Calculate Advantage Learning update ∆ALQ(s, a) := δ − αPAL(V(s) − Q(s, a))
            tdErrAL = lg.add(self.tdErr, -1, V.csub(Q).mul(self.PALpha))

            # Calculate Q(s', a) and V(s') using target network
            QPrime = self.Tensor(N, self.heads)
            for n in range(N):
                QPrime[n] = self.QPrimes[n][:, actions[n]:actions[n] + 1]
            self.VPrime = lg.max(self.QPrimes, 2)[0]

            # Persistent Advantage Learning update ∆PALQ(s, a) := max[∆ALQ(s, a), δ − αPAL(V(s') − Q(s', a))]
            self.tdErr = lg.max(lg.cat(tdErrAL, self.tdErr.csub(self.VPrime.csub(QPrime).mul(self.PALpha)), 2),
                                2)[0].view(N, self.heads, 1)

        # Calculate loss
        if self.tdClip > 0:
            # Squared loss is used within clipping range, absolute loss is used outside (approximates Huber loss)
            sqLoss = lg.cmin(lg.abs(self.tdErr), self.tdClip)
            absLoss = lg.abs(self.tdErr) - sqLoss
            loss = lg.mean(sqLoss.pow(2).mul(0.5).add(absLoss.mul(self.tdClip)))   # Average over heads
            # Clip TD-errors δ
            self.tdErr.clamp(-self.tdClip, self.tdClip)
        else:
            # Squared loss
            loss = lg.mean(self.tdErr.clone().pow(2).mul(0.5))   # Average over heads

        # Exit if being used for validation metrics
        if isValidation:
            return

        # Send TD-errors δ to be used as priorities
        self.memory.updatePriorities(indices, lg.mean(self.tdErr, 1))   # Use average error over heads

        # Zero QCurr outputs (no error)
        QCurr.zero()
        # Set TD-errors δ with given actions
        for n in range(N):
            # Correct prioritisation bias with importance-sampling weights
            QCurr[n][:, actions[n]:actions[n] + 1] = lg.mul(-self.tdErr[n], ISWeights[n])   # Negate target

        # Backpropagate (network accumulates gradients internally)
        self.policyNet.backward(states, QCurr)
        # Clip the L2 norm of the gradients
        if self.gradClip > 0:
            self.policyNet.gradParamClip(self.gradClip)

        if self.recurrent:
            # Forget last sequence
            self.policyNet.forget()
            self.targetNet.forget()

        return loss, self.dTheta

    # Optimises the network parameters θ
    def optimise(self, indices, ISWeights):
        # Create function to evaluate given parameters x
        def feval(x):
            return self.learn(x, indices, ISWeights)

        # Optimise
        __, loss = getattr(optim, self.optimiser)(feval, self.theta, self.optimParams)
        # Store loss
        if self.globals.step % self.progFreq == 0:
            self.losses.append(loss[0])
        return loss[0]

    # Reports stats for validation (the gnuplot figures left out, the tensors saved as the Lua saves them)
    def validate(self):
        totalV, totalTdErr = 0, 0
        # Loop over validation transitions
        nBatches = math.ceil(self.valSize / self.batchSize)
        ISWeights = self.Tensor(self.batchSize).fill(1)
        for n in range(1, nBatches + 1):
            # valMemory slot 0 is the blank start state: transitions 1 .. valSize (the Lua's 2 .. valSize + 1)
            startIndex = (n - 1) * self.batchSize + 1
            endIndex = min(n * self.batchSize, self.valSize)
            batchSize = endIndex - startIndex + 1
            indices = lg.linspace(startIndex, endIndex, batchSize).long()
            # Perform "learning" (without optimisation)
            self.learn(self.theta, indices, ISWeights.narrow(0, 0, batchSize), True)
            # Calculate V(s') and TD-error δ
            if self.PALpha == 0:
                self.VPrime = lg.max(self.QPrimes, 2)[0]
            # Average over heads
            totalV = totalV + lg.mean(self.VPrime, 1).sum()
            totalTdErr = totalTdErr + lg.mean(self.tdErr, 1).abs().sum()

        # Average and insert values
        self.avgV.append(totalV / self.valSize)
        self.avgTdErr.append(totalTdErr / self.valSize)

        # Save losses
        if len(self.losses) > 0:
            losses = lg.Tensor(self.losses)
            lg.save(paths.concat(self.experiments, self._id, 'losses.t7'), losses)
        # Save V
        Vs = lg.Tensor(self.avgV)
        lg.save(paths.concat(self.experiments, self._id, 'V.t7'), Vs)
        # Save TD-error δ
        TDErrors = lg.Tensor(self.avgTdErr)
        lg.save(paths.concat(self.experiments, self._id, 'TDErrors.t7'), TDErrors)
        # Save average score
        scores = lg.Tensor(self.valScores)
        lg.save(paths.concat(self.experiments, self._id, 'scores.t7'), scores)
        return self.avgV[-1], self.avgTdErr[-1]

    # Sets saliency style
    def setSaliency(self, saliency):
        self.saliency = saliency
        self.model.setSaliency(saliency)

    # Saves the network parameters θ
    def saveWeights(self, path):
        lg.save(path, self.theta.float())   # Do not save as CudaTensor to increase compatibility

    # Loads network parameters θ
    def loadWeights(self, path):
        weights = lg.load(path)
        self.theta.copy(weights)
        self.targetNet = self.policyNet.clone()
        self.targetNet.evaluate()


# async/AsyncAgent.lua
class AsyncAgent:
    methods = {'OneStepQ': 'OneStepQAgent', 'Sarsa': 'SarsaAgent', 'NStepQ': 'NStepQAgent', 'A3C': 'A3CAgent'}

    @staticmethod
    def build(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        Agent = globals()[AsyncAgent.methods[opt['async']]]
        return Agent(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)

    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        self.env, self.model = opt['Env'](opt), Model(opt)   # AsyncModel.lua's getEnvAndModel
        self.id = threads.threadid() if threads.threadid() is not None else 0
        self.atomic = atomic

        self.optimiser = getattr(optim, opt['optimiser'])
        self.optimParams = {'learningRate': opt['eta'], 'momentum': opt['momentum'], 'rmsEpsilon': opt['rmsEpsilon'],
                            'g': sharedG}
        self.learningRateStart = opt['eta']

        actionSpec = self.env.getActionSpec()
        self.m = actionSpec[2][1] - actionSpec[2][0] + 1
        self.actionOffset = 0 - actionSpec[2][0]

        self.policyNet = policyNet.clone('weight', 'bias')

        self.theta = theta
        __, gradParams = self.policyNet.parameters()
        self.dTheta = nn.Module.flatten(gradParams)
        self.dTheta.zero()

        self.stateBuffer = CircularQueue(1 if opt['recurrent'] else opt['histLen'], opt['Tensor'], opt['stateSpec'][1])

        self.gamma = opt['gamma']
        self.rewardClip = opt['rewardClip']
        self.tdClip = opt['tdClip']
        self.progFreq = opt['progFreq']
        self.batchSize = opt['batchSize']
        self.gradClip = opt['gradClip']
        self.tau = opt['tau']
        self.Tensor = opt['Tensor']
        self.batchIdx = 0
        self.totalSteps = math.floor(opt['steps'] / opt['threads'])
        self.tic = 0
        self.step = 0

    def start(self):
        reward, rawObservation, terminal = 0, self.env.start(), False
        observation = self.model.preprocess(rawObservation)
        self.stateBuffer.push(observation)
        return reward, terminal, self.stateBuffer.readAll()

    def takeAction(self, action):
        reward, rawObservation, terminal = self.env.step(action - self.actionOffset)
        if self.rewardClip > 0:
            reward = max(reward, -self.rewardClip)
            reward = min(reward, self.rewardClip)
        observation = self.model.preprocess(rawObservation)
        if terminal:
            self.stateBuffer.pushReset(observation)
        else:
            self.stateBuffer.push(observation)
        return reward, terminal, self.stateBuffer.readAll()

    def applyGradients(self, net, dTheta, theta):
        if self.gradClip > 0:
            net.gradParamClip(self.gradClip)

        def feval(_x=None):
            # loss needed for validation stats only which is not computed for async yet, so just 0
            loss = 0
            return loss, dTheta

        self.optimParams['learningRate'] = self.learningRateStart * (self.totalSteps - self.step) / self.totalSteps
        self.optimiser(feval, theta, self.optimParams)
        dTheta.zero()


# async/QAgent.lua
EPSILON_ENDS = [0.1, 0.01, 0.5]
EPSILON_PROBS = [0.4, 0.7, 1]


class QAgent(AsyncAgent):
    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        super().__init__(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
        self.targetNet = targetNet.clone('weight', 'bias')
        self.targetNet.evaluate()
        self.targetTheta = targetTheta
        __, gradParams = self.policyNet.parameters()
        self.dTheta = nn.Module.flatten(gradParams)
        self.dTheta.zero()
        self.doubleQ = opt['doubleQ']
        self.epsilonStart = opt['epsilonStart']
        self.epsilon = self.epsilonStart
        self.PALpha = opt['PALpha']
        self.target = self.Tensor(self.m)
        self.totalSteps = math.floor(opt['steps'] / opt['threads'])
        self.setEpsilon(opt)
        self.tic = 0
        self.step = 0
        # Forward state anyway if recurrent
        self.alwaysComputeGreedyQ = opt['recurrent'] or not self.doubleQ
        self.QCurr = lg.Tensor(0)

    def setEpsilon(self, opt):
        r = lg.rand(1).squeeze()
        e = 2
        if r < EPSILON_PROBS[0]:
            e = 0
        elif r < EPSILON_PROBS[1]:
            e = 1
        self.epsilonEnd = EPSILON_ENDS[e]
        self.epsilonGrad = (self.epsilonEnd - opt['epsilonStart']) / opt['epsilonSteps']

    def eGreedy(self, state, net):
        self.epsilon = max(self.epsilonStart + (self.step - 1) * self.epsilonGrad, self.epsilonEnd)
        if self.alwaysComputeGreedyQ:
            self.QCurr = net.forward(state).squeeze()
        if lg.uniform() < self.epsilon:
            return lg.random(0, self.m)
        if not self.alwaysComputeGreedyQ:
            self.QCurr = net.forward(state).squeeze()
        _, maxIdx = self.QCurr.max(0)
        return maxIdx[0]

    def progress(self, steps):
        self.step = self.step + 1
        if self.atomic.inc() % self.tau == 0:
            self.targetTheta.copy(self.theta)

    def accumulateGradientTdErr(self, state, action, tdErr, net):
        if self.tdClip > 0:
            if tdErr > self.tdClip:
                tdErr = self.tdClip
            if tdErr < -self.tdClip:
                tdErr = -self.tdClip
        self.target.zero()
        self.target[action] = -tdErr
        net.backward(state, self.target)


# async/OneStepQAgent.lua
class OneStepQAgent(QAgent):
    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        super().__init__(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
        self.agentName = 'OneStepQAgent'
        self.lstm = opt['recurrent'] and self.policyNet.findModules('nn.FastLSTM')[0][0]
        self.lstmTarget = opt['recurrent'] and self.targetNet.findModules('nn.FastLSTM')[0][0]

    def learn(self, steps, from_=None):
        self.step = from_ if from_ is not None else 0
        self.policyNet.training()
        self.stateBuffer.clear()
        self.env.training()
        reward, terminal, state = self.start()
        action, state_ = None, None
        for step1 in range(1, steps + 1):
            if not terminal:
                action = self.eGreedy(state, self.policyNet)
                reward, terminal, state_ = self.takeAction(action)
            else:
                reward, terminal, state_ = self.start()

            if state is not None:
                self.accumulateGradient(state, action, state_, reward, terminal)
                self.batchIdx = self.batchIdx + 1

            if not terminal:
                state = state_
            else:
                if self.lstm:
                    self.lstm.forget()
                    self.lstmTarget.forget()
                state = None

            if self.batchIdx == self.batchSize or terminal:
                self.applyGradients(self.policyNet, self.dTheta, self.theta)
                if self.lstm:
                    self.lstm.forget()
                    self.lstmTarget.forget()
                self.batchIdx = 0

            self.progress(steps)

    def accumulateGradient(self, state, action, state_, reward, terminal):
        Y = reward
        if self.lstm:   # LSTM targetNet needs to see all states as well
            self.targetNet.forward(state)
        if not terminal:
            QPrimes = self.targetNet.forward(state_).squeeze()
            APrimeMax = QPrimes.max(0)[0].squeeze()
            if self.doubleQ:
                _, APrimeMaxInds = self.policyNet.forward(state_).squeeze().max(0)
                APrimeMax = QPrimes[APrimeMaxInds[0]]
            Y = Y + self.gamma * APrimeMax
        if self.doubleQ:
            self.QCurr = self.policyNet.forward(state).squeeze()
        tdErr = Y - self.QCurr[action]
        self.accumulateGradientTdErr(state, action, tdErr, self.policyNet)


# async/SarsaAgent.lua
class SarsaAgent(OneStepQAgent):
    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        super().__init__(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
        self.agentName = 'SarsaAgent'

    def accumulateGradient(self, state, action, state_, reward, terminal):
        Y = reward
        Q_state = self.QCurr[action]
        if not terminal:
            action_ = self.eGreedy(state_, self.targetNet)
            Y = Y + self.gamma * self.QCurr[action_]
        tdErr = Y - Q_state
        self.accumulateGradientTdErr(state, action, tdErr, self.policyNet)


# async/NStepQAgent.lua
class NStepQAgent(QAgent):
    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        super().__init__(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
        self.policyNet_ = self.policyNet.clone()
        self.policyNet_.training()
        self.theta_, self.dTheta_ = self.policyNet_.getParameters()
        self.dTheta_.zero()
        self.rewards = lg.Tensor(self.batchSize)
        self.actions = lg.ByteTensor(self.batchSize)
        self.states = lg.Tensor(0)
        self.env.training()
        self.alwaysComputeGreedyQ = False

    def learn(self, steps, from_=None):
        self.step = from_ if from_ is not None else 0
        self.stateBuffer.clear()
        reward, terminal, state = self.start()
        self.states.resize(self.batchSize, *state.size())
        while True:
            self.theta_.copy(self.theta)
            self.batchIdx = 0
            while True:
                self.batchIdx = self.batchIdx + 1
                self.states[self.batchIdx - 1].copy(state)
                action = self.eGreedy(state, self.policyNet_)
                self.actions[self.batchIdx - 1] = action
                reward, terminal, state = self.takeAction(action)
                self.rewards[self.batchIdx - 1] = reward
                self.progress(steps)
                if terminal or self.batchIdx == self.batchSize:
                    break
            self.accumulateGradients(terminal, state)
            if terminal:
                reward, terminal, state = self.start()
            self.applyGradients(self.policyNet_, self.dTheta_, self.theta)
            if self.step >= steps:
                break

    def accumulateGradients(self, terminal, state):
        R = 0
        if not terminal:
            QPrimes = self.targetNet.forward(state).squeeze()
            APrimeMax = QPrimes.max(0)[0].squeeze()
            if self.doubleQ:
                _, APrimeMaxInds = self.policyNet_.forward(state).squeeze().max(0)
                APrimeMax = QPrimes[APrimeMaxInds[0]]
            R = APrimeMax
        for i in range(self.batchIdx - 1, -1, -1):
            R = self.rewards[i] + self.gamma * R
            Q_i = self.policyNet_.forward(self.states[i]).squeeze()
            tdErr = R - Q_i[self.actions[i]]
            self.accumulateGradientTdErr(self.states[i], self.actions[i], tdErr, self.policyNet_)


# async/A3CAgent.lua
TINY_EPSILON = 1e-20


class A3CAgent(AsyncAgent):
    def __init__(self, opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG):
        super().__init__(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
        self.policyNet_ = policyNet.clone()
        self.theta_, self.dTheta_ = self.policyNet_.getParameters()
        self.dTheta_.zero()
        self.policyTarget = self.Tensor(self.m)
        self.vTarget = self.Tensor(1)
        self.targets = [self.vTarget, self.policyTarget]
        self.rewards = lg.Tensor(self.batchSize)
        self.actions = lg.ByteTensor(self.batchSize)
        self.states = lg.Tensor(0)
        self.beta = opt['entropyBeta']
        self.env.training()

    def learn(self, steps, from_=None):
        self.step = from_ if from_ is not None else 0
        self.stateBuffer.clear()
        reward, terminal, state = self.start()
        self.states.resize(self.batchSize, *state.size())
        while True:
            self.theta_.copy(self.theta)
            self.batchIdx = 0
            while True:
                self.batchIdx = self.batchIdx + 1
                self.states[self.batchIdx - 1].copy(state)
                V, probability = self.policyNet_.forward(state)
                action = lg.multinomial(probability, 1).squeeze()
                self.actions[self.batchIdx - 1] = action
                reward, terminal, state = self.takeAction(action)
                self.rewards[self.batchIdx - 1] = reward
                self.progress(steps)
                if terminal or self.batchIdx == self.batchSize:
                    break
            self.accumulateGradients(terminal, state)
            if terminal:
                reward, terminal, state = self.start()
            self.applyGradients(self.policyNet_, self.dTheta_, self.theta)
            if self.step >= steps:
                break

    def accumulateGradients(self, terminal, state):
        R = 0
        if not terminal:
            R = self.policyNet_.forward(state)[0]
        for i in range(self.batchIdx - 1, -1, -1):
            R = self.rewards[i] + self.gamma * R
            action = self.actions[i]
            V, probability = self.policyNet_.forward(self.states[i])
            probability.add(TINY_EPSILON)   # could contain 0 -> log(0)= -inf -> theta = nans
            self.vTarget[0] = -0.5 * (R - V)
            # ∇θ logp(s) = 1/p(a) for chosen a, 0 otherwise
            self.policyTarget.zero()
            # f(s) ∇θ logp(s)
            self.policyTarget[action] = -(R - V) / probability[action]   # Negative target for gradient descent
            # Calculate (negative of) gradient of entropy of policy (for gradient descent): -(-logp(s) - 1)
            gradEntropy = lg.log(probability) + 1
            # Add to target to improve exploration (prevent convergence to suboptimal deterministic policy)
            self.policyTarget.add(self.beta, gradEntropy)
            self.policyNet_.backward(self.states[i], self.targets)

    def progress(self, steps):
        self.atomic.inc()
        self.step = self.step + 1


# async/AsyncMaster.lua: the model and its shared vectors in the main thread, one agent per worker
class AsyncMaster:
    def __init__(self, opt):
        self.opt = opt
        policyNet = Model(opt).create()   # AsyncModel:createNet
        self.policyNet = policyNet
        self.theta = policyNet.getParameters()[0]
        self.atomic = tds.AtomicCounter()
        targetNet = policyNet.clone()
        self.targetTheta = targetNet.getParameters()[0]
        sharedG = self.theta.clone().zero()

        theta, targetTheta, atomic = self.theta, self.targetTheta, self.atomic

        def torchSetup():
            # Set number of BLAS threads to 1 (per thread)
            lg.setnumthreads(1)
            # Set default Tensor type (float is more efficient than double)
            lg.setdefaulttensortype(opt['tensorType'])
            # Set manual seed (different for each thread to have different experiences)
            lg.manualSeed(opt['seed'] * (threads.threadid() + 1))

        mutex = threads.Mutex()
        mutexId = mutex.id()

        def buildAgent():
            mutex1 = threads.Mutex(mutexId)
            mutex1.lock()
            threads.local.agent = AsyncAgent.build(opt, policyNet, targetNet, theta, targetTheta, atomic, sharedG)
            mutex1.unlock()

        self.pool = threads.Threads(self.opt['threads'], lambda: None, torchSetup, buildAgent)
        self.mutex = mutex

    def start(self):
        stepsToGo = math.floor(self.opt['steps'] / self.opt['threads'])
        startStep = 0
        for i in range(self.opt['threads']):
            self.pool.addjob(lambda: threads.local.agent.learn(stepsToGo, startStep))
        self.pool.synchronize()
        self.pool.terminate()
        self.mutex.free()
