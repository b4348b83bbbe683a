"""train-qa.lua: the question-answering model of the paper's bAbI experiments: a memory network whose two hops
are the states of a linear-chain CRF over the story's sentences ('binarycrf': edge potentials from the memories
and the question, through nn.CRFB; 'unarycrf': node potentials, through nn.CRF), the answer predicted from the
expected output embeddings under the chain's marginals; training by plain gradient steps with renormalisation,
held-out accuracy, the best model kept and tested.

Edits beyond syntax and 0-based indexing:
- the script's body is ``main(arg)``; the Lua's globals (opt, the data, the layers and nodes, the model, params,
  the potentials theta0/theta12/theta3, te_mask, ...) are this module's globals (``global`` in each function that
  assigns them; the ones the Lua only ever reads as nil start as None here).
- ``nstates = opt.max_history + 1`` is also written into the CRFB port's module (``CRFB_file.nstates = nstates``):
  models/CRFB.lua reads this global when it builds its Markov (docs/porting.md's row on globals shared by files).
- ``nn.CRF`` and ``nn.CRFB`` are ``CRF_file.CRF`` and ``CRFB_file.CRFB`` (the global ``CRF`` the Lua assigns, a
  Sequential, would hide a class of that name).
- word ids in the hdf5 file (the stories, questions, answers and idx_start/end/pad/rare) are the Lua's, from 1:
  load() adds -1 to them; the answers index nwords classes from 0.
- loop variables whose values enter a formula or a printed count keep the Lua's values (``iEpoch``,
  makePosEncMat's ``j`` and ``k``): indices are written ``- 1``.
- ``Y_hat:long() - testA`` (n against n x 1, Torch7's operator pairs the elements) is ``lg.add(Y_hat.long(), -1,
  testA)`` (docs/porting.md's row on ``a - b`` of shapes NumPy broadcasts).
- ``{x,q,te_mask,theta0,theta12,theta3}`` is ``lua_table(x, q, te_mask, theta0, theta12, theta3)``: the thetas
  are nil in the unary model, whose gModule takes three inputs, and a Lua table ends at its last non-nil value
  (docs/porting.md's row on trailing nils).
- ``require("rnn")`` loads nothing the script uses; ``require("cunn")`` is legonn's CUDA tensors."""
import math

import legonn as lg
from legonn import hdf5, nn

from . import CRF as CRF_file
from . import CRFB as CRFB_file

cmd = lg.CmdLine()

# Cmd Args
cmd.option('-datafile', 'qa11.hdf5', 'data file')
cmd.option('-classifier', 'binarycrf', 'classifier to use')

# Hyperparameters
cmd.option('-eta', 0.01, 'learning rate hyperparameter for lr/nn')
cmd.option('-max_grad_norm', 40, 'max norm for RNN models')
cmd.option('-grad_norm', 'global', '[global, local, off] gradient renormalization')
cmd.option('-N', 100, 'num epochs hyperparameter for lr/nn')
cmd.option('-D0', 20, 'num outputs of lookup layer of nn')
cmd.option('-debug', '', 'specify model to debug')
cmd.option('-unit_test', False, 'whether run all unit tests')

# Model parameters
cmd.option('-max_history', 25, 'max history')
cmd.option('-max_sent_len', 20, 'max sent len')
cmd.option('-pe', False, 'enable position encoding')
cmd.option('-te', False, 'enable temporal encoding')
cmd.option('-save', False, 'whether to save model')
cmd.option('-saveminacc', 0.5, 'minimum accuracy on test set required to save model')
cmd.option('-cuda', False, 'whether to use cuda')

# globals the Lua reads before (or without) setting them: nil there
opt = None
te_mask = theta0 = theta12 = theta3 = None
A_pe = B_pe = C_pe = C2_pe = C3_pe = None
ltn = C2 = C3 = None
bestHeldoutModel = None


def lua_table(*values):
    """The Lua table constructor ``{a, b, c}`` where the last values may be nil: a table of the values up to the
    last non-nil one (the unary model's ``{x,q,te_mask,theta0,theta12,theta3}`` has three entries, the thetas
    being nil there)."""
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return values


def main(arg):
    global opt
    # Parse input params
    opt = cmd.parse(arg)
    load()
    if opt['debug'] != '':
        debugModel()
    else:
        print("Using data file: %s" % opt['datafile'])
        if opt['cuda']:
            print("Using Cuda")
        else:
            print("Using CPU")
        if opt['pe']:
            print('Using Position Encoding')
        if opt['te']:
            print('Using Temporal Encoding')
        if opt['classifier'] == 'binarycrf':
            runCRF()
        elif opt['classifier'] == 'unarycrf':
            runCRF()
        else:
            print("NOT IMPLEMENTED")


def runCRF():
    trainCRF()
    testModel(False)


def trainCRF():
    global D0, nstates, T, theta0, theta12, theta3, crit, train_stories, train_questions, train_answers
    global params, gradParams, i, trainLoss, nng_x, nng_m, nng_c, nng_c2, nng_c3, n_pad_rows, nng_theta
    print(("Training %s model with N = %d, D0 = %d, Eta = %f, " +
           "Max History = %d, Max Sentence Length = %d, Max Gradient Norm = %d, " +
           "Gradient Norm Type = %s") % (opt['classifier'],
                                         opt['N'], opt['D0'], opt['eta'], opt['max_history'], opt['max_sent_len'],
                                         opt['max_grad_norm'], opt['grad_norm']))

    D0 = opt['D0']
    eta = opt['eta']
    trainLoss = lg.zeros(opt['N'])
    timer = lg.Timer()

    create_embedding_layers()

    # number of states in CRF, including the <nil> state at start and end time step
    nstates = opt['max_history'] + 1
    CRFB_file.nstates = nstates
    # number of time steps, i.e. length of sequence
    T = 2

    if opt['classifier'] == 'binarycrf':
        create_binarycrf_model()
    else:
        create_unarycrf_model()

    if opt['classifier'] == 'binarycrf':
        theta0 = lg.zeros(1, nstates, nstates)
        theta12 = lg.zeros(1, nstates, nstates)
        theta3 = lg.zeros(1, nstates, nstates)

    if opt['cuda']:
        model.cuda()
        crit = crit.cuda()
        if opt['classifier'] == 'binarycrf':
            theta0 = theta0.cuda()
            theta12 = theta12.cuda()
            theta3 = theta3.cuda()
        train_stories = train_stories.cuda()
        train_questions = train_questions.cuda()
        train_answers = train_answers.cuda()

    params, gradParams = model.getParameters()

    # good initializations for params
    gradParams.zero()
    for i_ in range(params.size(0)):
        params[i_] = lg.randn(1)[0] / lg.sqrt(10)   # IMPORTANT

    if opt['pe']:
        resetPE()

    for iEpoch in range(1, opt['N'] + 1):
        idxs = lg.randperm(train_stories.size(0)).long()
        for l in range(train_stories.size(0)):
            zeroLookupTable()

            i = int(idxs[l])

            x = getStory(train_stories, i, opt['max_history'], opt['max_sent_len'])
            q = train_questions[i]
            preds = model.forward(lua_table(x, q, te_mask, theta0, theta12, theta3))

            # test various outputs
            if opt['unit_test']:
                for i_, node in enumerate(model.forwardnodes):
                    if node.data.annotations.get('name') == 'cp123':
                        assert abs(node.data.module.output.sum()-1) <= 1e-8, 'incorrect distribution'
                        break
                    if node.data.annotations.get('name') == 'nom':
                        nom_output = node.data.module.output.view(T, nstates-1)
                        assert lg.all(nom_output.sum(1).add(-1).abs().le(1e-8)), 'incorrect node marginals'
                        break

                # embedding rows corresponding to padding should be zero
                nng_x = get_module_output('x')
                nng_m = get_module_output('m')
                nng_c = get_module_output('c')
                nng_c2 = get_module_output('c2')
                nng_c3 = get_module_output('c3')
                n_pad_rows = lg.sum(nng_x[:, 0].eq(idx_pad))
                if nng_m is not None:
                    assert n_pad_rows == n_zero_rows(nng_m), 'Embeddings incorrect.'
                if nng_c is not None:
                    assert n_pad_rows == n_zero_rows(nng_c), 'Embeddings incorrect.'
                if nng_c2 is not None:
                    assert n_pad_rows == n_zero_rows(nng_c2), 'Embeddings incorrect.'
                if nng_c3 is not None:
                    assert n_pad_rows == n_zero_rows(nng_c3), 'Embeddings incorrect.'

                nng_theta = get_module_output('theta')   # unary crf model
                if nng_theta is not None:
                    assert T*(n_pad_rows+1) == nng_theta[0, :, 0:int(n_pad_rows)+1].eq(-math.inf).sum(), \
                        'incorrect unary potentials'

            if l < 1:
                debug_names = Set(["x", "m", "theta", "cp123", "CRF", "Theta01", "Theta12", "Theta20"])
                for i_, v in enumerate(model.forwardnodes):
                    if debug_names.get(v.data.annotations.get('name')):
                        print(v.data.annotations.get('name'))
                        print(v.data.module.output)

            max_prob, max_idx = lg.max(preds, 0)
            loss = crit.forward(preds, train_answers[i])
            trainLoss[iEpoch - 1] = trainLoss[iEpoch - 1] + loss
            dLdinp = crit.backward(preds, train_answers[i])
            gradParams.zero()
            model.backward(lua_table(x, q, te_mask, theta0, theta12, theta3), dLdinp)
            zeroPEGrad()
            adjustGrad()
            params.add(-eta, gradParams)

        print("epoch " + str(iEpoch), "loss " + str(trainLoss[iEpoch - 1]))
        print("Total time taken", timer.time()['real'])

        if trainLoss[iEpoch - 1] < 5:
            print("Loss is sufficiently small. Exiting")
            break

        if iEpoch == 20:
            if opt['classifier'] == 'binarycrf':
                print('Re-inserting softmax')
                THETA01_pre.insert(nn.LogSoftMax(), 2)
                THETA12_pre.insert(nn.LogSoftMax(), 1)
                THETA20_pre.insert(nn.LogSoftMax(), 2)
                print('THETA01_pre')
                print(THETA01_pre)
                print('THETA12_pre')
                print(THETA12_pre)
                print('THETA20_pre')
                print(THETA20_pre)
            else:
                THETA_PRE.insert(nn.LogSoftMax(), 2)

        testModel(True)

        eta = adjustEta(eta, iEpoch)


def create_binarycrf_model():
    global M_I, N_J, U2, U_MI, MI_NJ, U_NJ, THETA01_pre, THETA01, THETA12_pre, THETA12, THETA20_pre, THETA20, CRF
    global T0_inp, T12_inp, T3_inp, m_i, n_j, u2, umi, minj, unj, theta01_pre, theta01, theta12_pre, theta12
    global theta20_pre, theta20, crf, model
    # theta^(t) (i,j) = u_1^T m_i + m_i^T n_j + u_2^T n_j
    M_I = nn.Sequential().add(nn.SplitTable(0)).add(nn.MapTable()
                                                    .add(nn.Replicate(opt['max_history'], 0))).add(nn.JoinTable(0))

    N_J = nn.Sequential().add(nn.Replicate(opt['max_history'], 0)) \
        .add(nn.Reshape(opt['max_history'] * opt['max_history'], D0))

    U2 = nn.Linear(D0, D0)

    U_MI = nn.MM(False, True)   # Mi * u
    MI_NJ = nn.DotProduct()   # Mi * Mj
    U_NJ = nn.MM(False, True)   # Nj * u

    THETA01_pre = nn.Sequential() \
        .add(nn.MM(False, True)) \
        .add(nn.View(1, opt['max_history'])) \
        .add(nn.Padding(1, -1, 2, -math.inf)) \
        .add(nn.Padding(0, opt['max_history'], 2, -math.inf)) \
        .add(nn.View(1, nstates, nstates))
    THETA01 = nn.CAddTable()

    THETA12_pre = nn.Sequential() \
        .add(nn.CAddTable()) \
        .add(nn.View(opt['max_history'], opt['max_history'])) \
        .add(nn.Padding(0, -1, 2, -math.inf)) \
        .add(nn.Padding(1, -1, 2, -math.inf)) \
        .add(nn.View(1, nstates, nstates))
    THETA12 = nn.CAddTable()

    THETA20_pre = nn.Sequential() \
        .add(nn.MM(False, True)) \
        .add(nn.View(1, opt['max_history'])) \
        .add(nn.View(opt['max_history'], 1)) \
        .add(nn.Padding(0, -1, 2, -math.inf)) \
        .add(nn.Padding(1, opt['max_history'], 2, -math.inf)) \
        .add(nn.View(1, nstates, nstates))
    THETA20 = nn.CAddTable()

    CRF = nn.Sequential().add(nn.JoinTable(0)).add(nn.View(1, T+1, nstates, nstates)) \
        .add(nn.NaN(CRFB_file.CRFB())).add(nn.Exp())

    create_crf_infer_module()

    # nngraph based model
    create_embedding_nodes()
    T0_inp = nn.Identity()().annotate({'name': 'T0', 'description': 'constant binary potentials for first step'})
    T12_inp = nn.Identity()().annotate({'name': 'T12', 'description': 'constant binary potentials for second step'})
    T3_inp = nn.Identity()().annotate({'name': 'T3', 'description': 'constant binary potentials for last step'})

    m_i = M_I(m).annotate({'name': 'mi', 'description': 'memory embeddings replicated'})
    n_j = N_J(c).annotate({'name': 'nj', 'description': 'memory embeddings replicated'})

    u2 = U2(u).annotate({'name': 'u2', 'description': 'second layer query embeddings'})

    umi = U_MI([m_i, u]).annotate({'name': 'umi', 'description': 'u^T m_i'})
    minj = MI_NJ([m_i, n_j]).annotate({'name': 'minj', 'description': 'm_i^T n_j'})
    unj = U_NJ([n_j, u2]).annotate({'name': 'unj', 'description': 'u^T n_j'})

    theta01_pre = THETA01_pre([u, m]).annotate({'name': 'Theta01_pre', 'description': 'binary potential theta at first step'})
    theta01 = THETA01([theta01_pre, T0_inp]).annotate({'name': 'Theta01', 'description': 'binary potential theta at first step'})

    theta12_pre = THETA12_pre([umi, minj, unj]).annotate({'name': 'Theta12_pre', 'description': 'binary potential theta'})
    theta12 = THETA12([theta12_pre, T12_inp]).annotate({'name': 'Theta12', 'description': 'binary potential theta'})

    theta20_pre = THETA20_pre([u2, c]).annotate({'name': 'Theta20_pre', 'description': 'binary potential theta at last step'})
    theta20 = THETA20([T3_inp, theta20_pre]).annotate({'name': 'Theta20', 'description': 'binary potential theta at last step'})

    crf = CRF([theta01, theta12, theta20]).annotate({'name': 'CRF', 'description': 'CRF layer'})

    create_crf_infer_node()

    model = nn.gModule([x_inp, q_inp, te_inp, T0_inp, T12_inp, T3_inp], [a_hat])


def create_unarycrf_model():
    global U_MI_1, U_MI_2, THETA_MASK, THETA_PRE, THETA, M2_T_M1, U2, CRF
    global m2_t_m1, u2, umi_1, umi_2, theta_mask, theta_pre, theta, crf, model
    U_MI_1 = nn.MM(False, True)   # u^T * M1
    U_MI_2 = nn.MM(False, True)   # u^T * M2

    THETA_MASK = nn.Sequential() \
        .add(nn.Select(1, 0)) \
        .add(nn.Log()) \
        .add(nn.Replicate(T, 0)) \
        .add(nn.Padding(1, -1, 2, -math.inf)) \
        .add(nn.View(1, T, nstates))

    THETA_PRE = nn.Sequential() \
        .add(nn.JoinTable(0)) \
        .add(nn.View(T, opt['max_history'])) \
        .add(nn.Padding(1, -1, 2, -math.inf)) \
        .add(nn.View(1, T, nstates))

    THETA = nn.CAddTable()

    M2_T_M1 = nn.MM(True, False)
    U2 = nn.Sequential().add(nn.MM(False, True)).add(nn.View(1, D0))

    CRF = nn.Sequential().add(nn.NaN(CRF_file.CRF(nstates))).add(nn.Exp())

    create_crf_infer_module()

    # nngraph based model
    create_embedding_nodes()

    m2_t_m1 = M2_T_M1([c, m]).annotate({'name': 'm2tm1', 'description': 'M2^T * M1'})
    u2 = U2([m2_t_m1, u]).annotate({'name': 'u2', 'description': 'second layer query embeddings'})

    umi_1 = U_MI_1([u, m]).annotate({'name': 'umi1', 'description': 'u1^T mi'})
    umi_2 = U_MI_2([u2, c]).annotate({'name': 'umi2', 'description': 'u2^T mi'})

    theta_mask = THETA_MASK(te_inp).annotate({'name': 'theta_mask', 'description': 'binary potential theta'})
    theta_pre = THETA_PRE([umi_1, umi_2]).annotate({'name': 'theta_pre', 'description': 'binary potential theta'})
    theta = THETA([theta_pre, theta_mask]).annotate({'name': 'theta', 'description': 'binary potential theta'})

    crf = CRF(theta).annotate({'name': 'CRF', 'description': 'CRF layer'})

    create_crf_infer_node()

    model = nn.gModule([x_inp, q_inp, te_inp], [a_hat])


# create full distribution nngraph modules
def create_crf_infer_module():
    global CP, CP1, CP2, CP12, CP3, CP123, CPAD1, CPAD2, CEMB1, CEMB2, CEMB, O, W
    # the following computes probability distribution over all sequences [x_i, x_j, x_k]
    # conditional probabilities p(x_j | x_i) = p(x_i,x_j) / sum_j' p(x_i,x_j')
    CP = nn.Sequential().add(nn.View(T+1, nstates, nstates)).add(nn.SplitTable(0)) \
        .add(nn.MapTable().add(nn.Normalize(1)))
    # p(x_i | <nil>)
    CP1 = nn.Sequential().add(nn.SelectTable(0)).add(nn.Select(0, 0)).add(nn.Replicate(nstates, 1))
    # p(x_j | x_i)
    CP2 = nn.SelectTable(1)
    # p(<nil>, x_i, x_j) = p(x_j | x_i) * p(x_i | <nil>)
    CP12 = nn.CMulTable()
    # p(<nil> | x_j)
    CP3 = nn.Sequential().add(nn.SelectTable(2)).add(nn.Select(1, 0)) \
        .add(nn.Replicate(nstates, 0))
    # p(<nil>, x_i, x_j, <nil>), size = C x C
    CP123 = nn.Sequential().add(nn.CMulTable()).add(nn.View(1, nstates * nstates))

    # compute c_i + c_j
    # pad c with an extra row for <nil> sentence
    CPAD1 = nn.Padding(0, -1, 2, 0)
    CPAD2 = nn.Padding(0, -1, 2, 0)

    # replicate c in two different ways so that summing them up would
    # result in the desired sum
    CEMB1 = nn.Sequential().add(nn.Replicate(nstates, 0)) \
        .add(nn.Reshape(nstates * nstates, D0))
    CEMB2 = nn.Sequential().add(nn.SplitTable(0)).add(nn.MapTable()
                                                      .add(nn.Replicate(nstates, 0))) \
        .add(nn.JoinTable(0)).add(nn.Reshape(nstates * nstates, D0))
    CEMB = nn.Sequential().add(nn.ParallelTable().add(CEMB2).add(CEMB1)) \
        .add(nn.CAddTable())

    O = nn.MM(False, False)
    W = nn.Sequential().add(nn.CAddTable()).add(nn.Linear(D0, nwords, False)) \
        .add(nn.LogSoftMax()).add(nn.Squeeze())


def create_crf_infer_node():
    global cp, cp1, cp2, cp3, cp12, cp123, cpad1, cpad2, cemb, o, a_hat, crit
    cp = CP(crf).annotate({'name': 'cp', 'description': 'conditional probabilities p(j | i)'})
    cp1 = CP1(cp).annotate({'name': 'cp1', 'description': 'p(x_i | <nil>)'})
    cp2 = CP2(cp).annotate({'name': 'cp2', 'description': 'p(x_j | x_i)'})
    cp3 = CP3(cp).annotate({'name': 'cp3', 'description': 'p(x_k | x_j)'})
    cp12 = CP12([cp1, cp2]).annotate({'name': 'cp12', 'description': 'p(<nil>, x_i, x_j)'})
    cp123 = CP123([cp12, cp3]).annotate({'name': 'cp123', 'description': 'p(<nil>, x_i, x_j, x_k)'})

    cpad1 = CPAD1(c2).annotate({'name': 'cpad1', 'description': 'nil-padded output embedding'})
    cpad2 = CPAD2(c3).annotate({'name': 'cpad2', 'description': 'nil-padded output embedding'})
    cemb = CEMB([cpad1, cpad2]).annotate({'name': 'cemb', 'description': 'Sum of embeddings c_i + c_j + c_k'})
    o = O([cp123, cemb]).annotate({'name': 'output', 'description': 'Output vector'})

    a_hat = W([o, u2]).annotate({'name': 'a_hat', 'description': 'output predictions'})

    crit = nn.ClassNLLCriterion()


def create_embedding_layers():
    global ltx, ltq, A, B, A_pe, B_pe, C, C_pe, C2, C3, C2_pe, C3_pe, A_mask, C_mask, C2_mask, C3_mask, te_mask
    ltx = nn.LookupTable(nwords, D0)
    ltq = ltx.clone('weight', 'gradWeight')
    A = nn.Sequential()
    B = nn.Sequential()

    if opt['pe']:   # position encoding
        A_pe = nn.CMul(opt['max_history'], opt['max_sent_len'], D0)
        A.add(A_pe)
    A.add(nn.Sum(1))
    if opt['te']:   # temporal encoding
        A.add(nn.View(1, D0*opt['max_history'])).add(nn.Add(D0*opt['max_history'])) \
            .add(nn.View(opt['max_history'], D0))

    # for query
    # adding position encoding
    if opt['pe']:
        B_pe = nn.CMul(train_questions.size(1), D0)
        B.add(B_pe)
    B.add(nn.Sum(0)).add(nn.View(1, D0))

    # for output representation of the memories
    C = nn.Sequential().add(nn.LookupTable(nwords, D0))
    if opt['pe']:   # position encoding
        C_pe = nn.CMul(opt['max_history'], opt['max_sent_len'], D0)
        C.add(C_pe)
    C.add(nn.Sum(1))
    if opt['te']:   # temporal encoding
        C.add(nn.View(1, D0*opt['max_history'])).add(nn.Add(D0*opt['max_history'])) \
            .add(nn.View(opt['max_history'], D0))

    C2 = C.clone()
    C3 = C.clone()
    if opt['pe']:
        C2_pe = C2.get(1)
        C3_pe = C3.get(1)

    A_mask = nn.CMulTable()
    C_mask = nn.CMulTable()
    C2_mask = nn.CMulTable()
    C3_mask = nn.CMulTable()

    te_mask = lg.ones(opt['max_history'], D0)


def create_embedding_nodes():
    global x_inp, q_inp, te_inp, x_pre, q_pre, m_pre, u, c_pre, c2_pre, c3_pre, m, c, c2, c3
    x_inp = nn.Identity()().annotate({'name': 'x', 'description': 'memories'})
    q_inp = nn.Identity()().annotate({'name': 'q', 'description': 'query'})
    te_inp = nn.Identity()().annotate({'name': 'te_inp', 'description': 'temporal encoding'})

    x_pre = ltx(x_inp).annotate({'name': 'x_pre', 'description': 'pre embeddings'})
    q_pre = ltq(q_inp).annotate({'name': 'q_pre', 'description': 'pre embeddings'})
    m_pre = A(x_pre).annotate({'name': 'm_pre', 'description': 'memory embeddings'})
    u = B(q_pre).annotate({'name': 'u', 'description': 'query embeddings'})
    c_pre = C(x_inp).annotate({'name': 'c_pre', 'description': 'output embeddings'})
    c2_pre = C2(x_inp).annotate({'name': 'c2_pre', 'description': 'output embeddings'})
    c3_pre = C3(x_inp).annotate({'name': 'c3_pre', 'description': 'output embeddings'})

    m = A_mask([m_pre, te_inp]).annotate({'name': 'm', 'description': 'm'})
    c = C_mask([c_pre, te_inp]).annotate({'name': 'c', 'description': 'c'})
    c2 = C2_mask([c2_pre, te_inp]).annotate({'name': 'c2', 'description': 'c2'})
    c3 = C3_mask([c3_pre, te_inp]).annotate({'name': 'c3', 'description': 'c3'})


def adjustGrad():
    global params, gradParams, newParams, newGradParams
    if opt['grad_norm'] == 'off':
        return
    grad = None
    if opt['grad_norm'] == 'global':
        renorm(gradParams, opt['max_grad_norm'])
    elif opt['grad_norm'] == 'local':
        for i, node in enumerate(model.forwardnodes):
            if node.data.module is not None:
                lmod = node.data.module
                if lmod.gradWeight is not None and lmod.gradBias is not None:
                    grad = nn.JoinTable(0).forward([lmod.gradWeight.view(-1, 1), lmod.gradBias.view(-1, 1)])
                elif lmod.gradWeight is not None:
                    grad = lmod.gradWeight.view(-1, 1)
                elif lmod.gradBias is not None:
                    grad = lmod.gradBias.view(-1, 1)
                renorm(grad, opt['max_grad_norm'])
    if opt['unit_test']:   # test grad renorm
        newParams, newGradParams = model.getParameters()
        assert lg.sum(gradParams.eq(newGradParams)) == gradParams.size()[0], 'renorm failed test'
        params = newParams
        gradParams = newGradParams


def renorm(t, norm):
    if t is not None and len(t.size()) > 0:
        t_norm = lg.sqrt(t.dot(t))
        shrinkage = norm / t_norm
        if shrinkage < 1:
            t.mul(shrinkage)


def adjustEta(eta, epoch):
    if epoch <= 100:
        if epoch % 25 == 0:
            return eta / 2
    return eta


def debugModel():
    global debugFile, proto, model, opt, max_history, D0, max_sent_len, nstates, T, te_mask
    global theta0, theta12, theta3
    nanswers = test_answers.size(0)
    all_predictions = lg.zeros(nanswers)
    all_prediction_scores = lg.zeros(nanswers, nwords)
    all_marginals = None

    debugFile = opt['debug']
    proto = lg.load(opt['debug'])
    model = proto['model']
    opt = proto['options']
    max_history = opt['max_history']
    D0 = opt['D0']
    max_sent_len = opt['max_sent_len']
    nstates = max_history + 1
    T = 2
    te_mask = lg.ones(max_history, D0)

    outDebugFile = hdf5.open('' + debugFile + '.debug', 'w')

    if debugFile.find(".binarycrf") != -1 or debugFile.find(".unarycrf") != -1:
        print('Detected crf model')

        if debugFile.find(".binarycrf") != -1:
            theta0 = lg.zeros(1, nstates, nstates)
            theta12 = lg.zeros(1, nstates, nstates)
            theta3 = lg.zeros(1, nstates, nstates)

        # data to save to file
        all_marginals = lg.zeros(nanswers, T + 1, nstates, nstates)
        all_distribution = lg.zeros(nanswers, T, nstates - 1)

        for i in range(test_stories.size(0)):
            x = getStory(test_stories, i, max_history, max_sent_len)
            q = test_questions[i]
            all_prediction_scores[i] = model.forward(lua_table(x, q, te_mask, theta0, theta12, theta3))
            _, all_predictions[i] = lg.max(all_prediction_scores[i].float(), 0)
            for _, p in enumerate(model.forwardnodes):
                if p.data.annotations.get('name') == 'nom':
                    all_distribution[i] = p.data.module.output.view(T, nstates-1)
                elif p.data.annotations.get('name') == 'CRF':
                    all_marginals[i] = p.data.module.output
        outDebugFile.write('distribution', all_distribution)

    print('Accuracy = ' + str(lg.eq(all_predictions.long(), test_answers).sum()/nanswers))
    outDebugFile.write('scores', all_prediction_scores)
    outDebugFile.write('answers', test_answers.squeeze())
    outDebugFile.write('predictions', all_predictions.long())
    outDebugFile.write('marginals', all_marginals)
    outDebugFile.close()


def testModel(useHeldout):
    global testX, testQ, testA, accuracyText, model, bestHeldoutAccuracy, bestHeldoutModel
    if useHeldout:
        testX = heldout_stories
        testQ = heldout_questions
        testA = heldout_answers
        accuracyText = "Accuracy on held out = "
    else:
        testX = test_stories
        testQ = test_questions
        testA = test_answers
        accuracyText = "Accuracy on test set = "
        model = bestHeldoutModel

    if opt['cuda']:
        testX = testX.cuda()
        testQ = testQ.cuda()

    Y_hat = lg.zeros(testA.size(0))
    zeroLookupTable()
    for i in range(testX.size(0)):
        x = getStory(testX, i, opt['max_history'], opt['max_sent_len'])
        q = testQ[i]
        preds = model.forward(lua_table(x, q, te_mask, theta0, theta12, theta3))
        _, Y_hat[i] = lg.max(preds.float(), 0)
    correct = lg.eq(lg.add(Y_hat.long(), -1, testA), 0).sum()
    accuracy = correct/Y_hat.size(0)
    print(accuracyText + str(accuracy))

    if useHeldout:
        if bestHeldoutAccuracy < accuracy:
            bestHeldoutAccuracy = accuracy
            bestHeldoutModel = model.clone()
    else:
        # re-test the best model on held out set for sanity check
        Y_hat_heldout = lg.zeros(heldout_answers.size(0))
        for i in range(heldout_stories.size(0)):
            x = getStory(heldout_stories, i, opt['max_history'], opt['max_sent_len'])
            q = heldout_questions[i]
            preds = model.forward(lua_table(x, q, te_mask, theta0, theta12, theta3))
            _, Y_hat_heldout[i] = lg.max(preds.float(), 0)
        accuracy_heldout = lg.eq(lg.add(Y_hat_heldout.long(), -1, heldout_answers), 0).sum() / Y_hat_heldout.size(0)
        if accuracy_heldout != bestHeldoutAccuracy:
            print('Best model on held out set is lost, cannot reproduce accuracy ' +
                  str(bestHeldoutAccuracy) + ', actual accuracy = ' + str(accuracy_heldout))
        else:
            print('Using model which achieved ' + str(accuracy_heldout) + ' on held out set.')
        if opt['save'] and accuracy >= opt['saveminacc']:
            acc = lg.LongTensor([accuracy*10000]).double()[0]/100
            modelFile = opt['datafile'] + "." + str(acc) + "." + opt['classifier']
            lg.save(modelFile, {'model': model, 'options': opt})
            print('Saved model to ' + modelFile)


def makePosEncMat(inputLayer):
    global num_sent, sent_len, embed_size
    if inputLayer is None:
        return

    input = inputLayer.weight
    input.zero()

    if input.dim() == 3:
        num_sent, sent_len, embed_size = input.size(0), input.size(1), input.size(2)
        for i in range(1, num_sent + 1):
            for j in range(1, sent_len + 1):
                for k in range(1, embed_size + 1):
                    input[i-1][j-1][k-1] = (1-j/sent_len) - (k/embed_size)*(1 - (2*j/sent_len))
    else:
        sent_len, embed_size = input.size(0), input.size(1)
        for j in range(1, sent_len + 1):
            for k in range(1, embed_size + 1):
                input[j-1][k-1] = (1-j/sent_len) - (k/embed_size)*(1 - (2*j/sent_len))


# convert 1 x all_stories_by_question to num_stories x max_single_story_len
def getStory(X, q_id, max_history, max_sent_len):
    story = X[q_id, num_history - max_history:num_history, 0:max_sent_len]

    # detect empty memories and clear out theta potentials
    num_empty_sentences = int(lg.sum(story[:, 0].eq(idx_pad)))

    if te_mask is not None:
        te_mask.fill(1)
        if num_empty_sentences > 0:
            te_mask[0:num_empty_sentences].fill(0)

    num_empty_sentences = num_empty_sentences + 1   # add 1 for the <nil> state

    if theta0 is not None:
        theta0.fill(-math.inf)
        theta0[:, 0, num_empty_sentences:nstates].fill(0)   # first row

    if theta3 is not None:
        theta3.fill(-math.inf)
        theta3[:, num_empty_sentences:nstates, 0].fill(0)   # first column

    if theta12 is not None:
        theta12.fill(-math.inf)
        theta12[:, num_empty_sentences:nstates, num_empty_sentences:nstates].fill(0)   # bottom right n x n square
        for i in range(nstates):
            theta12[0, i, i] = -math.inf

    return story


def get_module_output(name):
    for i, v in enumerate(model.forwardnodes):
        if v.data.annotations.get('name') == name and v.data.module is not None:
            return v.data.module.output
    return None


def n_zero_rows(ts):
    if ts is not None:
        return lg.sum(lg.sum(lg.abs(ts), 1).eq(0))
    else:
        return 0


def resetPE():
    makePosEncMat(A_pe)
    makePosEncMat(B_pe)
    makePosEncMat(C_pe)
    makePosEncMat(C2_pe)
    makePosEncMat(C3_pe)


def zeroPEGrad():
    if opt['pe']:
        if A_pe is not None:
            A_pe.gradWeight.zero()
        if B_pe is not None:
            B_pe.gradWeight.zero()
        if C_pe is not None:
            C_pe.gradWeight.zero()
        if C2_pe is not None:
            C2_pe.gradWeight.zero()
        if C3_pe is not None:
            C3_pe.gradWeight.zero()


def zeroLookupTable():
    zeroWeight(ltx.weight)
    zeroWeight(ltq.weight)
    if ltn is not None:
        zeroWeight(ltn.weight)
    if C2 is not None:
        zeroWeight(C2.modules[0].weight)
    if C3 is not None:
        zeroWeight(C3.modules[0].weight)
    zeroWeight(C.modules[0].weight)


def zeroWeight(wt):
    wt[idx_pad].zero()
    wt[idx_start].zero()
    wt[idx_end].zero()
    wt[idx_rare].zero()


def Set(list):
    set = {}
    for _, l in enumerate(list):
        set[l] = True
    return set


def load():
    global idx_start, idx_end, idx_pad, idx_rare, nwords, train_stories, train_questions, train_answers
    global train_facts, heldout_stories, heldout_questions, heldout_answers, heldout_facts, test_stories
    global test_questions, test_answers, test_facts, num_history, len_sentence, bestHeldoutAccuracy
    if opt['debug'] != '':
        opt['datafile'] = opt['debug'][0:9]
        print('Loading detected data file ' + opt['datafile'])
    # get the data out of the datafile
    f = hdf5.open(opt['datafile'], 'r')
    data = f.all()

    idx_start = int(data['idx_start'][0]) - 1
    idx_end = int(data['idx_end'][0]) - 1
    idx_pad = int(data['idx_pad'][0]) - 1
    idx_rare = int(data['idx_rare'][0]) - 1

    nwords = int(data['nwords'][0])

    train_stories = data['train_stories'].long().add(-1)   # [# Questions x Max Story Length]
    train_questions = data['train_questions'].long().add(-1)   # [# Questions x Max Q Length]
    train_answers = data['train_answers'].long().add(-1)   # [# Questions x 1]
    train_facts = data['train_facts'].long()   # [# Questions x Max Fact Length]

    ntrains = train_stories.size(0)
    endtrain = math.floor(ntrains * 0.9)

    heldout_stories = train_stories[endtrain:ntrains]
    heldout_questions = train_questions[endtrain:ntrains]
    heldout_answers = train_answers[endtrain:ntrains]
    heldout_facts = train_facts[endtrain:ntrains]

    train_stories = train_stories[0:endtrain]
    train_questions = train_questions[0:endtrain]
    train_answers = train_answers[0:endtrain]
    train_facts = train_facts[0:endtrain]

    test_stories = data['test_stories'].long().add(-1)
    test_questions = data['test_questions'].long().add(-1)
    test_answers = data['test_answers'].long().add(-1)
    test_facts = data['test_facts'].long()

    num_history = train_stories.size(1)
    len_sentence = train_stories.size(2)

    opt['max_history'] = min(opt['max_history'], num_history)
    opt['max_sent_len'] = min(opt['max_sent_len'], len_sentence)

    bestHeldoutAccuracy = 0
