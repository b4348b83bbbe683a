"""examples/sentence-classification/models.lua: the SST-1 sentence classifiers: ``rnn`` (a LookupTable, an rnnlib
RNN, the top layer's outputs averaged over time (``nn.Sum(1, 3, true)``), a Linear decoder) and ``birnn`` (a
bidirectional rnnlib network whose joined outputs are weighted by a mask, summed over time, optionally dropped
out, then decoded), each returned with its recurrent network.

Edits beyond syntax and indices: ``hids`` is recurrentnetwork.py's dict (``hids[#hids]`` is ``hids[len(hids) -
1]``); ``nn.Sum(1, 3, true)`` is ``nn.Sum(0, 3, True)``, ``nn.JoinTable(1)`` ``nn.JoinTable(0)``,
``nn.SelectTable(2)`` ``nn.SelectTable(1)``; the Lua's two return values are a tuple.
"""
from legonn import nn

from ... import mutils
from ...env import rnnlib


# | A simple forward RNN for encoding sentences.
def rnn(ntoken, hids, nclasses, cell):
    init_range = 0.1
    emsize = hids[0]
    lut = nn.LookupTable(ntoken, emsize)
    lut.weight.uniform(-init_range, init_range)
    rnn = rnnlib.makeRecurrent(
        cellfn=cell,
        inputsize=emsize,
        hids=hids,
        savehidden=False,
    )
    decoder = nn.Linear(hids[len(hids) - 1], nclasses)
    decoder.bias.fill(0)
    decoder.weight.uniform(-init_range, init_range)

    return (nn.Sequential()
            .add(mutils.batchedinmodule(rnn, lut))  # Lookup table + RNN
            .add(nn.SelectTable(1))                 # Select RNN output
            .add(nn.SelectTable(-1))                # Select last layer in RNN
            .add(nn.MapTable(nn.View(1, -1, hids[len(hids) - 1])))
            .add(nn.JoinTable(0))                   # Join all timesteps together
            .add(nn.Sum(0, 3, True))                # Average embeddings
            .add(decoder)), rnn


# | A bidirectional RNN that uses a mask to discard padding information
# to enable batching.
# ntoken      : The number of tokens in the input vocabulary.
# hids        : A table representating the hidden units at each layer.
# nclasses    : The number of classes.
# sharefields : A table of the fields to be shared between the fwd and rev RNNs.
# dropout     : A number representing the dropout parameter.
def birnn(ntoken, hids, nclasses, cell, sharefields, dropout):
    init_range = 0.1
    emsize = hids[0]
    lut = nn.LookupTable(ntoken, emsize)
    lut.weight.uniform(-init_range, init_range)

    # This will not save the hidden state in between batches.
    birnn = rnnlib.makeBidirectional(
        cell,
        emsize,
        hids,
        sharefields
    )

    decoder = nn.Linear(2 * hids[len(hids) - 1], nclasses)
    decoder.bias.fill(0)
    decoder.weight.uniform(-init_range, init_range)

    rawinput = nn.Identity()()
    input, mask = rawinput.split(2)
    rnn = (nn.Sequential()
           .add(mutils.batchedinmodule(birnn, lut))  # Lookup table + RNN
           .add(nn.SelectTable(1))                   # Select RNN output
           .add(nn.SelectTable(-1))                  # Select last layer in RNN
           .add(nn.MapTable(nn.View(1, -1, 2 * hids[len(hids) - 1])))
           .add(nn.JoinTable(0))                     # Join all timesteps together
           (input))

    rnnout = nn.CMulTable()([rnn, mask])
    reduced = (nn.Dropout(dropout)(nn.Sum(0, 3, False)(rnnout)) if dropout > 0
               else nn.Sum(0, 3, False)(rnnout))

    return nn.gModule([rawinput], [decoder(reduced)]), birnn
