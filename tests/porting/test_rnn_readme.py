"""Element-Research/rnn's README.md code snippets for the classes its examples do not cover (Recursor,
Recurrence, NormStabilizer, SeqLSTMP, BiSequencerLM, Repeater, MaskZero, TrimZero, LookupTableMaskZero,
MaskZeroCriterion, SeqReverseSequence, AbstractRecurrent's step-by-step backward), ported literally with small
sizes, and what each paragraph says of them checked."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('legonn.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float


def max_diff(a, b):
    return max(float((x - y).abs().max()) for x, y in zip(a, b))


def test_recursor_stacks_lstms_three_ways():
    """README 'Recursor': two Sequencers, one Sequencer over a Recursor of the stack, and one Sequencer over
    the bare stack (wrapped automatically) are the same model: with the same parameters they give the same
    outputs and gradients; a Linear between the LSTMs is cloned per step."""
    n = 6
    lstm1 = nn.Sequential().add(nn.Sequencer(nn.LSTM(n, n))).add(nn.Sequencer(nn.LSTM(n, n)))
    lstm2 = nn.Sequencer(nn.Recursor(nn.Sequential().add(nn.LSTM(n, n)).add(nn.LSTM(n, n))))
    lstm3 = nn.Sequencer(nn.Sequential().add(nn.LSTM(n, n)).add(nn.LSTM(n, n)))
    p1 = lstm1.getParameters()[0]
    seq = [lg.randn(2, n) for _ in range(4)]
    grads = [lg.randn(2, n) for _ in range(4)]
    out1 = [t.clone() for t in lstm1.forward(seq)]
    gi1 = [t.clone() for t in lstm1.backward(seq, grads)]
    for m in (lstm2, lstm3):
        m.getParameters()[0].copy(p1)
        assert max_diff(m.forward(seq), out1) == 0
        assert max_diff(m.backward(seq, grads), gi1) == 0
    lstm4 = nn.Sequencer(nn.Sequential().add(nn.LSTM(n, n)).add(nn.Linear(n, n)).add(nn.LSTM(n, n)))
    assert len(lstm4.forward(seq)) == 4 and len(lstm4.backward(seq, grads)) == 4


def test_step_by_step_backward_in_reverse_order():
    """README 'AbstractRecurrent updateGradInput': forward each step, backward them in reverse order, then
    forget(): the gradients are the Sequencer's."""
    nStep = 3
    rnn = nn.LSTM(5, 4)
    inputs = [lg.randn(2, 5) for _ in range(nStep)]
    gradOutputs = [lg.randn(2, 4) for _ in range(nStep)]
    outputs, gradInputs = {}, {}
    for i in range(nStep):
        outputs[i] = rnn.forward(inputs[i]).clone()
    for i in range(nStep - 1, -1, -1):
        gradInputs[i] = rnn.backward(inputs[i], gradOutputs[i]).clone()
    rnn.forget()
    seq = nn.Sequencer(rnn)
    assert max_diff(seq.forward(inputs), [outputs[i] for i in range(nStep)]) == 0
    assert max_diff(seq.backward(inputs, gradOutputs), [gradInputs[i] for i in range(nStep)]) < 1e-15


def test_recurrence_simple_language_model():
    """README 'Recurrence': the Simple RNN language model (LookupTable inside the recurrent module). The
    README's ``nInputDim`` 1 describes a ``4 x 3`` input; a batch of word indices is 1-D per step, so it is 0 here,
    as examples/simple-recurrence-network.lua has it (with 1, Recurrence.lua's first step adds a hidden state
    of size ``hiddenSize`` to a ``batch x hiddenSize`` one: an error in Torch7's cadd as in legonn). A few
    sgd steps lower the loss of a fixed batch."""
    rho, hiddenSize, outputSize, nIndex = 5, 10, 5, 100
    rm = nn.Sequential() \
        .add(nn.ParallelTable().add(nn.LookupTable(nIndex, hiddenSize)).add(nn.Linear(hiddenSize, hiddenSize))) \
        .add(nn.CAddTable()) \
        .add(nn.Sigmoid())
    rnn = nn.Sequencer(nn.Sequential().add(nn.Recurrence(rm, hiddenSize, 0)).add(nn.Linear(hiddenSize, outputSize))
                       .add(nn.LogSoftMax()))
    crit = nn.SequencerCriterion(nn.ClassNLLCriterion())
    inputs = [lg.LongTensor(3).random(nIndex) for _ in range(rho)]
    targets = [lg.LongTensor(3).random(outputSize) for _ in range(rho)]
    losses = []
    for _ in range(30):
        out = rnn.forward(inputs)
        losses.append(crit.forward(out, targets))
        rnn.zeroGradParameters()
        rnn.backward(inputs, crit.backward(out, targets))
        rnn.updateParameters(0.5)
    assert losses[-1] < losses[0] / 2


def test_recurrence_readme_snippet_literally():
    """README 'Recurrence', the snippet as written (``nn.Recurrence(rm, hiddenSize, 1)``), on steps of one word
    index (a LongTensor of size 1: Recurrence.lua's getBatchSize gives no batch for ``input:dim() == nInputDim``,
    so output(0) is zeros of size ``hiddenSize``). The first step's CAddTable adds the LookupTable's ``1 x 10`` to
    the Linear's ``10``: Torch7's cadd pairs equal element counts (CAddTable.lua ``resizeAs(input[1])``, TH's
    TH_TENSOR_APPLY over nElement), giving ``1 x 10``. The numbers are those of the same model with nInputDim 0
    (a zero state of ``1 x 10``): outputs, gradInputs and parameter gradients."""
    def build(nInputDim):
        rho = 5
        hiddenSize = 10
        outputSize = 5   # num classes
        nIndex = 10000

        # recurrent module
        rm = nn.Sequential() \
            .add(nn.ParallelTable()
                 .add(nn.LookupTable(nIndex, hiddenSize))
                 .add(nn.Linear(hiddenSize, hiddenSize))) \
            .add(nn.CAddTable()) \
            .add(nn.Sigmoid())

        rnn = nn.Sequencer(
            nn.Sequential()
            .add(nn.Recurrence(rm, hiddenSize, nInputDim))
            .add(nn.Linear(hiddenSize, outputSize))
            .add(nn.LogSoftMax())
        )
        return rnn, rho, nIndex, outputSize

    rnn, rho, nIndex, outputSize = build(1)
    ref = build(0)[0]
    params, grads = rnn.getParameters()
    ref_params, ref_grads = ref.getParameters()
    ref_params.copy(params)
    inputs = [lg.LongTensor(1).random(nIndex) for _ in range(rho)]
    gradOutputs = [lg.randn(1, outputSize) for _ in range(rho)]
    for model in (rnn, ref):
        model.zeroGradParameters()
    out, ref_out = rnn.forward(inputs), ref.forward(inputs)
    assert [tuple(o.size()) for o in out] == [(1, outputSize)] * rho
    assert max_diff(out, ref_out) == 0
    gradInputs = rnn.backward(inputs, gradOutputs)
    assert max_diff(gradInputs, ref.backward(inputs, gradOutputs)) == 0
    assert grads.norm() > 0 and float((grads - ref_grads).abs().max()) == 0


def test_norm_stabilizer_between_rnns():
    """README 'NormStabilizer': between FastLSTMs in a Sequencer's step module, and as Sequencer(NormStabilizer)
    between SeqLSTMs. The stabilizer passes its input on and adds to gradInput the gradient of
    beta * sum_t (||h[t]|| - ||h[t-1]||)^2, averaged over the batch (NormStabilizer.lua's ``1/batchSize``) and
    not divided by T (the README)."""
    stepmodule = nn.Sequential().add(nn.FastLSTM(4, 4)).add(nn.NormStabilizer()) \
        .add(nn.FastLSTM(4, 4)).add(nn.NormStabilizer())
    rnn = nn.Sequencer(stepmodule)
    x = [lg.randn(3, 4) for _ in range(4)]
    assert len(rnn.forward(x)) == 4 and len(rnn.backward(x, [lg.randn(3, 4) for _ in range(4)])) == 4
    rnn = nn.Sequential().add(nn.SeqLSTM(4, 4)).add(nn.Sequencer(nn.NormStabilizer())) \
        .add(nn.SeqLSTM(4, 4)).add(nn.Sequencer(nn.NormStabilizer()))
    X = lg.randn(5, 3, 4)
    assert tuple(rnn.forward(X).size()) == (5, 3, 4)
    assert tuple(rnn.backward(X, lg.zeros(5, 3, 4)).size()) == (5, 3, 4)
    ns = nn.Sequencer(nn.NormStabilizer())
    H = [lg.randn(2, 3) for _ in range(3)]
    ns.forward(H)
    gi = ns.backward(H, [lg.zeros(2, 3) for _ in range(3)])
    h = [t.numpy() for t in H]
    norms = [np.linalg.norm(t, axis=1, keepdims=True) for t in h]
    # d/dh[t] of sum_{s>=1} (|h[s]| - |h[s-1]|)^2, over a batch of 2
    expected = [2 * (norms[0] - norms[1]) * h[0] / norms[0] / 2,
                (2 * (norms[1] - norms[0]) + 2 * (norms[1] - norms[2])) * h[1] / norms[1] / 2,
                2 * (norms[2] - norms[1]) * h[2] / norms[2] / 2]
    for g, e in zip(gi, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10)


def test_seq_lstmp_projects_the_hidden_state():
    """README 'SeqLSTMP': ``nn.SeqLSTMP(inputsize, hiddensize, outputsize)`` outputs r[t] = W[h->r] h[t], of
    outputsize, and feeds r[t-1] back into the gates."""
    lstmp = nn.SeqLSTMP(4, 7, 3)
    X = lg.randn(5, 2, 4)
    out = lstmp.forward(X)
    assert tuple(out.size()) == (5, 2, 3)
    assert tuple(lstmp.backward(X, lg.randn(5, 2, 3)).size()) == (5, 2, 4)


def test_bisequencer_lm_pads_the_missing_steps():
    """README 'BiSequencerLM': ``bwd`` defaults to ``fwd:clone()`` then ``reset()``; the fwd rnn sees the first
    N-1 steps, the bwd rnn the last N-1 in reverse, the missing outputs (first step of fwd, last of bwd) are
    zeros, merged by JoinTable(1, 1) (here JoinTable(0, 1))."""
    fwd = nn.LSTM(4, 3)
    brnn = nn.BiSequencerLM(fwd)
    x = [lg.randn(2, 4) for _ in range(4)]
    out = brnn.forward(x)
    assert len(out) == 4 and tuple(out[0].size()) == (2, 6)
    assert float(out[0][:, :3].abs().sum()) == 0 and float(out[-1][:, 3:].abs().sum()) == 0
    assert float(out[1][:, :3].abs().sum()) > 0 and float(out[0][:, 3:].abs().sum()) > 0
    assert len(brnn.backward(x, [lg.randn(2, 6) for _ in range(4)])) == 4


def test_repeater_feeds_the_same_input_n_steps():
    """README 'Repeater': ``nn.Repeater(module, nStep)`` forwards one input nStep times through an
    AbstractRecurrent module: the outputs of stepping the LSTM by hand."""
    lstm = nn.LSTM(4, 4)
    r = nn.Repeater(lstm, 3)
    x = lg.randn(2, 4)
    out = [t.clone() for t in r.forward(x)]
    lstm.forget()
    manual = [lstm.forward(x).clone() for _ in range(3)]
    assert len(out) == 3 and max_diff(out, manual) == 0
    assert tuple(r.backward(x, [lg.randn(2, 4)] * 3).size()) == (2, 4)


def test_mask_zero_and_trim_zero_agree():
    """README 'MaskZero' / 'TrimZero': rows of zeros give zero output rows; TrimZero's 'result is the same with
    MaskZero's' (forward and gradInput)."""
    x = lg.randn(4, 5)
    x[1].zero()
    x[3].zero()
    module = nn.Sequential().add(nn.Linear(5, 3)).add(nn.Tanh())
    mz = nn.MaskZero(module, 1)
    tz = nn.TrimZero(module.clone(), 1)
    y = mz.forward(x)
    assert float(y[1].abs().sum()) == 0 and float(y[3].abs().sum()) == 0
    assert float((y - tz.forward(x)).abs().max()) == 0
    g = lg.randn(4, 3)
    assert float((mz.backward(x, g) - tz.backward(x, g)).abs().max()) == 0


def test_lookup_table_mask_zero_and_mask_zero_criterion():
    """README 'LookupTableMaskZero' (padding index shifted to -1 with the others, docs/porting.md) and
    'MaskZeroCriterion': the padded row gives a zero row, which the criterion then skips: the loss is the
    ClassNLL of the other rows."""
    lt = nn.LookupTableMaskZero(10, 4)
    out = lt.forward(lg.LongTensor([2, -1, 5]))
    assert float(out[1].abs().sum()) == 0 and float(out[0].abs().sum()) > 0
    logp = nn.LogSoftMax().forward(lg.randn(3, 4))
    logp[1].zero()
    mzc = nn.MaskZeroCriterion(nn.ClassNLLCriterion(), 1)
    loss = mzc.forward(logp, lg.LongTensor([0, 0, 3]))
    assert abs(loss - -(float(logp[0][0]) + float(logp[2][3])) / 2) < 1e-12


def test_seq_reverse_sequence_example():
    """README 'SeqReverseSequence': ``nn.SeqReverseSequence(1)`` of {{1..5}, {6..10}} gives
    {{6..10}, {1..5}} (dimension 1 is 0 here)."""
    input = lg.Tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    reverseSeq = nn.SeqReverseSequence(0)
    np.testing.assert_array_equal(reverseSeq.forward(input).numpy(), [[6, 7, 8, 9, 10], [1, 2, 3, 4, 5]])


def test_sequencer_steps_tables_and_tensors():
    """README 'Sequencer': stepping ``rnn:forward(input[1])`` .. ``input[3]`` equals
    ``nn.Sequencer(rnn):forward(input)`` (the Sequencer forgets first), a ``seqlen x batchsize x featsize`` tensor
    gives a tensor, and 'SeqLSTM': ``maskzero = true`` is a FastLSTM with ``maskZero(1)`` in a Sequencer (built by
    ``toFastLSTM``)."""
    rnn = nn.FastLSTM(4, 5)
    input = [lg.randn(3, 4), lg.randn(3, 4), lg.randn(3, 4)]
    stepped = [rnn.forward(input[0]).clone(), rnn.forward(input[1]).clone(), rnn.forward(input[2]).clone()]
    seq = nn.Sequencer(rnn)
    assert max_diff(seq.forward(input), stepped) == 0
    tensor = lg.Tensor(3, 3, 4)
    for i in range(3):
        tensor[i].copy(input[i])
    out = seq.forward(tensor)
    assert tuple(out.size()) == (3, 3, 5) and max_diff(out, stepped) == 0
    seqlstm = nn.SeqLSTM(4, 5)
    fastlstm = seqlstm.toFastLSTM()
    fastlstm.maskZero(1)
    seqfastlstm = nn.Sequencer(fastlstm)
    seqlstm.maskzero = True
    tensor[1][1].zero()
    out = seqlstm.forward(tensor)
    assert float(out[1][1].abs().sum()) == 0
    assert float((out - seqfastlstm.forward(tensor)).abs().max()) < 1e-12


@pytest.mark.parametrize('make', [lambda: nn.LSTM(3, 4), lambda: nn.FastLSTM(3, 4), lambda: nn.GRU(3, 4)],
                         ids=['LSTM', 'FastLSTM', 'GRU'])
def test_mask_zero_resets_the_hidden_state(make):
    """README 'AbstractRecurrent maskZero(nInputDim)': a masked step's output row is zero and 'the hidden state
    is effectively reset (i.e. forgotten) for the next non-mask time-step': after it, the sample's output is
    that of a fresh sequence."""
    rnn = make()
    rnn.maskZero(1)
    seq = nn.Sequencer(rnn)
    x = [lg.randn(2, 3) for _ in range(3)]
    x[1][0].zero()
    out = seq.forward(x)
    assert float(out[1][0].abs().sum()) == 0 and float(out[1][1].abs().sum()) > 0
    fresh = nn.Sequencer(rnn.clone()).forward([x[2][0:1].clone()])[0]
    assert float((out[2][0] - fresh[0]).abs().max()) < 1e-15


def lm_for_save():
    rm = nn.Sequential().add(nn.ParallelTable().add(nn.LookupTable(10, 4)).add(nn.Linear(4, 4))) \
        .add(nn.CAddTable()).add(nn.Sigmoid())
    return nn.Sequencer(nn.Sequential().add(nn.Recurrence(rm, 4, 0)).add(nn.Linear(4, 5)).add(nn.LogSoftMax()))


@pytest.mark.parametrize('make, input', [
    (lm_for_save, lambda: [lg.LongTensor(2).random(10) for _ in range(3)]),
    (lambda: nn.BiSequencerLM(nn.LSTM(4, 3)), lambda: [lg.randn(2, 4) for _ in range(3)]),
    (lambda: nn.SeqLSTMP(4, 6, 3), lambda: lg.randn(3, 2, 4)),
    (lambda: nn.Sequencer(nn.Sequential().add(nn.FastLSTM(4, 4)).add(nn.NormStabilizer())),
     lambda: [lg.randn(2, 4) for _ in range(3)]),
    (lambda: nn.Repeater(nn.GRU(4, 4), 3), lambda: lg.randn(2, 4)),
    (lambda: nn.Sequencer(nn.TrimZero(nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh()), 1)),
     lambda: [lg.randn(2, 4) for _ in range(3)]),
], ids=['Recurrence-LM', 'BiSequencerLM', 'SeqLSTMP', 'NormStabilizer', 'Repeater', 'TrimZero'])
def test_readme_models_save_and_load(make, input, tmp_path):
    """The README models above saved (torch.save: lg.save) and loaded give the same outputs in evaluation."""
    model, x = make(), input()
    model.evaluate()
    expected = model.forward(x)
    expected = [t.clone() for t in expected] if isinstance(expected, list) else [expected.clone()]
    lg.save(str(tmp_path / 'model.t7'), model)
    loaded = lg.load(str(tmp_path / 'model.t7'))
    out = loaded.forward(x)
    assert max_diff(out if isinstance(out, list) else [out], expected) == 0


def test_sequencer_remember_modes_and_seqbrnn_example():
    """README 'remember([mode])': 'both' (the default of the call) never forgets between forwards, 'neither'
    forgets before each, 'eval' remembers only in evaluation; 'SeqBRNN': ``nn.SeqBRNN(5, 5):forward(torch.rand(1,
    1, 5))`` 'prints an output of a 1x1x5 tensor', and batchFirst takes batch x seqlen x inputsize."""
    seq = nn.Sequencer(nn.FastLSTM(3, 3))
    x = [lg.randn(1, 3) for _ in range(2)]

    def changes():
        first = seq.forward(x)[1].clone()
        return float((seq.forward(x)[1] - first).abs().max()) > 0
    seq.remember()
    assert changes()
    seq.remember('neither')
    assert not changes()
    seq.remember('eval')
    seq.training()
    assert not changes()
    seq.evaluate()
    assert changes()
    assert tuple(nn.SeqBRNN(5, 5).forward(lg.rand(1, 1, 5)).size()) == (1, 1, 5)
    assert tuple(nn.SeqBRNN(5, 5, True).forward(lg.rand(2, 3, 5)).size()) == (2, 3, 5)
