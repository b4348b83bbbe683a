"""deepmind/dqn ported line by line: dqn/NeuralQLearner.lua's agent (``__init`` lines 14-154, ``preprocess``
170-177, ``getQUpdate`` 180-237, ``qLearnMinibatch`` 240-278: targets from the max over the target network,
``clip_delta``, the RMSProp-like update with the ``g``, ``g2``, ``tmp`` and ``deltas`` tensors on the flat
parameter vector; ``sample_validation_data``, ``compute_validation_statistics`` and ``perceive`` 281-366;
``eGreedy``/``greedy`` 368-412), TransitionTable.lua (the replay memory: byte frames, histories across
episode boundaries, the sampling buffer; lines 1-376 without its own ``write``/``read``), the network files it
``require``s (convnet.lua's ``create_network``, convnet_atari3.lua, net_downsample_2x_full_y.lua), the user
modules nn.Rectifier (Rectifier.lua) and nn.Scale (Scale.lua), nnutils.lua's weight norms, and
train_agent.lua's play loop on a toy game. Actions and positions are 0-based (Lua's 1 .. n_actions become
0 .. n_actions-1). The image is 36x36 instead of 84x84 (``input_dims`` is an argument)."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn


class Rectifier(nn.Module):
    """Rectifier.lua: max(0, x) as (|x| + x) / 2; this module accepts minibatches."""

    def updateOutput(self, input):
        return self.output.resizeAs(input).copy(input).abs().add(input).div(2)

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(self.output)
        return self.gradInput.sign(self.output).cmul(gradOutput)


class Scale(nn.Module):
    """Scale.lua: the luminance of an RGB frame, bilinearly scaled to height x width (forward overridden)."""

    def __init__(self, height, width):
        self.height = height
        self.width = width

    def forward(self, x):
        x = x
        if x.dim() > 3:
            x = x[0]
        x = image.rgb2y(x)
        x = image.scale(x, self.width, self.height, 'bilinear')
        return x

    def updateOutput(self, input):
        return self.forward(input)

    def float(self):
        pass


def create_network(args):
    """convnet.lua."""
    net = nn.Sequential()
    net.add(nn.Reshape(*args.input_dims))

    # first convolutional layer
    convLayer = nn.SpatialConvolution

    net.add(convLayer(args.hist_len * args.ncols, args.n_units[0],
                      args.filter_size[0], args.filter_size[0],
                      args.filter_stride[0], args.filter_stride[0], 1))
    net.add(args.nl())

    # Add convolutional layers
    for i in range(len(args.n_units) - 1):
        # second convolutional layer
        net.add(convLayer(args.n_units[i], args.n_units[i + 1],
                          args.filter_size[i + 1], args.filter_size[i + 1],
                          args.filter_stride[i + 1], args.filter_stride[i + 1]))
        net.add(args.nl())

    nel = net.forward(lg.zeros(1, *args.input_dims)).nElement()

    # reshape all feature planes into a vector per example
    net.add(nn.Reshape(nel))

    # fully connected layer
    net.add(nn.Linear(nel, args.n_hid[0]))
    net.add(args.nl())
    last_layer_size = args.n_hid[0]

    for i in range(len(args.n_hid) - 1):
        # add Linear layer
        last_layer_size = args.n_hid[i + 1]
        net.add(nn.Linear(args.n_hid[i], last_layer_size))
        net.add(args.nl())

    # add the last fully connected layer (to actions)
    net.add(nn.Linear(last_layer_size, args.n_actions))
    if args.verbose >= 2:
        print(net)
        print('Convolutional layers flattened output size:', nel)
    return net


def convnet_atari3(args):
    """convnet_atari3.lua."""
    args.n_units = [32, 64, 64]
    args.filter_size = [8, 4, 3]
    args.filter_stride = [4, 2, 1]
    args.n_hid = [512]
    args.nl = Rectifier
    return create_network(args)


def net_downsample_2x_full_y(args):
    """net_downsample_2x_full_y.lua: Y (luminance). The Lua passes a third argument, ``true``, that Scale's
    __init never names (Lua drops it; Python would refuse it); 84x84 is 36x36 here."""
    return Scale(36, 36)


# require: the network files by name (Lua's package path)
_FILES = {'convnet_atari3': convnet_atari3, 'net_downsample_2x_full_y': net_downsample_2x_full_y}


def require(name):
    return _FILES[name]


class TransitionTable:
    """TransitionTable.lua (dqn.TransitionTable): the replay memory. Frames are stored as bytes (0..255), one
    row per step, with the action, reward and terminal flag of that step; a state is the last ``histLen``
    frames (``histIndices``: how far back each lies), frames of an earlier episode zeroed. ``sample`` hands out
    minibatches from a buffer of ``bufferSize`` transitions, refilled at random when used up. Positions are
    0-based: ``insertIndex`` is the last row written (-1 before the first), ``buf_ind`` the next buffer row;
    actions are 0-based. ``write``/``read`` (the Lua's own serialisation of an empty table) are not ported."""

    def __init__(self, args):
        self.stateDim = args['stateDim']
        self.numActions = args['numActions']
        self.histLen = args['histLen']
        self.maxSize = args.get('maxSize', 1024 ** 2)
        self.bufferSize = args.get('bufferSize', 1024)
        self.histType = args.get('histType', "linear")
        self.histSpacing = args.get('histSpacing', 1)
        self.zeroFrames = args.get('zeroFrames', 1)
        self.nonTermProb = args.get('nonTermProb', 1)
        self.nonEventProb = args.get('nonEventProb', 1)
        self.gpu = args.get('gpu')
        self.numEntries = 0
        self.insertIndex = -1
        self.buf_ind = None

        self.histIndices = []
        histLen = self.histLen
        if self.histType == "linear":
            # History is the last histLen frames.
            self.recentMemSize = self.histSpacing * histLen
            for i in range(histLen):
                self.histIndices.append((i + 1) * self.histSpacing)
        elif self.histType == "exp2":
            # The ith history frame is from 2^(i-1) frames ago.
            self.recentMemSize = 2 ** (histLen - 1)
            self.histIndices.append(1)
            for i in range(histLen - 1):
                self.histIndices.append(self.histIndices[i] + 2 ** (7 - (i + 1)))
        elif self.histType == "exp1.25":
            # The ith history frame is from 1.25^(i-1) frames ago.
            self.histIndices = [None] * histLen
            self.histIndices[histLen - 1] = 1
            for i in range(histLen - 2, -1, -1):
                self.histIndices[i] = math.ceil(1.25 * self.histIndices[i + 1]) + 1
            self.recentMemSize = self.histIndices[0]
            for i in range(histLen):
                self.histIndices[i] = self.recentMemSize - self.histIndices[i] + 1

        self.s = lg.ByteTensor(self.maxSize, self.stateDim).fill(0)
        self.a = lg.LongTensor(self.maxSize).fill(0)
        self.r = lg.zeros(self.maxSize)
        self.t = lg.ByteTensor(self.maxSize).fill(0)
        self.action_encodings = lg.eye(self.numActions)

        # Tables for storing the last histLen states.  They are used for
        # constructing the most recent agent state more easily.
        self.recent_s = []
        self.recent_a = []
        self.recent_t = []

        s_size = self.stateDim * histLen
        self.buf_a = lg.LongTensor(self.bufferSize).fill(0)
        self.buf_r = lg.zeros(self.bufferSize)
        self.buf_term = lg.ByteTensor(self.bufferSize).fill(0)
        self.buf_s = lg.ByteTensor(self.bufferSize, s_size).fill(0)
        self.buf_s2 = lg.ByteTensor(self.bufferSize, s_size).fill(0)

        if self.gpu is not None and self.gpu >= 0:
            self.gpu_s = self.buf_s.float().cuda()
            self.gpu_s2 = self.buf_s2.float().cuda()

    def reset(self):
        self.numEntries = 0
        self.insertIndex = -1

    def size(self):
        return self.numEntries

    def empty(self):
        return self.numEntries == 0

    def fill_buffer(self):
        assert self.numEntries >= self.bufferSize
        # clear CPU buffers
        self.buf_ind = 0
        for buf_ind in range(self.bufferSize):
            s, a, r, s2, term = self.sample_one()   # the Lua's argument 1 is one sample_one never names
            self.buf_s[buf_ind].copy(s)
            self.buf_a[buf_ind] = a
            self.buf_r[buf_ind] = r
            self.buf_s2[buf_ind].copy(s2)
            self.buf_term[buf_ind] = term
        self.buf_s = self.buf_s.float().div(255)
        self.buf_s2 = self.buf_s2.float().div(255)
        if self.gpu is not None and self.gpu >= 0:
            self.gpu_s.copy(self.buf_s)
            self.gpu_s2.copy(self.buf_s2)

    def sample_one(self):
        assert self.numEntries > 1
        valid = False
        while not valid:
            # start at 1 (Lua's 2) because of previous action
            index = lg.random(1, self.numEntries - self.recentMemSize)
            if self.t[index + self.recentMemSize - 1] == 0:
                valid = True
            if self.nonTermProb < 1 and self.t[index + self.recentMemSize] == 0 and \
                    lg.uniform() > self.nonTermProb:
                # Discard non-terminal states with probability (1-nonTermProb).
                # Note that this is the terminal flag for s_{t+1}.
                valid = False
            if self.nonEventProb < 1 and self.t[index + self.recentMemSize] == 0 and \
                    self.r[index + self.recentMemSize - 1] == 0 and \
                    lg.uniform() > self.nonTermProb:
                # Discard non-terminal or non-reward states with
                # probability (1-nonTermProb).
                valid = False
        return self.get(index)

    def sample(self, batch_size=None):
        batch_size = batch_size if batch_size is not None else 1
        assert batch_size < self.bufferSize

        if self.buf_ind is None or self.buf_ind + batch_size > self.bufferSize:
            self.fill_buffer()

        index = self.buf_ind

        self.buf_ind = self.buf_ind + batch_size
        rows = slice(index, index + batch_size)

        buf_s, buf_s2, buf_a, buf_r, buf_term = self.buf_s, self.buf_s2, \
            self.buf_a, self.buf_r, self.buf_term
        if self.gpu is not None and self.gpu >= 0:
            buf_s = self.gpu_s
            buf_s2 = self.gpu_s2

        return buf_s[rows], buf_a[rows], buf_r[rows], buf_s2[rows], buf_term[rows]

    def concatFrames(self, index, use_recent=False):
        if use_recent:
            s, t = self.recent_s, self.recent_t
        else:
            s, t = self.s, self.t

        fullstate = s[0].new()
        fullstate.resize(self.histLen, *s[0].size().totable())

        # Zero out frames from all but the most recent episode.
        zero_out = False
        episode_start = self.histLen - 1

        for i in range(self.histLen - 2, -1, -1):
            if not zero_out:
                for j in range(index + self.histIndices[i] - 1, index + self.histIndices[i + 1] - 1):
                    if t[j] == 1:
                        zero_out = True
                        break

            if zero_out:
                fullstate[i].zero()
            else:
                episode_start = i

        if self.zeroFrames == 0:
            episode_start = 0

        # Copy frames from the current episode.
        for i in range(episode_start, self.histLen):
            fullstate[i].copy(s[index + self.histIndices[i] - 1])

        return fullstate

    def concatActions(self, index, use_recent=False):
        act_hist = lg.FloatTensor(self.histLen, self.numActions)
        if use_recent:
            a, t = self.recent_a, self.recent_t
        else:
            a, t = self.a, self.t

        # Zero out frames from all but the most recent episode.
        zero_out = False
        episode_start = self.histLen - 1

        for i in range(self.histLen - 2, -1, -1):
            if not zero_out:
                for j in range(index + self.histIndices[i] - 1, index + self.histIndices[i + 1] - 1):
                    if t[j] == 1:
                        zero_out = True
                        break

            if zero_out:
                act_hist[i].zero()
            else:
                episode_start = i

        if self.zeroFrames == 0:
            episode_start = 0

        # Copy frames from the current episode.
        for i in range(episode_start, self.histLen):
            act_hist[i].copy(self.action_encodings[a[index + self.histIndices[i] - 1]])

        return act_hist

    def get_recent(self):
        # Assumes that the most recent state has been added, but the action has not
        return self.concatFrames(0, True).float().div(255)

    def get(self, index):
        s = self.concatFrames(index)
        s2 = self.concatFrames(index + 1)
        ar_index = index + self.recentMemSize - 1

        return s, self.a[ar_index], self.r[ar_index], s2, self.t[ar_index + 1]

    def add(self, s, a, r, term):
        assert s is not None, 'State cannot be nil'
        assert a is not None, 'Action cannot be nil'
        assert r is not None, 'Reward cannot be nil'

        # Incremenet until at full capacity
        if self.numEntries < self.maxSize:
            self.numEntries = self.numEntries + 1

        # Always insert at next index, then wrap around
        self.insertIndex = self.insertIndex + 1
        # Overwrite oldest experience once at capacity
        if self.insertIndex >= self.maxSize:
            self.insertIndex = 0

        # Overwrite (s,a,r,t) at insertIndex
        self.s[self.insertIndex] = s.clone().float().mul(255)
        self.a[self.insertIndex] = a
        self.r[self.insertIndex] = r
        if term:
            self.t[self.insertIndex] = 1
        else:
            self.t[self.insertIndex] = 0

    def add_recent_state(self, s, term):
        s = s.clone().float().mul(255).byte()
        if len(self.recent_s) == 0:
            for i in range(self.recentMemSize):
                self.recent_s.append(s.clone().zero())
                self.recent_t.append(1)

        self.recent_s.append(s)
        if term:
            self.recent_t.append(1)
        else:
            self.recent_t.append(0)

        # Keep recentMemSize states.
        if len(self.recent_s) > self.recentMemSize:
            self.recent_s.pop(0)
            self.recent_t.pop(0)

    def add_recent_action(self, a):
        if len(self.recent_a) == 0:
            for i in range(self.recentMemSize):
                self.recent_a.append(0)

        self.recent_a.append(a)

        # Keep recentMemSize steps.
        if len(self.recent_a) > self.recentMemSize:
            self.recent_a.pop(0)


class FixedMinibatch:
    """A stand-in for the transition table where a test needs one known minibatch: ``sample(n)`` returns the
    first ``n`` rows of ``batch`` (s, a, r, s2, term); ``size()`` is one more than its rows, the fewest
    transitions a real table holds when qLearnMinibatch's ``size() > minibatch_size`` lets it sample them."""

    def __init__(self, batch):
        self.batch = batch

    def size(self):
        return self.batch[0].size(0) + 1

    def sample(self, size):
        s, a, r, s2, term = self.batch
        return s[:size], a[:size], r[:size], s2[:size], term[:size]


class NeuralQLearner:
    def __init__(self, args):
        self.state_dim = args['state_dim']    # State dimensionality.
        self.actions = args['actions']
        self.n_actions = len(self.actions)
        self.verbose = args.get('verbose')
        self.best = args.get('best')

        # epsilon annealing
        self.ep_start = args.get('ep', 1)
        self.ep = self.ep_start               # Exploration probability.
        self.ep_end = args.get('ep_end', self.ep)
        self.ep_endt = args.get('ep_endt', 1000000)

        # learning rate annealing
        self.lr_start = args.get('lr', 0.01)     # Learning rate.
        self.lr = self.lr_start
        self.lr_end = args.get('lr_end', self.lr)
        self.lr_endt = args.get('lr_endt', 1000000)
        self.wc = args.get('wc', 0)              # L2 weight cost.
        self.minibatch_size = args.get('minibatch_size', 1)
        self.valid_size = args.get('valid_size', 500)

        # Q-learning parameters
        self.discount = args.get('discount', 0.99)    # Discount factor.
        self.update_freq = args.get('update_freq', 1)
        # Number of points to replay per learning step.
        self.n_replay = args.get('n_replay', 1)
        # Number of steps after which learning starts.
        self.learn_start = args.get('learn_start', 0)
        # Size of the transition table.
        self.replay_memory = args.get('replay_memory', 1000000)
        self.hist_len = args.get('hist_len', 1)
        self.rescale_r = args.get('rescale_r')
        self.max_reward = args.get('max_reward')
        self.min_reward = args.get('min_reward')
        self.clip_delta = args.get('clip_delta')
        self.target_q = args.get('target_q')
        self.bestq = 0

        self.gpu = args.get('gpu')

        self.ncols = args.get('ncols', 1)    # number of color channels in input
        self.input_dims = args.get('input_dims', [self.hist_len * self.ncols, 84, 84])
        self.preproc = args.get('preproc')     # name of preprocessing network
        self.histType = args.get('histType', "linear")    # history type to use
        self.histSpacing = args.get('histSpacing', 1)
        self.nonTermProb = args.get('nonTermProb', 1)
        self.bufferSize = args.get('bufferSize', 512)

        self.transition_params = args.get('transition_params', {})

        self.network = args['network'] if args.get('network') is not None else self.createNetwork()

        # check whether there is a network file
        if not isinstance(self.network, str):
            raise TypeError("The type of the network provided in NeuralQLearner is not a string!")
        self.network = require(self.network)
        self.network = self.network(self)       # self:network(): the file's function gets the agent as args

        if self.gpu is not None and self.gpu >= 0:
            self.network.cuda()
        else:
            self.network.float()

        # Load preprocessing network.
        self.preproc = require(self.preproc)
        self.preproc = self.preproc(self)
        self.preproc.float()

        if self.gpu is not None and self.gpu >= 0:
            self.network.cuda()
            self.tensor_type = lg.CudaTensor
        else:
            self.network.float()
            self.tensor_type = lg.FloatTensor

        # Create transition table.
        # -- assuming the transition table always gets floating point input
        # -- (Foat or Cuda tensors) and always returns one of the two, as required
        # -- internally it always uses ByteTensors for states, scaling and
        # -- converting accordingly
        transition_args = {
            'stateDim': self.state_dim, 'numActions': self.n_actions,
            'histLen': self.hist_len, 'gpu': self.gpu,
            'maxSize': self.replay_memory, 'histType': self.histType,
            'histSpacing': self.histSpacing, 'nonTermProb': self.nonTermProb,
            'bufferSize': self.bufferSize
        }

        self.transitions = TransitionTable(transition_args)

        self.numSteps = 0    # Number of perceived states.
        self.lastState = None
        self.lastAction = None
        self.v_avg = 0       # V running average.
        self.tderr_avg = 0   # TD error running average.

        self.q_max = 1
        self.r_max = 1

        self.w, self.dw = self.network.getParameters()
        self.dw.zero()

        self.deltas = self.dw.clone().fill(0)

        self.tmp = self.dw.clone().fill(0)
        self.g = self.dw.clone().fill(0)
        self.g2 = self.dw.clone().fill(0)

        if self.target_q:
            self.target_network = self.network.clone()

    def preprocess(self, rawstate):
        if self.preproc:
            return self.preproc.forward(rawstate.float()).clone().reshape(self.state_dim)
        return rawstate

    def getQUpdate(self, args):
        s = args['s']
        a = args['a']
        r = args['r']
        s2 = args['s2']
        term = args['term']

        # The order of calls to forward is a bit odd in order
        # to avoid unnecessary calls (we only need 2).

        # delta = r + (1-terminal) * gamma * max_a Q(s2, a) - Q(s, a)
        term = term.clone().float().mul(-1).add(1)

        if self.target_q:
            target_q_net = self.target_network
        else:
            target_q_net = self.network

        # Compute max_a Q(s_2, a).
        q2_max = target_q_net.forward(s2).float().max(1)[0]

        # Compute q2 = (1-terminal) * gamma * max_a Q(s2, a)
        q2 = q2_max.clone().mul(self.discount).cmul(term)

        delta = r.clone().float()

        if self.rescale_r:
            delta.div(self.r_max)
        delta.add(q2)

        # q = Q(s,a)
        q_all = self.network.forward(s).float()
        q = lg.FloatTensor(q_all.size(0))
        for i in range(q_all.size(0)):
            q[i] = q_all[i][a[i]]
        delta.add(-1, q)

        if self.clip_delta:
            delta[delta.ge(self.clip_delta)] = self.clip_delta
            delta[delta.le(-self.clip_delta)] = -self.clip_delta

        targets = lg.zeros(self.minibatch_size, self.n_actions).float()
        for i in range(min(self.minibatch_size, a.size(0))):
            targets[i][a[i]] = delta[i]

        if self.gpu >= 0:
            targets = targets.cuda()

        return targets, delta, q2_max

    def qLearnMinibatch(self):
        # Perform a minibatch Q-learning update:
        # w += alpha * (r + gamma max Q(s2,a2) - Q(s,a)) * dQ(s,a)/dw
        assert self.transitions.size() > self.minibatch_size

        s, a, r, s2, term = self.transitions.sample(self.minibatch_size)

        targets, delta, q2_max = self.getQUpdate({'s': s, 'a': a, 'r': r, 's2': s2, 'term': term,
                                                  'update_qmax': True})

        # zero gradients of parameters
        self.dw.zero()

        # get new gradient
        self.network.backward(s, targets)

        # add weight cost to gradient
        self.dw.add(-self.wc, self.w)

        # compute linearly annealed learning rate
        t = max(0, self.numSteps - self.learn_start)
        self.lr = (self.lr_start - self.lr_end) * (self.lr_endt - t) / self.lr_endt + self.lr_end
        self.lr = max(self.lr, self.lr_end)

        # use gradients
        self.g.mul(0.95).add(0.05, self.dw)
        self.tmp.cmul(self.dw, self.dw)
        self.g2.mul(0.95).add(0.05, self.tmp)
        self.tmp.cmul(self.g, self.g)
        self.tmp.mul(-1)
        self.tmp.add(self.g2)
        self.tmp.add(0.01)
        self.tmp.sqrt()

        # accumulate update
        self.deltas.mul(0).addcdiv(self.lr, self.dw, self.tmp)
        self.w.add(self.deltas)

    def sample_validation_data(self):
        s, a, r, s2, term = self.transitions.sample(self.valid_size)
        self.valid_s = s.clone()
        self.valid_a = a.clone()
        self.valid_r = r.clone()
        self.valid_s2 = s2.clone()
        self.valid_term = term.clone()

    def compute_validation_statistics(self):
        targets, delta, q2_max = self.getQUpdate({'s': self.valid_s, 'a': self.valid_a, 'r': self.valid_r,
                                                  's2': self.valid_s2, 'term': self.valid_term})

        self.v_avg = self.q_max * q2_max.mean()
        self.tderr_avg = delta.clone().abs().mean()

    def perceive(self, reward, rawstate, terminal, testing=False, testing_ep=None):
        # Preprocess state (will be set to nil if terminal)
        state = self.preprocess(rawstate).float()

        # `if self.max_reward then`: only nil is false in Lua, so a bound of 0 applies
        if self.max_reward is not None:
            reward = min(reward, self.max_reward)
        if self.min_reward is not None:
            reward = max(reward, self.min_reward)
        if self.rescale_r is not None:
            self.r_max = max(self.r_max, reward)

        self.transitions.add_recent_state(state, terminal)

        currentFullState = self.transitions.get_recent()  # noqa: F841  (computed and unused in the Lua too)

        # Store transition s, a, r, s'
        if self.lastState is not None and not testing:
            # the Lua passes a fifth argument, the global `priority` (nil), that add never names
            self.transitions.add(self.lastState, self.lastAction, reward, self.lastTerminal)

        if self.numSteps == self.learn_start + 1 and not testing:
            self.sample_validation_data()

        curState = self.transitions.get_recent()
        curState = curState.resize(1, *self.input_dims)

        # Select action
        actionIndex = 0
        if not terminal:
            actionIndex = self.eGreedy(curState, testing_ep)

        self.transitions.add_recent_action(actionIndex)

        # Do some Q-learning updates
        if self.numSteps > self.learn_start and not testing and \
                self.numSteps % self.update_freq == 0:
            for i in range(self.n_replay):
                self.qLearnMinibatch()

        if not testing:
            self.numSteps = self.numSteps + 1

        self.lastState = state.clone()
        self.lastAction = actionIndex
        self.lastTerminal = terminal

        if self.target_q and self.numSteps % self.target_q == 1:
            self.target_network = self.network.clone()

        if not terminal:
            return actionIndex
        else:
            return -1   # the Lua's 0, one below its first action: no action

    def eGreedy(self, state, testing_ep=None):
        # testing_ep or (...): Lua's `or` keeps a testing_ep of 0 (only nil and false are false)
        self.ep = testing_ep if testing_ep is not None else (self.ep_end + max(0, (self.ep_start - self.ep_end) * (
            self.ep_endt - max(0, self.numSteps - self.learn_start)) / self.ep_endt))
        # Epsilon greedy
        if lg.uniform() < self.ep:
            return lg.random(0, self.n_actions)
        else:
            return self.greedy(state)

    def greedy(self, state):
        # Turn single state into minibatch.  Needed for convolutional nets.
        if state.dim() == 2:
            assert False, 'Input must be at least 3D'

        if self.gpu >= 0:
            state = state.cuda()

        q = self.network.forward(state).float().squeeze()
        maxq = q[0]
        besta = [0]

        # Evaluate all other actions (with random tie-breaking)
        for a in range(1, self.n_actions):
            if q[a] > maxq:
                besta = [a]
                maxq = q[a]
            elif q[a] == maxq:
                besta.append(a)
        self.bestq = maxq

        r = lg.random(0, len(besta))

        self.lastAction = besta[r]

        return besta[r]

    def createNetwork(self):
        n_hid = 128
        mlp = nn.Sequential()
        mlp.add(nn.Reshape(self.hist_len * self.ncols * self.state_dim))
        mlp.add(nn.Linear(self.hist_len * self.ncols * self.state_dim, n_hid))
        mlp.add(Rectifier())
        mlp.add(nn.Linear(n_hid, n_hid))
        mlp.add(Rectifier())
        mlp.add(nn.Linear(n_hid, self.n_actions))
        return mlp


def recursive_map(module, field, func):
    """nnutils.lua."""
    s = ""
    if getattr(module, field, None) is not None or getattr(module, 'modules', None) is not None:
        s = s + lg.typename(module) + ": "
    if getattr(module, field, None) is not None:
        s = s + str(func(getattr(module, field)))
    if getattr(module, 'modules', None) is not None:
        s = s + "["
        for i, submodule in enumerate(module.modules):
            submodule_str = recursive_map(submodule, field, func)
            s = s + submodule_str
            if i < len(module.modules) - 1 and len(submodule_str) > 0:
                s = s + " "
        s = s + "]"
    return s


def abs_mean(w):
    return lg.mean(lg.abs(w.clone().float()))


def abs_max(w):
    return lg.abs(w.clone().float()).max()


def get_weight_norms(module):
    return ("Weight norms:\n" + recursive_map(module, "weight", abs_mean) +
            "\nWeight max:\n" + recursive_map(module, "weight", abs_max))


def _agent(**changes):
    """run_cpu's agent_params, with a 36x36 frame, a minibatch of 8 and a replay memory of 256 (a buffer of 32)."""
    args = {'lr': 0.00025, 'ep': 1, 'ep_end': 0.1, 'ep_endt': 1000000, 'discount': 0.99, 'hist_len': 4,
            'learn_start': 0, 'network': 'convnet_atari3', 'preproc': 'net_downsample_2x_full_y',
            'state_dim': 36 * 36, 'minibatch_size': 8, 'rescale_r': 1, 'ncols': 1, 'target_q': 10000,
            'clip_delta': 1, 'min_reward': -1, 'max_reward': 1, 'gpu': -1, 'verbose': 0,
            'actions': [0, 1, 3, 4], 'input_dims': [4, 36, 36], 'replay_memory': 256, 'bufferSize': 32}
    args.update(changes)
    return NeuralQLearner(args)


def _minibatch(agent, n=8):
    """A fixed minibatch: states, 0-based actions, rewards, next states, terminal flags."""
    s = lg.Tensor(n, agent.state_dim * agent.hist_len).uniform(0, 1)
    s2 = lg.Tensor(n, agent.state_dim * agent.hist_len).uniform(0, 1)
    a = lg.LongTensor(n).random(0, agent.n_actions)
    r = lg.Tensor(n).uniform(-1, 1)
    term = lg.ByteTensor(n).random(0, 2)
    return s, a, r, s2, term


def test_convnet_atari3_built_small():
    """convnet.lua through convnet_atari3's settings on 4x36x36 stacks: the first convolution pads by 1
    (padH defaults to padW, as nn's), the forward of zeros sizes the flattened features (64 x 1 x 1), and the
    parameter count is that of the layers' shapes (with biases)."""
    agent = _agent()
    net = agent.network
    assert net.get(1).padW == 1 and net.get(1).padH == 1
    nel = 64 * 1 * 1          # 36 + 2 - 8 -> 7 -> 8 planes of 8x8; (8-4)/2+1 = 3; 3-3+1 = 1
    expected = (4 * 32 * 64 + 32) + (32 * 64 * 16 + 64) + (64 * 64 * 9 + 64) + (nel * 512 + 512) + (512 * 4 + 4)
    assert agent.w.nElement() == expected
    q = net.forward(lg.Tensor(3, 4 * 36 * 36).uniform(0, 1))
    assert tuple(q.size()) == (3, 4) and agent.w.type() == 'torch.FloatTensor'
    assert agent.target_network is not agent.network
    assert agent.target_network.getParameters()[0].storage() is not agent.w.storage()


def test_rectifier_user_module():
    """Rectifier.lua's (|x| + x) / 2 and its sign(output) gradient, written as a user module: ReLU's values,
    and the gradient of a positive output passes, of a zero one does not."""
    x = lg.Tensor([[-2, 0.5, 3], [1, -1, 0]])
    m = Rectifier()
    np.testing.assert_array_equal(m.forward(x).numpy(), np.maximum(x.numpy(), 0))
    g = m.backward(x, lg.Tensor([[1, 2, 3], [4, 5, 6]]))
    np.testing.assert_array_equal(g.numpy(), [[0, 2, 3], [4, 0, 0]])


def test_preprocess_through_the_scale_module():
    """preprocess: Scale (a user module overriding forward and a no-op float()) takes the luminance of an
    RGB frame, scales it to 36x36, then ``:clone():reshape(state_dim)`` flattens it."""
    agent = _agent()
    frame = lg.Tensor(1, 3, 60, 50).uniform(0, 1)
    state = agent.preprocess(frame)
    assert tuple(state.size()) == (36 * 36,)
    y = 0.299 * frame[0, 0].numpy() + 0.587 * frame[0, 1].numpy() + 0.114 * frame[0, 2].numpy()
    assert abs(float(state.mean()) - y.mean()) < 0.01


def test_get_q_update_against_numpy():
    """getQUpdate: delta = r / r_max + (1 - term) * discount * max_a Q_target(s2, a) - Q(s, a), clipped to
    [-clip_delta, clip_delta]; targets hold delta at each row's action, zeros elsewhere; q2_max is the
    target network's column of maxima (batch x 1, as torch.max(2) keeps the dimension)."""
    agent = _agent(clip_delta=0.5)
    s, a, r, s2, term = _minibatch(agent)
    agent.target_network.getParameters()[0].mul(1.5)    # a target network apart from the online one
    targets, delta, q2_max = agent.getQUpdate({'s': s, 'a': a, 'r': r, 's2': s2, 'term': term})
    q2_all = agent.target_network.forward(s2).numpy().astype(np.float64)
    q_all = agent.network.forward(s).numpy().astype(np.float64)
    idx = a.numpy()
    raw = r.numpy() + (1 - term.numpy()) * 0.99 * q2_all.max(1) - q_all[np.arange(8), idx]
    want = np.clip(raw, -0.5, 0.5)
    assert (np.abs(raw) > 0.5).any() and (np.abs(raw) < 0.5).any()
    assert tuple(q2_max.size()) == (8, 1) and tuple(delta.size()) == (8,)
    np.testing.assert_allclose(q2_max.numpy()[:, 0], q2_all.max(1), rtol=1e-6)
    np.testing.assert_allclose(delta.numpy(), want, rtol=1e-5, atol=1e-6)
    expected = np.zeros((8, 4))
    expected[np.arange(8), idx] = want
    np.testing.assert_allclose(targets.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_q_learn_minibatch_update_against_numpy():
    """qLearnMinibatch: dw is the network's gradient for gradOutput = targets; then g = 0.95 g + 0.05 dw,
    g2 = 0.95 g2 + 0.05 dw^2, w += lr * dw / sqrt(g2 - g^2 + 0.01), on the flat vectors, step after step."""
    agent = _agent(wc=0.001)
    agent.transitions = FixedMinibatch(_minibatch(agent))
    g = np.zeros(agent.w.nElement())
    g2 = np.zeros_like(g)
    for step in range(3):
        w0 = agent.w.numpy().astype(np.float64).copy()
        s, a, r, s2, term = agent.transitions.sample(8)
        targets = agent.getQUpdate({'s': s, 'a': a, 'r': r, 's2': s2, 'term': term})[0]
        agent.dw.zero()
        agent.network.backward(s, targets)
        dw = agent.dw.numpy().astype(np.float64) - 0.001 * w0
        agent.qLearnMinibatch()
        g = 0.95 * g + 0.05 * dw
        g2 = 0.95 * g2 + 0.05 * dw * dw
        want = w0 + 0.00025 * dw / np.sqrt(g2 - g * g + 0.01)
        np.testing.assert_allclose(agent.w.numpy(), want, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(agent.g.numpy(), g, rtol=1e-4, atol=1e-9)
        agent.numSteps = agent.numSteps + 1
    assert float(agent.deltas.abs().max()) > 0


def test_q_learning_reduces_the_td_error():
    """Repeated qLearnMinibatch on one minibatch against the fixed target network (target_q) shrinks the
    mean |delta| (compute_validation_statistics' tderr_avg), with an unclipped delta and a larger lr."""
    agent = _agent(lr=0.005, clip_delta=None)
    agent.transitions = FixedMinibatch(_minibatch(agent))
    s, a, r, s2, term = agent.transitions.batch

    def tderr():
        delta = agent.getQUpdate({'s': s, 'a': a, 'r': r, 's2': s2, 'term': term})[1]
        return float(delta.clone().abs().mean())
    before = tderr()
    for i in range(8):
        agent.qLearnMinibatch()
    assert tderr() < 0.6 * before


def test_greedy_and_egreedy():
    """greedy returns the 0-based action of the largest Q value (ties broken at random among them); with
    testing_ep 0 eGreedy is greedy (a port writing Lua's ``testing_ep or ...`` as Python's ``or`` would
    explore at the annealed rate instead, about 1 at step 0), with 1 it draws every action."""
    agent = _agent()
    last = agent.network.get(agent.network.size() - 1)
    last.weight.zero()
    last.bias.copy(lg.Tensor([0.1, 0.7, 0.3, 0.7]))
    state = lg.Tensor(1, 4, 36, 36).uniform(0, 1)
    picks = {agent.greedy(state) for _ in range(30)}
    assert picks == {1, 3} and abs(agent.bestq - 0.7) < 1e-6
    last.bias[3] = 0.2
    assert [agent.eGreedy(state, 0) for _ in range(20)] == [1] * 20     # ep 0: always greedy
    drawn = {agent.eGreedy(state, 1) for _ in range(60)}
    assert drawn == {0, 1, 2, 3}


def test_weight_norms_report():
    """nnutils.lua's get_weight_norms: typename and the mean / max |weight| of every module that has one,
    nested in brackets by container."""
    agent = _agent()
    report = get_weight_norms(agent.network)
    first = agent.network.get(1).weight
    assert report.startswith("Weight norms:\nnn.Sequential: [nn.SpatialConvolution: ")
    assert f"nn.SpatialConvolution: {abs_mean(first)}" in report
    assert report.count("nn.Linear: ") == 4 and "Rectifier" not in report


@pytest.mark.gpu
def test_q_learning_step_on_the_gpu_matches_the_cpu():
    """``gpu = 0``: the network and its flat w, dw (and the g, g2, tmp, deltas cloned from dw) are CUDA tensors,
    the states too (TransitionTable's gpu buffers), the targets go to the GPU after getQUpdate; two learning
    steps give the CPU agent's parameters."""
    lg.manualSeed(3)
    gpu_agent = _agent(gpu=0)
    lg.manualSeed(3)
    cpu_agent = _agent()
    s, a, r, s2, term = _minibatch(cpu_agent)
    cpu_agent.transitions = FixedMinibatch((s, a, r, s2, term))
    gpu_agent.transitions = FixedMinibatch((s.cuda(), a, r, s2.cuda(), term))
    assert gpu_agent.w.type() == 'torch.CudaTensor' and gpu_agent.g2.type() == 'torch.CudaTensor'
    for agent in (cpu_agent, gpu_agent):
        for step in range(2):
            agent.qLearnMinibatch()
    np.testing.assert_allclose(gpu_agent.w.float().numpy(), cpu_agent.w.numpy(), rtol=1e-4, atol=1e-6)
    assert float(cpu_agent.deltas.abs().max()) > 0


def _table(**changes):
    """A small TransitionTable: 2-value frames, histories of 3, 20 rows, a buffer of 4."""
    args = {'stateDim': 2, 'numActions': 3, 'histLen': 3, 'maxSize': 20, 'bufferSize': 4}
    args.update(changes)
    return TransitionTable(args)


def _frames(n):
    """n float frames of 2 values in [0, 1] and the bytes ``add`` stores for them (C's truncating cast of
    x * 255 in float32, as THTensor's copy from float to byte)."""
    frames = [lg.FloatTensor([k / 19, 1 - k / 23]) for k in range(n)]
    stored = [(f.numpy() * np.float32(255)).astype(np.uint8) for f in frames]
    return frames, stored


def test_history_indices_of_the_three_history_types():
    """histIndices and recentMemSize as TransitionTable.lua computes them: linear steps of histSpacing;
    exp2 adds 2^(7-i) (its comment says 2^(i-1) frames ago; the code is ported, not the comment); exp1.25
    counts back from the newest frame by ceil(1.25 x) + 1."""
    linear = _table(histLen=4, histSpacing=2)
    assert linear.histIndices == [2, 4, 6, 8] and linear.recentMemSize == 8
    exp2 = _table(histLen=4, histType='exp2')
    assert exp2.histIndices == [1, 65, 97, 113] and exp2.recentMemSize == 8
    exp125 = _table(histLen=4, histType='exp1.25')
    assert exp125.histIndices == [1, 4, 6, 8] and exp125.recentMemSize == 8


def test_add_stores_bytes_and_get_zeroes_frames_of_the_previous_episode():
    """add writes frame x as the bytes of x * 255 with its 0-based action, reward and terminal flag; get(i)
    is the state of frames i .. i+2, s2 that of i+1 .. i+3, the action and reward of frame i+2 and the flag of
    frame i+3; a frame at or before a terminal one inside the window is zeroed."""
    table = _table()
    frames, stored = _frames(8)
    for k in range(8):
        table.add(frames[k], k % 3, 0.5 * k, k == 4)
    assert table.size() == 8 and table.insertIndex == 7 and not table.empty()
    np.testing.assert_array_equal(table.s[:8].numpy(), np.stack(stored))
    assert table.t.numpy()[:8].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    s, a, r, s2, term = table.get(1)                 # frames 1, 2, 3 -> 4: no terminal inside
    np.testing.assert_array_equal(s.numpy(), np.stack(stored[1:4]))
    np.testing.assert_array_equal(s2.numpy(), np.stack(stored[2:5]))
    assert (a, r, term) == (0, 1.5, 1) and s.type() == 'torch.ByteTensor'
    s, a, r, s2, term = table.get(3)                 # frames 3, 4, 5: 4 ended an episode
    np.testing.assert_array_equal(s.numpy(), np.stack([np.zeros(2, np.uint8)] * 2 + [stored[5]]))
    np.testing.assert_array_equal(s2.numpy(), np.stack([np.zeros(2, np.uint8), stored[5], stored[6]]))
    assert (a, r, term) == (2, 2.5, 0)
    table.zeroFrames = 0                             # zeroFrames 0: whole windows, episodes or not
    np.testing.assert_array_equal(table.get(3)[0].numpy(), np.stack(stored[3:6]))


def test_add_wraps_around_at_max_size():
    """Once maxSize rows are written, add overwrites the oldest: numEntries stays at maxSize."""
    table = _table(maxSize=5)
    frames, stored = _frames(7)
    for k in range(7):
        table.add(frames[k], 1, 0, False)
    assert table.size() == 5 and table.insertIndex == 1
    np.testing.assert_array_equal(table.s.numpy(), np.stack(stored[5:7] + stored[2:5]))
    table.reset()
    assert table.empty() and table.insertIndex == -1


def test_recent_states_and_actions():
    """add_recent_state keeps the last recentMemSize frames as bytes, first padding with zero frames marked
    terminal, so get_recent (floats / 255) shows only the frames of the current episode; concatActions gives
    one-hot rows of the recent actions."""
    table = _table()
    frames, stored = _frames(5)
    table.add_recent_state(frames[0], False)
    assert len(table.recent_s) == 3 and table.recent_t == [1, 1, 0]
    want = np.stack([np.zeros(2), np.zeros(2), stored[0] / np.float32(255)]).astype(np.float32)
    np.testing.assert_array_equal(table.get_recent().numpy(), want)
    for k in range(1, 5):
        table.add_recent_state(frames[k], False)
        table.add_recent_action(k % 3)
    recent = table.get_recent()
    assert recent.type() == 'torch.FloatTensor'
    np.testing.assert_array_equal(recent.numpy(), (np.stack(stored[2:5]) / np.float32(255)).astype(np.float32))
    assert table.recent_a == [2, 0, 1]
    np.testing.assert_array_equal(table.concatActions(0, True).numpy(), np.eye(3)[[2, 0, 1]])


def test_sample_hands_out_valid_transitions_from_its_buffer():
    """sample(n) hands out buffer rows in turn (floats / 255 of flattened byte histories) and refills the
    buffer with bufferSize random transitions when the next n rows would run past it; every transition is
    get(i) for an i whose state does not end on a terminal frame."""
    lg.manualSeed(5)
    table = _table(bufferSize=6)
    frames, stored = _frames(12)
    for k in range(12):
        table.add(frames[k], k % 3, k, k in (4, 9))
    valid = {}
    for i in range(1, 12 - table.recentMemSize):
        if table.t[i + table.recentMemSize - 1] == 0:
            s, a, r, s2, term = table.get(i)
            valid[tuple(s.numpy().ravel())] = (tuple(s2.numpy().ravel()), a, r, term)
    s, a, r, s2, term = table.sample(4)
    assert table.buf_ind == 4 and tuple(s.size()) == (4, 6) and s.type() == 'torch.FloatTensor'
    for k in range(4):
        key = tuple(np.rint(s[k].numpy() * 255).astype(np.uint8))
        assert key in valid
        assert valid[key] == (tuple(np.rint(s2[k].numpy() * 255).astype(np.uint8)), a[k], r[k], term[k])
    first = table.buf_s.clone()
    table.sample(2)                                  # rows 4 and 5: the same buffer
    assert table.buf_ind == 6 and lg.equal(table.buf_s, first)
    buffer = table.buf_s
    table.sample(2)                                  # past the end: refilled, in place (:float() of a
    assert table.buf_ind == 2 and table.buf_s is buffer    # FloatTensor is itself), bytes / 255 again
    assert not lg.equal(table.buf_s, first) and float(table.buf_s.max()) <= 1


def _toy_game(steps, seed=0):
    """A stream of (reward, RGB frame, terminal) as train_agent.lua's game_env gives them: a bright square
    whose column says which action pays, episodes of 7 frames."""
    rng = np.random.default_rng(seed)
    for step in range(steps):
        frame = np.zeros((1, 3, 40, 40), np.float32)
        column = int(rng.integers(0, 4))
        frame[0, :, 10:20, 10 * column:10 * column + 8] = 1
        yield column, lg.from_numpy(frame), step % 7 == 6


def test_perceive_plays_a_toy_game():
    """train_agent.lua's loop: perceive stores each transition (from the second call), samples the
    validation set at step learn_start + 1, learns every update_freq steps after learn_start (the parameters
    move), refreshes the target network every target_q steps, returns a 0-based action or -1 (the Lua's 0)
    at a terminal frame; testing calls store and count nothing."""
    lg.manualSeed(7)
    agent = _agent(learn_start=20, update_freq=2, minibatch_size=4, bufferSize=16, valid_size=8, target_q=5,
                   lr=0.001)            # learn_start >= bufferSize, as run_cpu's 50000 and 512
    before = agent.w.clone()
    actions = []
    reward = 0
    for column, frame, terminal in _toy_game(36):
        action = agent.perceive(reward, frame, terminal)
        actions.append(action)
        reward = 1 if action == column else 0
    assert agent.numSteps == 36 and agent.transitions.size() == 35
    assert [a for t, a in enumerate(actions) if t % 7 == 6] == [-1] * 5
    assert all(0 <= a < 4 for t, a in enumerate(actions) if t % 7 != 6)
    assert tuple(agent.valid_s.size()) == (8, 4 * 36 * 36)
    assert float((agent.w - before).abs().max()) > 0
    agent.compute_validation_statistics()
    assert math.isfinite(float(agent.v_avg)) and float(agent.tderr_avg) > 0
    target = agent.target_network                    # cloned at numSteps 36 (36 % 5 == 1), after the last update
    np.testing.assert_array_equal(target.getParameters()[0].numpy(), agent.w.numpy())
    size, steps, w = agent.transitions.size(), agent.numSteps, agent.w.clone()
    for column, frame, terminal in _toy_game(5, seed=1):
        agent.perceive(0, frame, terminal, True, 0.05)
    assert (agent.transitions.size(), agent.numSteps) == (size, steps)
    np.testing.assert_array_equal(agent.w.numpy(), w.numpy())
