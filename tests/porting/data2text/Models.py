"""onmt/Models.lua of harvardnlp/data2text: buildInputNetwork and buildDecoder, for the decoder of box_train.lua's
default configuration and -copy_generate's (onmt.Decoder2 with onmt.CopyGenerator2); no word features. Not
ported: buildEncoder and buildInputNetworkWithPosns (box_train.lua builds a BoxTableEncoder instead),
buildRec/buildRec2 (they need cudnn.TemporalConvolution), CopyPOEGenerator, the switching decoder,
loadEncoder/loadDecoder."""
from legonn import nn
from tests.porting.test_opennmt_modules import Generator, WordEmbedding

from .CopyGenerator2 import CopyGenerator2
from .Decoder import Decoder
from .Decoder2 import Decoder2
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
    if opt['copy_generate'] and not opt['switch']:
        assert not opt.get('poe'), 'onmt/modules/CopyPOEGenerator.lua is not ported'
        generator = CopyGenerator2(opt['rnn_size'], dicts['words'].size(), opt['tanh_query'], opt.get('double_output'))
    else:
        generator = Generator(opt['rnn_size'], dicts['words'].size())
    if opt['input_feed'] == 1:
        if verbose:
            print(" * using input feeding")
        inputSize = inputSize + opt['rnn_size']
    rnn = LSTM(opt['layers'], inputSize, opt['rnn_size'], opt['dropout'], opt['residual'], opt.get('double_output'))
    if opt['copy_generate']:
        assert not (opt['discrec'] or opt['recdist'] > 0), \
            'ConvRecDecoder.lua (cudnn.TemporalConvolution) is not ported'
        assert not opt['switch'], 'SwitchingDecoder.lua is not ported'
        return Decoder2(inputNetwork, rnn, generator, opt['input_feed'] == 1, opt.get('double_output'))
    else:
        return Decoder(inputNetwork, rnn, generator, opt['input_feed'] == 1, opt['copy_generate'], opt['tanh_query'])
