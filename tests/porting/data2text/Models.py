"""onmt/Models.lua of harvardnlp/data2text: buildInputNetwork and buildDecoder, for the decoder of box_train.lua's
default configuration (no word features, no -copy_generate). Not ported: buildEncoder and
buildInputNetworkWithPosns (box_train.lua builds a BoxTableEncoder instead), buildRec/buildRec2 (they need
cudnn.TemporalConvolution), the copy and switching decoders, loadEncoder/loadDecoder."""
from legonn import nn
from tests.porting.test_opennmt_modules import Generator, WordEmbedding

from .Decoder import Decoder
from .LSTM import LSTM


def buildInputNetwork(opt, dicts, pretrainedWords, fixWords):
    wordEmbedding = WordEmbedding(dicts['words'].size(),   # vocab size
                                  opt['word_vec_size'], pretrainedWords, fixWords)
    inputSize = opt['word_vec_size']
    multiInputs = len(dicts['features']) > 0
    if multiInputs:
        inputs = nn.ParallelTable().add(wordEmbedding)
    else:
        inputs = wordEmbedding
    # Sequence with features.
    assert len(dicts['features']) == 0, 'word features (onmt/modules/FeaturesEmbedding.lua) are not ported'
    if multiInputs:
        inputNetwork = nn.Sequential().add(inputs).add(nn.JoinTable(1))
    else:
        inputNetwork = inputs
    return inputNetwork, inputSize


def buildDecoder(opt, dicts, verbose, tripV):
    inputNetwork, inputSize = buildInputNetwork(opt, dicts, opt['pre_word_vecs_dec'], opt['fix_word_vecs_dec'])
    assert len(dicts['features']) == 0, 'onmt/modules/FeaturesGenerator.lua is not ported'
    assert not opt['copy_generate'], '-copy_generate (CopyGenerator2.lua, Decoder2.lua) is not ported'
    generator = Generator(opt['rnn_size'], dicts['words'].size())
    if opt['input_feed'] == 1:
        if verbose:
            print(" * using input feeding")
        inputSize = inputSize + opt['rnn_size']
    rnn = LSTM(opt['layers'], inputSize, opt['rnn_size'], opt['dropout'], opt['residual'], opt.get('double_output'))
    return Decoder(inputNetwork, rnn, generator, opt['input_feed'] == 1, opt['copy_generate'], opt['tanh_query'])
