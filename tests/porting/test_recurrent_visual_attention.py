"""rnn's examples/recurrent-visual-attention.lua, ported line for line (its model, its ParallelCriterion of
ClassNLLCriterion and VRClassReward, its momentum/update/zero callback), small: digits 0 and 1 of the shipped
MNIST slice, smaller layers, 4 glimpses, 10 epochs of 300 images. dp's Optimizer/Evaluator are the loop they
run. Deterministic (seeded, float64): the REINFORCE-trained attention model's reward must rise."""
import pathlib

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

DATA = pathlib.Path(__file__).resolve().parents[2] / 'examples' / 'data' / 'mnist_5k.npz'   # the shipped MNIST slice
OPT = dict(learningRate=0.03, momentum=0.9, batchSize=20, transfer='ReLU', uniform=0.2, rewardScale=1,
           unitPixels=13, locatorStd=0.11, stochastic=False, glimpseHiddenSize=16, glimpsePatchSize=8,
           glimpseScale=2, glimpseDepth=1, locatorHiddenSize=16, imageHiddenSize=32, rho=4, hiddenSize=32)


def build_agent(opt, n_classes, image_size=28):
    """The example's model section, as written there."""
    transfer = getattr(nn, opt['transfer'])
    locationSensor = nn.Sequential()
    locationSensor.add(nn.SelectTable(1))
    locationSensor.add(nn.Linear(2, opt['locatorHiddenSize']))
    locationSensor.add(transfer())

    glimpseSensor = nn.Sequential()
    glimpseSensor.add(nn.SpatialGlimpse(opt['glimpsePatchSize'], opt['glimpseDepth'], opt['glimpseScale']))
    glimpseSensor.add(nn.Collapse(3))
    glimpseSensor.add(nn.Linear(1 * (opt['glimpsePatchSize'] ** 2) * opt['glimpseDepth'], opt['glimpseHiddenSize']))
    glimpseSensor.add(transfer())

    glimpse = nn.Sequential()
    glimpse.add(nn.ConcatTable().add(locationSensor).add(glimpseSensor))
    glimpse.add(nn.JoinTable(0, 1))
    glimpse.add(nn.Linear(opt['glimpseHiddenSize'] + opt['locatorHiddenSize'], opt['imageHiddenSize']))
    glimpse.add(transfer())
    glimpse.add(nn.Linear(opt['imageHiddenSize'], opt['hiddenSize']))

    recurrent = nn.Linear(opt['hiddenSize'], opt['hiddenSize'])
    rnn = nn.Recurrent(opt['hiddenSize'], glimpse, recurrent, transfer(), 99999)

    locator = nn.Sequential()
    locator.add(nn.Linear(opt['hiddenSize'], 2))
    locator.add(nn.HardTanh())
    locator.add(nn.ReinforceNormal(2 * opt['locatorStd'], opt['stochastic']))
    locator.add(nn.HardTanh())
    locator.add(nn.MulConstant(opt['unitPixels'] * 2 / image_size))

    attention = nn.RecurrentAttention(rnn, locator, opt['rho'], [opt['hiddenSize']])

    agent = nn.Sequential()
    agent.add(nn.Convert('bchw', 'bchw'))
    agent.add(attention)
    agent.add(nn.SelectTable(-1))
    agent.add(nn.Linear(opt['hiddenSize'], n_classes))
    agent.add(nn.LogSoftMax())

    seq = nn.Sequential()
    seq.add(nn.Constant(1, 1))
    seq.add(nn.Add(1))
    concat = nn.ConcatTable().add(nn.Identity()).add(seq)
    concat2 = nn.ConcatTable().add(nn.Identity()).add(concat)
    agent.add(concat2)

    for param in agent.parameters()[0]:
        param.uniform(-opt['uniform'], opt['uniform'])
    return agent


def run_epoch(agent, loss, x, y, opt, train, moms):
    """One dp epoch: batches (shuffled in training) through the agent and the ParallelCriterion, the example's
    callback (dpnn's updateGradParameters(momentum) written out, updateParameters, zeroGradParameters);
    returns (accuracy of the class predictions, mean reward)."""
    conf = optim.ConfusionMatrix(list(range(2)))
    agent.training() if train else agent.evaluate()
    order = np.random.default_rng(len(moms)).permutation(len(y)) if train else np.arange(len(y))
    rewards = []
    for start in range(0, len(y), opt['batchSize']):
        idx = order[start:start + opt['batchSize']]
        inputs, targets = lg.from_numpy(x[idx]), lg.from_numpy(y[idx])
        output = agent.forward(inputs)
        loss.forward(output, targets)
        rewards.append(-loss.criterions[1].criterion.output)
        conf.batchAdd(output[0], targets)
        if train:
            agent.backward(inputs, loss.backward(output, targets))
            if not moms:
                moms.extend(g.clone() for g in agent.parameters()[1])
            for mom, g in zip(moms, agent.parameters()[1]):
                mom.mul(opt['momentum']).add(1 - opt['momentum'], g)
                g.copy(mom)
            agent.updateParameters(opt['learningRate'])
            agent.zeroGradParameters()
    conf.updateValids()
    return conf.totalValid, float(np.mean(rewards))


@pytest.mark.skipif(not DATA.exists(), reason='needs examples/data/mnist_5k.npz')
def test_recurrent_visual_attention_learns():
    """rnn's examples/recurrent-visual-attention.lua (Recurrent + SpatialGlimpse + ReinforceNormal +
    VRClassReward): after 10 epochs the training reward and the validation accuracy have risen."""
    lg.setdefaulttensortype('legonn.DoubleTensor')
    lg.manualSeed(1)
    data = np.load(DATA)
    order = np.random.default_rng(1).permutation(len(data['y']))
    order = order[data['y'][order] < 2]
    images = (data['x'][order].astype(np.float64) / 255).reshape(-1, 1, 28, 28)
    labels = data['y'][order].astype(np.int64)
    train_x, train_y, valid_x, valid_y = images[:300], labels[:300], images[300:400], labels[300:400]
    agent = build_agent(OPT, 2)
    loss = nn.ParallelCriterion(True) \
        .add(nn.ModuleCriterion(nn.ClassNLLCriterion(), None, nn.Convert())) \
        .add(nn.ModuleCriterion(nn.VRClassReward(agent, OPT['rewardScale']), None, nn.Convert()))
    moms = []
    history = [(run_epoch(agent, loss, train_x, train_y, OPT, True, moms),
                run_epoch(agent, loss, valid_x, valid_y, OPT, False, moms)) for _ in range(10)]
    # measured: training reward 0.48 in epoch 0, 0.86 over the last three; validation accuracy 0.58, then 0.76
    train_reward = [h[0][1] for h in history]
    valid_accuracy = [h[1][0] for h in history]
    assert np.mean(train_reward[-3:]) > train_reward[0] + 0.25, history
    assert np.mean(valid_accuracy[-3:]) > valid_accuracy[0] + 0.1, history
