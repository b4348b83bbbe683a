"""soumith/cudnn.torch's test/test_rnn.lua, the part tests/test_cudnn_rnn.py does not port already: lines 261-313,
``cudnntest.testPackPadSequences`` (``cudnn.RNN:packPaddedSequence`` / ``:padPackedSequence``), line by line,
on IntTensor and, as a GPU test, CudaIntTensor (the Lua's).

The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``cudnn.RNN:f(...)`` is ``cudnn.RNN.f(...)`` (the Lua
passes the class as ``self`` and reads nothing from it), ``unpack(result)`` is Python's unpacking,
``input:transpose(1, 2)`` is ``transpose(0, 1)``. ``mytester:assertTableEq`` stays a Tester call.

Ported elsewhere: the checksum tests (lines 1-260, getRNNCheckSums and the eight cudnntest.testRNN*/BiDirectional*)
are tests/test_cudnn_rnn.py's test_cudnn_sample_checksums. Not ported: lines 315-446
(``cudnntest.testVariableLengthSequences``), which runs an LSTM forward and backward over packed input;
legonn's RNNs take padded batches only (legonn/cudnn/recurrent.py)."""
import pytest

import legonn as lg
from legonn import cudnn

mytester = lg.Tester()
mytester.setRethrowErrors(True)


@pytest.mark.parametrize('Tensor', ['IntTensor', pytest.param('CudaIntTensor', marks=pytest.mark.gpu)])
def test_testPackPadSequences(Tensor):
    """Lines 261-313."""
    IntTensor = getattr(lg, Tensor)
    # T is 4, B = 5, vector size = 3
    input = IntTensor([
        [[101, 102, 103],
         [201, 202, 203],
         [301, 302, 303],
         [401, 402, 403],
         [501, 502, 503]],
        [[104, 105, 106],
         [204, 205, 206],
         [304, 305, 306],
         [0, 0, 0],
         [0, 0, 0]],
        [[107, 108, 109],
         [207, 208, 209],
         [0, 0, 0],
         [0, 0, 0],
         [0, 0, 0]],
        [[110, 111, 112],
         [0, 0, 0],
         [0, 0, 0],
         [0, 0, 0],
         [0, 0, 0]],
    ])
    lengths = [4, 3, 2, 1, 1]

    expectedPacked = IntTensor([
        [101, 102, 103], [201, 202, 203], [301, 302, 303], [401, 402, 403], [501, 502, 503],
        [104, 105, 106], [204, 205, 206], [304, 305, 306],
        [107, 108, 109], [207, 208, 209],
        [110, 111, 112],
    ])
    expectedBSPT = [5, 3, 2, 1]

    result = cudnn.RNN.packPaddedSequence(input, lengths)
    actualPacked, actualBSPT = result
    mytester.assertTensorEq(expectedPacked, actualPacked)
    mytester.assertTableEq(expectedBSPT, actualBSPT)

    actualUnpacked, actualLengths = cudnn.RNN.padPackedSequence(result)
    mytester.assertTensorEq(input, actualUnpacked)
    mytester.assertTableEq(lengths, actualLengths)

    # test again with batchFirst
    input = input.transpose(0, 1)

    result = cudnn.RNN.packPaddedSequence(input, lengths, True)
    actualPacked, actualBSPT = result
    mytester.assertTensorEq(expectedPacked, actualPacked)
    mytester.assertTableEq(expectedBSPT, actualBSPT)

    actualUnpacked, actualLengths = cudnn.RNN.padPackedSequence(result, True)
    mytester.assertTensorEq(input, actualUnpacked)
    mytester.assertTableEq(lengths, actualLengths)
