"""misc/san.lua: the stacked attention network (Yang et al.'s SAN) as an nngraph gModule: inputs {image features
(batch x 14 x 14 x 512, VGG's pool5 as prepro_img saves it), question vector (batch x rnn_size)}, output the
answers' log-probabilities; each of ``num_attention_layers`` layers attends over the 196 regions with the
current query ``u`` and adds the attended image vector to it."""
from legonn import nn


def n_attention_layer(opt):
    inputs, outputs = [], []

    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())

    img_feat = inputs[0]
    ques_feat = inputs[1]

    u = ques_feat
    img_tr = nn.Dropout(0.5)(nn.Tanh()(nn.View(-1, 196, opt['im_tr_size'])(
        nn.Linear(512, opt['im_tr_size'])(nn.View(512).setNumInputDims(2)(img_feat)))))

    for i in range(1, opt['num_attention_layers'] + 1):

        # linear layer: 14x14x1024 -> 14x14x512
        img_common = nn.View(-1, 196, opt['common_embedding_size'])(
            nn.Linear(opt['im_tr_size'], opt['common_embedding_size'])(nn.View(-1, opt['im_tr_size'])(img_tr)))

        # replicate lstm state 196 times
        ques_common = nn.Linear(opt['rnn_size'], opt['common_embedding_size'])(u)
        ques_repl = nn.Replicate(196, 1)(ques_common)

        # add image and question features (both 196x512)
        img_ques_common = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([img_common, ques_repl])))
        h = nn.Linear(opt['common_embedding_size'], 1)(nn.View(-1, opt['common_embedding_size'])(img_ques_common))
        p = nn.SoftMax()(nn.View(-1, 196)(h))

        # weighted sum of image features
        p_att = nn.View(1, -1).setNumInputDims(1)(p)
        img_tr_att = nn.MM(False, False)([p_att, img_tr])
        img_tr_att_feat = nn.View(-1, opt['im_tr_size'])(img_tr_att)
        # add image feature vector and question vector
        u = nn.CAddTable()([img_tr_att_feat, u])

    # MLP to answers
    o = nn.LogSoftMax()(nn.Linear(opt['rnn_size'], opt['num_output'])(nn.Dropout(0.5)(u)))

    outputs.append(o)

    return nn.gModule(inputs, outputs)
