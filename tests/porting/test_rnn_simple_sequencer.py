"""Element-Research rnn's examples/simple-sequencer-network.lua, ported line by line (0-based indices, a fixed
number of iterations and a seeded start in place of its endless loop and math.random): a Recurrent of a
LookupTable input layer inside a Sequential with a Linear and a LogSoftMax, in a Sequencer (which wraps it in
a Recursor), learns to predict the next item of the sequence 0, 1, ..., 9, 0, 1, ... with a
SequencerCriterion(ClassNLLCriterion) and plain updateParameters."""
import legonn as lg
from legonn import nn


def test_simple_sequencer_network_learns_the_next_item():
    lg.setdefaulttensortype('torch.DoubleTensor')   # Torch7's default type (tests/conftest.py restores Float)
    # hyper-parameters
    batchSize = 8
    rho = 5  # sequence length
    hiddenSize = 7
    nIndex = 10
    lr = 0.1

    # build simple recurrent neural network
    r = nn.Recurrent(
        hiddenSize, nn.LookupTable(nIndex, hiddenSize),
        nn.Linear(hiddenSize, hiddenSize), nn.Sigmoid(),
        rho
    )
    rnn = nn.Sequential() \
        .add(r) \
        .add(nn.Linear(hiddenSize, nIndex)) \
        .add(nn.LogSoftMax())
    # internally, rnn will be wrapped into a Recursor to make it an AbstractRecurrent instance.
    rnn = nn.Sequencer(rnn)
    assert isinstance(rnn.module, nn.Recursor)

    criterion = nn.SequencerCriterion(nn.ClassNLLCriterion())

    # build dummy dataset (task is to predict next item, given previous)
    sequence_ = lg.LongTensor().range(0, 9)  # 0,1,2,...,9
    sequence = lg.LongTensor(100, 10).copy(sequence_.view(1, 10).expand(100, 10))
    sequence.resize(100 * 10)  # one long sequence of 0,1,2...,9,0,1,2...9...

    offsets = lg.LongTensor([(97 * i + 13) % sequence.size(0) for i in range(batchSize)])

    errs = []
    for iteration in range(150):
        # 1. create a sequence of rho time-steps
        inputs, targets = [], []
        for step in range(rho):
            inputs.append(sequence.index(0, offsets))
            offsets.add(1)
            for j in range(batchSize):
                if offsets[j] > sequence.size(0) - 1:
                    offsets[j] = 0
            targets.append(sequence.index(0, offsets))

        # 2. forward sequence through rnn
        rnn.zeroGradParameters()
        outputs = rnn.forward(inputs)
        errs.append(criterion.forward(outputs, targets))

        # 3. backward sequence through rnn (i.e. backprop through time)
        gradOutputs = criterion.backward(outputs, targets)
        rnn.backward(inputs, gradOutputs)

        # 4. update
        rnn.updateParameters(lr)
    # rho steps of a 10-way NLL start near 5 log(10) = 11.5; the run in /tmp/port-core reached 0.9 by 300
    assert errs[0] > 10 and errs[-1] < errs[0] / 2, errs[::25]
