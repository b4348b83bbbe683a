"""netdef/MCB.lua (all): Multimodal Compact Bilinear pooling with attention (Fukui et al.), through jnhwkim/cbp's
port (tests/porting/cbp: ``require 'cbp'``). The 16000-d sketches, the 14 x 14 grid and the 512 hidden maps are
the Lua's. MCB_updateBatchSize reads a global ``rnn_size_q`` that nothing sets (nil in Lua: its
``nn.Reshape(batch_size*ngrid, nil, false)`` cannot be built); the port reads it the same way, as a module global
left None, so that it fails as the Lua does.
"""
import legonn as lg
from legonn import nn, paths

from ...cbp import CompactBilinearPooling, SignedSquareRoot  # require 'cbp'  -- https://github.com/jnhwkim/cbp

rnn_size_q = None   # the Lua's undefined global read by MCB_updateBatchSize


def MCB(rnn_size_q, nhimage, common_embedding_size, joint_dropout, num_layers, noutput, batch_size, glimpse=None):
    p = .5
    activation = 'ReLU'
    multimodal_net = nn.Sequential()
    glimpse = glimpse or 2
    assert num_layers == 1, 'do not support stacked structure'
    print('MCB VER')
    if paths.filep('netdef/cbp1.t7'):
        cbp1 = lg.load('netdef/cbp1.t7')
    else:
        cbp1 = CompactBilinearPooling(16000)
    if paths.filep('netdef/cbp2.t7'):
        cbp2 = lg.load('netdef/cbp2.t7')
    else:
        cbp2 = CompactBilinearPooling(16000)

    glimpses = nn.ConcatTable()
    for i in range(1, glimpse + 1):
        visual_embedding_ = nn.Sequential() \
            .add(nn.ConcatTable()
                 .add(nn.SelectTable(2 + i - 1))   # softmax [3~]
                 .add(nn.SelectTable(1))) \
            .add(nn.ParallelTable()
                 .add(nn.Identity())
                 .add(nn.SplitTable(1))) \
            .add(nn.MixtureTable())
        glimpses.add(visual_embedding_)

    visual_embedding = nn.Sequential() \
        .add(glimpses) \
        .add(nn.JoinTable(1))

    for i in range(1, num_layers + 1):
        if i == 1:
            reshaper = nn.Sequential() \
                .add(nn.Transpose([1, 2], [2, 3])) \
                .add(nn.Reshape(14 * 14, nhimage))
        else:
            reshaper = nn.Identity()

        attention = nn.Sequential() \
            .add(nn.ParallelTable()
                 .add(nn.Sequential()
                      .add(nn.Dropout(.3))
                      .add(nn.Replicate(14 * 14, 1))
                      .add(nn.Reshape(batch_size * 14 * 14, rnn_size_q, False)))
                 .add(nn.Sequential()
                      .add(nn.Reshape(batch_size * 14 * 14, nhimage, False)))) \
            .add(cbp1) \
            .add(SignedSquareRoot(True)) \
            .add(nn.Normalize(2)) \
            .add(nn.Dropout(.1)) \
            .add(nn.Reshape(batch_size, 14, 14, 16000, False)) \
            .add(nn.Transpose([2, 3], [1, 2])) \
            .add(nn.SpatialConvolution(16000, 512, 1, 1, 1, 1)) \
            .add(getattr(nn, activation)(True)) \
            .add(nn.SpatialConvolution(512, glimpse, 1, 1, 1, 1)) \
            .add(nn.Reshape(batch_size, glimpse, 14 * 14, False)) \
            .add(nn.SplitTable(1))

        para_softmax = nn.ParallelTable()
        for j in range(1, glimpse + 1):
            para_softmax.add(nn.SoftMax())
        attention.add(para_softmax)

        multimodal_net.add(nn.ParallelTable()
                           .add(nn.Identity())
                           .add(reshaper)
                           ).add(nn.ConcatTable()
                                 .add(nn.SelectTable(0))  # q
                                 .add(nn.SelectTable(1))  # v1
                                 .add(attention)  # second-attention
                                 ).add(nn.FlattenTable()
                                       ).add(nn.ConcatTable()
                                             .add(nn.Sequential()
                                                  .add(nn.SelectTable(0)))
                                             .add(visual_embedding)  # if L > 1, do clone
                                             .add(nn.SelectTable(1))
                                             ).add(nn.ConcatTable()
                                                   .add(nn.Sequential()
                                                        .add(nn.NarrowTable(0, 2))
                                                        .add(cbp2)
                                                        .add(SignedSquareRoot(True))
                                                        .add(nn.Normalize(2))
                                                        .add(nn.Dropout(.1)))
                                                   .add(nn.SelectTable(2))
                                                   )
        rnn_size_q = common_embedding_size
    multimodal_net.add(nn.SelectTable(0)) \
        .add(nn.Linear(16000, noutput))
    return multimodal_net, cbp1, cbp2


def MCB_updateBatchSize(net, nhimage, common_embedding_size, num_layers, batch_size, glimpse=None):
    ngrid = 14 * 14
    idx = 2  # start idx
    mstep = 5
    glimpse = glimpse or 2
    for i in range(0, num_layers):
        att = net.get(idx + i * mstep - 1)
        a1 = att.get(2).get(0).get(0)
        a2 = att.get(2).get(0).get(1)
        assert lg.type(a1.get(2)) == 'nn.Reshape'
        assert lg.type(a2.get(0)) == 'nn.Reshape'
        a1.remove(2)
        a2.remove(0)
        a1.insert(nn.Reshape(batch_size * ngrid, rnn_size_q, False), 2)
        a2.insert(nn.Reshape(batch_size, ngrid, nhimage, False), 0)
        a2 = att.get(2)
        assert lg.type(a2.get(8)) == 'nn.Reshape'
        assert lg.type(a2.get(5)) == 'nn.Reshape'
        a2.remove(8)
        a2.remove(5)
        a2.insert(nn.Reshape(batch_size, 14, 14, 16000, False), 5)
        a2.insert(nn.Reshape(batch_size, glimpse, ngrid, False), 8)
