"""examples/word-language-model/generate.lua: loads word_lm.lua's saved model (``m.t7``) and dictionary
(``batches.t7``) and samples a sentence of at most 100 words from ``<eos>``, feeding each sampled word back.

Edits beyond syntax and indices:

* The script's body is ``main()``, returning the words (the Lua prints them joined by spaces, as this does).
* word_lm.py saved the rnn without the functions setupRecurrent assigns into it (``lg.save`` stores no code:
  docs/porting.md's row on ``torch.save`` of Lua functions); a SequenceTable is given them again with
  ``rnnlib.setupRecurrent``, leaving its weights as loaded (``winitfun`` a no-op) and taking each layer's
  ``init`` function from rnnlib's cell for the saved hidden state's size (an LSTM's holds two tensors).
* ``torch.CudaTensor(1, 1)`` and ``nn.LogSoftMax():cuda()``: the Lua runs on the GPU only; the port uses the
  loaded model's tensor type (``model.output.new(1, 1)``, ``lsm.type(...)``), so it also runs on the CPU.
* ``torch.multinomial(index, output, 1)`` samples from log-probabilities: torch's multinomial takes the weights
  as they come (a log-probability, negative, is refused by legonn where Torch7's CUDA kernel draws garbage),
  so the port samples from ``output.exp()``. Word ids are 0-based.
"""
import legonn as lg
from legonn import nn

from ...env import rnnlib
from ...nn.SequenceTable import SequenceTable


def main():
    # Load pretrained model and dictionary from word_lm.lua.
    model = lg.load('m.t7')
    rnn = model.rnn
    dict_ = lg.load('batches.t7')['dict']
    if isinstance(rnn, SequenceTable):
        initfs = [(rnnlib.cell.LSTM if isinstance(h, list) else rnnlib.cell.GRU)(
            0, (h[0] if isinstance(h, list) else h).size(1))[1] for h in rnn.hiddenbuffer]
        rnnlib.setupRecurrent(network=rnn, initfs=initfs, winitfun=lambda m: None, savehidden=rnn.saveHidden)

    maxlength = 100
    eos = dict_['word2idx']['<eos>']

    rnn.initializeHidden(1)
    index = model.get(model.size() - 1).weight.new(1, 1)
    lsm = nn.LogSoftMax().type(index.type())

    words = []
    index.fill(eos)
    for i in range(maxlength):
        output = lsm.forward(model.forward([rnn.hiddenbuffer, index]))
        lg.multinomial(index, output.exp(), 1)
        words.append(int(index.sum()))
        if words[i] == eos:
            break

    for k, v in enumerate(words):
        words[k] = dict_['idx2word'][v]
    print(' '.join(words))
    return words
