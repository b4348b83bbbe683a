"""netdef/MLB.lua (all): Multimodal Low-rank Bilinear attention networks, the attention's 14 x 14 grid fixed as
in the Lua; ``activation = 'Tanh'`` looks up ``getattr(nn, activation)`` (the Lua's ``nn[activation]``)."""
import legonn as lg
from legonn import nn

# ------------------------------------------------------------------------------
#  Hadamard Product for Low-rank Bilinear Pooling
#  Jin-Hwa Kim, Kyoung-Woon On, Woosang Lim, Jeonghee Kim, Jung-Woo Ha, Byoung-Tak Zhang
#  https://arxiv.org/abs/1610.04325
# -----------------------------------------------------------------------------


# Multimodal Low-rank Bilinear Attention Networks (MLB)
# Use 1x1 convolution for dimension reduction
def MLB(rnn_size_q, nhimage, common_embedding_size, joint_dropout, num_layers, noutput, batch_size, glimpse=None):
    p = .5  # dropout ratio
    activation = 'Tanh'
    multimodal_net = nn.Sequential()
    glimpse = glimpse or 2
    assert num_layers == 1, 'do not support stacked structure'
    print('MLB: No Shortcut')

    glimpses = nn.ConcatTable()
    for i in range(1, glimpse + 1):
        visual_embedding_ = nn.Sequential() \
            .add(nn.ConcatTable()
                 .add(nn.SelectTable(2 + i - 1))   # softmax [3~]
                 .add(nn.SelectTable(1))) \
            .add(nn.ParallelTable()
                 .add(nn.Identity())
                 .add(nn.SplitTable(1))) \
            .add(nn.MixtureTable()) \
            .add(nn.Dropout(p)) \
            .add(nn.Linear(nhimage, common_embedding_size)) \
            .add(getattr(nn, activation)())
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
                      .add(nn.Dropout(p))
                      .add(nn.Linear(rnn_size_q, common_embedding_size))
                      .add(getattr(nn, activation)())
                      .add(nn.Replicate(14 * 14, 1)))
                 .add(nn.Sequential()
                      .add(nn.Reshape(batch_size * 14 * 14, nhimage, False))
                      .add(nn.Dropout(p))
                      .add(nn.Linear(nhimage, common_embedding_size))
                      .add(getattr(nn, activation)())
                      .add(nn.Reshape(batch_size, 14 * 14, common_embedding_size, False)))) \
            .add(nn.CMulTable()) \
            .add(nn.Reshape(batch_size, 14, 14, common_embedding_size, False)) \
            .add(nn.Transpose([2, 3], [1, 2])) \
            .add(nn.SpatialConvolution(common_embedding_size, glimpse, 1, 1, 1, 1)) \
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
                                                  .add(nn.SelectTable(0))
                                                  .add(nn.Dropout(p))
                                                  .add(nn.Linear(rnn_size_q, common_embedding_size * glimpse))
                                                  .add(getattr(nn, activation)()))
                                             .add(visual_embedding)  # if L > 1, do clone
                                             .add(nn.SelectTable(1))
                                             ).add(nn.ConcatTable()
                                                   .add(nn.Sequential()
                                                        .add(nn.NarrowTable(0, 2))
                                                        .add(nn.CMulTable()))
                                                   .add(nn.SelectTable(2))
                                                   )
        rnn_size_q = common_embedding_size
    multimodal_net.add(nn.SelectTable(0)) \
        .add(nn.Dropout(p)) \
        .add(nn.Linear(common_embedding_size * glimpse, noutput))
    return multimodal_net


def MLB_updateBatchSize(net, nhimage, common_embedding_size, num_layers, batch_size, glimpse=None):
    ngrid = 14 * 14
    idx = 2  # start idx
    mstep = 5
    glimpse = glimpse or 2
    for i in range(0, num_layers):
        att = net.get(idx + i * mstep - 1)
        a1 = att.get(2).get(0).get(1)
        assert lg.type(a1.get(4)) == 'nn.Reshape'
        assert lg.type(a1.get(0)) == 'nn.Reshape'
        a1.remove(4)
        a1.remove(0)
        a1.insert(nn.Reshape(batch_size * ngrid, nhimage, False), 0)
        a1.insert(nn.Reshape(batch_size, ngrid, common_embedding_size, False), 4)
        a2 = att.get(2)
        assert lg.type(a2.get(5)) == 'nn.Reshape'
        assert lg.type(a2.get(2)) == 'nn.Reshape'
        a2.remove(5)
        a2.remove(2)
        a2.insert(nn.Reshape(batch_size, 14, 14, common_embedding_size, False), 2)
        a2.insert(nn.Reshape(batch_size, glimpse, ngrid, False), 5)

