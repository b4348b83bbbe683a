"""rnn's examples/encoder-decoder-coupling.lua with opt.useSeqLSTM = false (the line-by-line port shared with
test_rnn_examples.py): an encoder and a decoder nn.LSTM, each maskZero(1) in a Sequencer, coupled forward through
userPrevOutput/userPrevCell and backward through getGradHiddenState/setGradHiddenState; variable-length
sentences padded with the padding index (the Lua's 0 is -1 here, the labels shifted down by one)."""
import legonn as lg
from tests.porting.test_rnn_examples import _encoder_decoder


def test_encoder_decoder_coupling_example_learns():
    """The example's loop for 60 of its 1000 iterations, each LSTM's last-step gradient set from its decoder
    LSTM's: the loss falls below half the first."""
    lg.manualSeed(1)
    errs = _encoder_decoder(False, 60, perLayer=True)
    assert errs[-1] < errs[0] / 2
