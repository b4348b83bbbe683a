"""models/models-entail.lua: the entailment models: make_lstm (the word LSTM, unused by train-entail.lua's
decomposable-attention model but kept), make_parser (arc scores from a word's parent and child projections, then
the structured attention nn.EisnerCRF, 'struct', or a softmax over heads, 'simple'), make_sent_encoder (the
decomposable attention of Parikh et al.: attend, compare, aggregate, with the parser's parent and child
soft-selections joined to each word when ``opt.attn ~= 'none'``), set_size_parser and set_size_encoder, which
resize the models' nn.View layers in place for each batch, and the nn.gpu / nn.cpu modules that carry the
parser's input to the CPU and back.

``opt`` and the tables get_parser_layer1/2 and get_entail_layer fill are train-entail.lua's globals: this
module's ``opt``, ``parser_layers1``, ``parser_layers2``, ``entail_layers`` here (train_entail.main sets them:
Python's globals are a module's own). ``opt`` is the dict CmdLine's parse gives (``opt.x`` is ``opt['x']``).

Edits beyond syntax and 0-based indexing:
- the file's ``function nn.Module:reuseMem()`` and ``setReuse()`` (a second, smaller copy of memory.lua's) are
  the functions ``reuseMem`` and ``setReuse`` here, listed in MODULE_METHODS for the test's fixture to install on
  nn.Module (a script must not change legonn's class for every user of the process).
- ``nn.gpu`` and ``nn.cpu`` are the classes ``gpu`` and ``cpu``.
- ``opt.extra_feat``, which no option of train-entail.lua sets (nil, so never 1), is ``opt.get('extra_feat')``."""
import legonn as lg
from legonn import nn

from .EisnerCRF import EisnerCRF

opt = None
parser_layers1 = None
parser_layers2 = None
entail_layers = None


def reuseMem(self):
    self.reuse = True
    return self


def setReuse(self):
    if getattr(self, 'reuse', None):
        self.gradInput = self.output


MODULE_METHODS = {'reuseMem': reuseMem, 'setReuse': setReuse}


def make_lstm(data, rnn_size, input_size, n, opt, model):
    name = '_' + model
    dropout = opt['dropout'] if opt.get('dropout') is not None else 0
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]

    x, input_size_L = None, None
    outputs = []
    for L in range(1, n + 1):
        # c,h from previous timesteps
        prev_c = inputs[L*2 - 1]
        prev_h = inputs[L*2+1 - 1]
        # the input to this layer
        if L == 1:
            word_vecs = None
            if model == 'enc':
                x = inputs[0]
            else:
                word_vecs = nn.LookupTable(data.target_size, input_size)
                word_vecs.name = 'word_vecs' + name
                x = word_vecs(inputs[0])   # batch_size x word_vec_size
            input_size_L = input_size
        else:
            x = outputs[(L-1)*2 - 1]
            input_size_L = rnn_size
            if dropout > 0:
                x = nn.Dropout(dropout, None, False)(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).reuseMem()(x)
        h2h_layer = nn.Linear(rnn_size, 4*rnn_size, False)
        h2h = h2h_layer(prev_h)
        h2h_layer.name = 'h2h'
        all_input_sums = nn.CAddTable()([i2h, h2h])

        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid().reuseMem()(n1)
        forget_gate = nn.Sigmoid().reuseMem()(n2)
        out_gate = nn.Sigmoid().reuseMem()(n3)
        # decode the write inputs
        in_transform = nn.Tanh().reuseMem()(n4)
        # perform the LSTM update
        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])
        # gated cells form the output
        next_h = nn.CMulTable()([out_gate, nn.Tanh().reuseMem()(next_c)])

        outputs.append(next_c)
        outputs.append(next_h)
    return nn.gModule(inputs, outputs)


def make_parser(rnn_size):
    # placeholders (these will change during training)
    sent_l = 5
    batch_l = 1
    input = nn.Identity()()   # batch_l x sent_l x rnn_size
    parser_view = nn.View(batch_l*sent_l, rnn_size)
    parser_view.name = 'parser_view'
    score_input = parser_view(input)   # move to batch_l*sent_l x rnn_size
    parent = nn.Linear(rnn_size, rnn_size)(score_input)
    child = nn.Linear(rnn_size, rnn_size, False)(score_input)
    parent_view = nn.View(batch_l, sent_l, rnn_size)
    child_view = nn.View(batch_l, sent_l, rnn_size)
    parent_view.name = 'parent_view'
    child_view.name = 'child_view'
    parent = parent_view(parent)   # get back to batch_l x sent_l x rnn_size
    child = child_view(child)
    parent_rep = nn.Replicate(sent_l, 1, 4)
    child_rep = nn.Replicate(sent_l, 2, 4)
    parent_rep.name = 'parent_rep'
    child_rep.name = 'child_rep'
    parent = parent_rep(parent)
    child = child_rep(child)
    scores = nn.Tanh()(nn.CAddTable()([parent, child]))   # batch_l x sent_l x sent_l x rnn_size
    score_view = nn.View(batch_l*sent_l*sent_l, rnn_size)
    score_view.name = 'score_view'
    scores = nn.Linear(rnn_size, 1, False)(score_view(scores))   # batch_l*sent_l*sent_l x 1
    score_unview = nn.View(batch_l, sent_l, sent_l)
    score_unview.name = 'score_unview'
    scores = nn.Tanh()(score_unview(scores))
    dep_parser = EisnerCRF()
    dep_parser.name = 'dep_parser'
    output = None
    if opt['attn'] == 'struct':
        if opt['gpuid'] >= 0:
            output = gpu()(dep_parser(cpu()(nn.Tanh()(scores))))
        else:
            output = dep_parser(scores)
    elif opt['attn'] == 'simple':
        softmax_view = nn.View(batch_l*sent_l, sent_l)
        softmax_view.name = 'softmax_view'
        softmax_unview = nn.View(batch_l, sent_l, sent_l)
        softmax_unview.name = 'softmax_unview'
        output = nn.Transpose([1, 2])(softmax_unview(nn.SoftMax()(softmax_view(scores))))
    return nn.gModule([input], [output])


def get_parser_layer1(layer):
    if getattr(layer, 'name', None) is not None:
        parser_layers1[layer.name] = layer


def get_parser_layer2(layer):
    if getattr(layer, 'name', None) is not None:
        parser_layers2[layer.name] = layer


def get_entail_layer(layer):
    if getattr(layer, 'name', None) is not None:
        entail_layers[layer.name] = layer


def set_size_parser(batch_l, sent_l, rnn_size, t):
    t['parser_view'].size[0] = batch_l*sent_l
    t['parser_view'].numElements = batch_l*sent_l*rnn_size

    t['parent_view'].size[0] = batch_l
    t['parent_view'].size[1] = sent_l
    t['parent_view'].numElements = batch_l*sent_l*rnn_size

    t['child_view'].size[0] = batch_l
    t['child_view'].size[1] = sent_l
    t['child_view'].numElements = batch_l*sent_l*rnn_size

    if t.get('parent_rep') is not None:
        t['parent_rep'].nfeatures = sent_l
        t['child_rep'].nfeatures = sent_l
        if t.get('input2_rep') is not None:
            t['input2_rep'].nfeatures = sent_l

        t['score_view'].size[0] = batch_l*sent_l*sent_l
        t['score_view'].numElements = batch_l*sent_l*sent_l*rnn_size

        t['score_unview'].size[0] = batch_l
        t['score_unview'].size[1] = sent_l
        t['score_unview'].size[2] = sent_l
        t['score_unview'].numElements = batch_l*sent_l*sent_l
    if t.get('softmax_view') is not None:
        t['softmax_view'].size[0] = batch_l*sent_l
        t['softmax_view'].size[1] = sent_l
        t['softmax_view'].numElements = batch_l*sent_l*sent_l
        t['softmax_unview'].size[0] = batch_l
        t['softmax_unview'].size[1] = sent_l
        t['softmax_unview'].size[2] = sent_l
        t['softmax_unview'].numElements = batch_l*sent_l*sent_l


def set_size_encoder(batch_l, sent_l1, sent_l2, input_size, hidden_size, t):
    size = None
    if opt['proj'] == 1:
        size = hidden_size
    else:
        size = input_size
    if opt['attn'] != 'none':
        size = size * (opt['use_parent'] + opt['use_children'] + 1)

    if opt['proj'] == 1:
        t['input1_proj_view'].size[0] = batch_l*sent_l1
        t['input1_proj_view'].numElements = batch_l*sent_l1*input_size
        t['input2_proj_view'].size[0] = batch_l*sent_l2
        t['input2_proj_view'].numElements = batch_l*sent_l2*input_size

        t['input1_proj_unview'].size[0] = batch_l
        t['input1_proj_unview'].size[1] = sent_l1
        t['input1_proj_unview'].numElements = batch_l*sent_l1*hidden_size
        t['input2_proj_unview'].size[0] = batch_l
        t['input2_proj_unview'].size[1] = sent_l2
        t['input2_proj_unview'].numElements = batch_l*sent_l2*hidden_size

    t['input1_view'].size[0] = batch_l*sent_l1
    t['input1_view'].numElements = batch_l*sent_l1*size
    t['input1_unview'].size[0] = batch_l
    t['input1_unview'].size[1] = sent_l1
    t['input1_unview'].numElements = batch_l*sent_l1*hidden_size

    t['input2_view'].size[0] = batch_l*sent_l2
    t['input2_view'].numElements = batch_l*sent_l2*size
    t['input2_unview'].size[0] = batch_l
    t['input2_unview'].size[1] = sent_l2
    t['input2_unview'].numElements = batch_l*sent_l2*hidden_size

    t['scores1_view'].size[0] = batch_l*sent_l1
    t['scores1_view'].size[1] = sent_l2
    t['scores1_view'].numElements = batch_l*sent_l1*sent_l2
    t['scores2_view'].size[0] = batch_l*sent_l2
    t['scores2_view'].size[1] = sent_l1
    t['scores2_view'].numElements = batch_l*sent_l1*sent_l2

    t['scores1_unview'].size[0] = batch_l
    t['scores1_unview'].size[1] = sent_l1
    t['scores1_unview'].size[2] = sent_l2
    t['scores1_unview'].numElements = batch_l*sent_l1*sent_l2
    t['scores2_unview'].size[0] = batch_l
    t['scores2_unview'].size[1] = sent_l2
    t['scores2_unview'].size[2] = sent_l1
    t['scores2_unview'].numElements = batch_l*sent_l1*sent_l2

    if opt.get('extra_feat') == 1:
        t['input1_combined_view'].size[0] = batch_l*sent_l1
        t['input1_combined_view'].numElements = batch_l*sent_l1*4*size
        t['input2_combined_view'].size[0] = batch_l*sent_l2
        t['input2_combined_view'].numElements = batch_l*sent_l2*4*size
    else:
        t['input1_combined_view'].size[0] = batch_l*sent_l1
        t['input1_combined_view'].numElements = batch_l*sent_l1*2*size
        t['input2_combined_view'].size[0] = batch_l*sent_l2
        t['input2_combined_view'].numElements = batch_l*sent_l2*2*size

    t['input1_combined_unview'].size[0] = batch_l
    t['input1_combined_unview'].size[1] = sent_l1
    t['input1_combined_unview'].numElements = batch_l*sent_l1*hidden_size
    t['input2_combined_unview'].size[0] = batch_l
    t['input2_combined_unview'].size[1] = sent_l2
    t['input2_combined_unview'].numElements = batch_l*sent_l2*hidden_size


def make_sent_encoder(input_size, hidden_size, num_labels, dropout):
    sent_l1 = 5   # sent_l1, sent_l2, and batch_l are default values that will change
    sent_l2 = 10
    batch_l = 1
    inputs = []
    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())
    input1 = inputs[0]   # batch_l x sent_l1 x input_size
    input2 = inputs[1]   # batch_l x sent_l2 x input_size

    input1_proj, input2_proj, size = None, None, None
    if opt['proj'] == 1:
        proj1 = nn.Linear(input_size, hidden_size, False)
        proj2 = nn.Linear(input_size, hidden_size, False)
        proj1.name = 'proj1'
        proj2.name = 'proj2'
        input1_proj_view = nn.View(batch_l*sent_l1, input_size)
        input2_proj_view = nn.View(batch_l*sent_l2, input_size)
        input1_proj_unview = nn.View(batch_l, sent_l1, hidden_size)
        input2_proj_unview = nn.View(batch_l, sent_l2, hidden_size)
        input1_proj_view.name = 'input1_proj_view'
        input2_proj_view.name = 'input2_proj_view'
        input1_proj_unview.name = 'input1_proj_unview'
        input2_proj_unview.name = 'input2_proj_unview'
        input1_proj = input1_proj_unview(proj1(input1_proj_view(input1)))
        input2_proj = input2_proj_unview(proj2(input2_proj_view(input2)))
        size = hidden_size
    else:
        input1_proj = input1
        input2_proj = input2
        size = input_size

    if opt['attn'] != 'none':
        inputs.append(nn.Identity()())   # batch_l x sent_l1 x sent_l1
        inputs.append(nn.Identity()())   # batch_l x sent_l2 x sent_l2
        input1_tmp = input1_proj
        input2_tmp = input2_proj
        if opt['use_parent'] == 1:
            input1_parent = nn.MM()([nn.Transpose([1, 2])(inputs[2]), input1_tmp])
            input2_parent = nn.MM()([nn.Transpose([1, 2])(inputs[3]), input2_tmp])
            input1_proj = nn.JoinTable(2)([input1_proj, input1_parent])
            input2_proj = nn.JoinTable(2)([input2_proj, input2_parent])
        if opt['use_children'] == 1:
            input1_children = nn.MM()([inputs[2], input1_tmp])
            input2_children = nn.MM()([inputs[3], input2_tmp])
            input1_proj = nn.JoinTable(2)([input1_proj, input1_children])
            input2_proj = nn.JoinTable(2)([input2_proj, input2_children])
        size = size*(1 + opt['use_parent'] + opt['use_children'])

    f1 = nn.Sequential()
    f1.add(nn.Dropout(dropout))
    f1.add(nn.Linear(size, hidden_size))
    f1.add(nn.ReLU())
    f1.add(nn.Dropout(dropout))
    f1.add(nn.Linear(hidden_size, hidden_size))
    f1.add(nn.ReLU())
    f1.name = 'f1'
    f2 = nn.Sequential()
    f2.add(nn.Dropout(dropout))
    f2.add(nn.Linear(size, hidden_size))
    f2.add(nn.ReLU())
    f2.add(nn.Dropout(dropout))
    f2.add(nn.Linear(hidden_size, hidden_size))
    f2.add(nn.ReLU())
    f2.name = 'f2'
    input1_view = nn.View(batch_l*sent_l1, size)
    input2_view = nn.View(batch_l*sent_l2, size)
    input1_unview = nn.View(batch_l, sent_l1, hidden_size)
    input2_unview = nn.View(batch_l, sent_l2, hidden_size)
    input1_view.name = 'input1_view'
    input2_view.name = 'input2_view'
    input1_unview.name = 'input1_unview'
    input2_unview.name = 'input2_unview'

    input1_hidden = input1_unview(f1(input1_view(input1_proj)))
    input2_hidden = input2_unview(f2(input2_view(input2_proj)))
    scores1 = nn.MM()([input1_hidden,
                       nn.Transpose([1, 2])(input2_hidden)])   # batch_l x sent_l1 x sent_l2
    scores2 = nn.Transpose([1, 2])(scores1)   # batch_l x sent_l2 x sent_l1

    scores1_view = nn.View(batch_l*sent_l1, sent_l2)
    scores2_view = nn.View(batch_l*sent_l2, sent_l1)
    scores1_unview = nn.View(batch_l, sent_l1, sent_l2)
    scores2_unview = nn.View(batch_l, sent_l2, sent_l1)
    scores1_view.name = 'scores1_view'
    scores2_view.name = 'scores2_view'
    scores1_unview.name = 'scores1_unview'
    scores2_unview.name = 'scores2_unview'

    prob1 = scores1_unview(nn.SoftMax()(scores1_view(scores1)))
    prob2 = scores2_unview(nn.SoftMax()(scores2_view(scores2)))

    input2_soft = nn.MM()([prob1, input2_proj])   # batch_l x sent_l1 x input_size
    input1_soft = nn.MM()([prob2, input1_proj])   # batch_l x sent_l2 x input_size

    new_size, input1_combined, input2_combined = None, None, None
    if opt.get('extra_feat') == 1:
        input1_minus = nn.CAddTable()([input1_proj, nn.MulConstant(-1)(input2_soft)])
        input2_minus = nn.CAddTable()([input2_proj, nn.MulConstant(-1)(input1_soft)])
        input1_prod = nn.CMulTable()([input1_proj, input2_soft])
        input2_prod = nn.CMulTable()([input2_proj, input1_soft])
        input1_combined = nn.JoinTable(2)([input1_proj, input2_soft, input1_minus, input1_prod])   # batch_l x sent_l1 x input_size*2
        input2_combined = nn.JoinTable(2)([input2_proj, input1_soft, input2_minus, input2_prod])   # batch_l x sent_l2 x input_size*2
        new_size = size*4
    else:
        input1_combined = nn.JoinTable(2)([input1_proj, input2_soft])   # batch_l x sent_l1 x input_size*2
        input2_combined = nn.JoinTable(2)([input2_proj, input1_soft])   # batch_l x sent_l2 x input_size*2
        new_size = size*2
    input1_combined_view = nn.View(batch_l*sent_l1, new_size)
    input2_combined_view = nn.View(batch_l*sent_l2, new_size)
    input1_combined_unview = nn.View(batch_l, sent_l1, hidden_size)
    input2_combined_unview = nn.View(batch_l, sent_l2, hidden_size)
    input1_combined_view.name = 'input1_combined_view'
    input2_combined_view.name = 'input2_combined_view'
    input1_combined_unview.name = 'input1_combined_unview'
    input2_combined_unview.name = 'input2_combined_unview'

    g1 = nn.Sequential()
    g1.add(nn.Dropout(dropout))
    g1.add(nn.Linear(new_size, hidden_size))
    g1.add(nn.ReLU())
    g1.add(nn.Dropout(dropout))
    g1.add(nn.Linear(hidden_size, hidden_size))
    g1.add(nn.ReLU())
    g1.name = 'g1'
    g2 = nn.Sequential()
    g2.add(nn.Dropout(dropout))
    g2.add(nn.Linear(new_size, hidden_size))
    g2.add(nn.ReLU())
    g2.add(nn.Dropout(dropout))
    g2.add(nn.Linear(hidden_size, hidden_size))
    g2.add(nn.ReLU())
    g2.name = 'g2'
    input1_output = input1_combined_unview(g1(input1_combined_view(input1_combined)))
    input2_output = input2_combined_unview(g2(input2_combined_view(input2_combined)))
    input1_output = nn.Sum(1)(input1_output)   # batch_l x hidden_size
    input2_output = nn.Sum(1)(input2_output)   # batch_l x hidden_size
    new_size = hidden_size*2

    join_layer = nn.JoinTable(1)
    input12_combined = join_layer([input1_output, input2_output])
    join_layer.name = 'join'
    out_layer = nn.Sequential()
    out_layer.add(nn.Dropout(dropout))
    out_layer.add(nn.Linear(new_size, hidden_size))
    out_layer.add(nn.ReLU())
    out_layer.add(nn.Dropout(dropout))
    out_layer.add(nn.Linear(hidden_size, hidden_size))
    out_layer.add(nn.ReLU())
    out_layer.add(nn.Linear(hidden_size, num_labels))
    out_layer.add(nn.LogSoftMax())
    out_layer.name = 'out_layer'
    out = out_layer(input12_combined)
    return nn.gModule(inputs, [out])


class gpu(nn.Module):

    def __init__(self):
        nn.Module.__init__(self)
        self.output = lg.CudaTensor()
        self.gradInput = lg.DoubleTensor()

    def updateOutput(self, input):
        self.output = input.cuda()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.double()
        return self.gradInput


class cpu(nn.Module):

    def __init__(self):
        nn.Module.__init__(self)
        self.output = lg.DoubleTensor()
        self.gradInput = lg.CudaTensor()

    def updateOutput(self, input):
        self.output = input.double()
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.cuda()
        return self.gradInput


lg.register(gpu)
lg.register(cpu)
