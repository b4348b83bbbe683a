"""box_train.lua of harvardnlp/data2text: trains (or evaluates) the table-to-text model, a BoxTableEncoder and an
attention decoder (onmt/Models.lua's buildDecoder), with truncated BPTT over long summaries. ``main(arg)`` is the
main chunk with ``arg``; the Lua's locals at the top of the script (``opt``) are this module's globals, its
globals (``g_nRegRows``...) attributes of ``G``.

Ported configurations: the default (onmt.Decoder with onmt.Generator) and -copy_generate (the joint copy model,
onmt.Decoder2 with onmt.CopyGenerator2), -just_gen's beamGen (BeamSearcher.lua with Decoder2Advancer.lua, which
reads a CopyGenerator2: the default configuration's Generator refuses its table input, in Torch7 too), -just_eval,
-train_from. Not ported: -switch (SwitchingDecoder.lua, BoxSwitchBatch.lua, SwitchingDecoderAdvancer.lua),
-discrec/-recdist (ConvRecDecoder.lua with cudnn.TemporalConvolution), -json_log."""
import math

import legonn as lg
from legonn import nn
from tests.porting.test_opennmt import Dict
from tests.porting.test_opennmt_modules import Constants

from . import Cuda, G, Memory, Models, Opt
from .BeamSearcher import BeamSearcher
from .BoxDataset2 import BoxDataset2
from .BoxTableEncoder import BoxTableEncoder
from .Checkpoint import Checkpoint
from .Decoder2Advancer import Decoder2Advancer
from .EpochState import EpochState
from .Optim import Optim

opt = None
lg.register(Dict)   # `require('onmt.init')`: torch.class made onmt.Dict, in the -train.t7 file, known to torch.load


def cmdline():
    cmd = lg.CmdLine()
    cmd.text("")
    cmd.text("**train.lua**")
    cmd.text("")
    cmd.option('-config', '', "Read options from this file")
    cmd.text("")
    cmd.text("**Data options**")
    cmd.text("")
    cmd.option('-data', '', "Path to the training *-train.t7 file from preprocess.lua")
    cmd.option('-save_model', '', """Model filename (the model will be saved as
                              <save_model>_epochN_PPL.t7 where PPL is the validation perplexity""")
    cmd.option('-train_from', '', "If training from a checkpoint then this is the path to the pretrained model.")
    cmd.option('-continue', False, "If training from a checkpoint, whether to continue the training in the same "
               "configuration or not.")
    cmd.option('-just_eval', False, "Evaluate ppl of a saved model")
    cmd.option('-just_gen', False, "Generate from a saved model")
    cmd.option('-test', False, "Use test (not validation) data")
    cmd.option('-beam_size', 5, "Beam size used for generation")
    cmd.option('-gen_file', 'preds.txt', "File to write generations to")
    cmd.text("")
    cmd.text("**Model options**")
    cmd.text("")
    cmd.option('-layers', 2, "Number of layers in the LSTM encoder/decoder")
    cmd.option('-rnn_size', 200, "Size of LSTM hidden states")
    cmd.option('-word_vec_size', 200, "Word embedding sizes")
    cmd.option('-feat_merge', 'concat', "Merge action for the features embeddings: concat or sum")
    cmd.option('-input_feed', 1, "Feed the context vector at each time step as additional input (via "
               "concatenation with the word embeddings) to the decoder.")
    cmd.option('-residual', False, "Add residual connections between RNN layers.")
    cmd.option('-just_lm', False, "No conditioning")
    cmd.option('-copy_generate', False, "Use copy attn")
    cmd.option('-tanh_query', False, "Apply tanh to attn query vector")
    cmd.option('-recdist', 0, "Distance to use if doin continuous reconstruction")
    cmd.option('-discrec', False, "Do discrete reconstruction")
    cmd.option('-discdist', 0, "1 for total dev; 2 for hellinger")
    cmd.option('-recembsize', 300, "Embedding size of entries to reconstruct")
    cmd.option('-partition_feats', False, "Partition feats used in discrete reconstruction")
    cmd.option('-nfilters', 200, "Convolutional filters for reconstruction")
    cmd.option('-nrecpreds', 3, "Number of entries to reconstruct")
    cmd.option('-rho', 0.5, "Reconstruction loss coefficient")
    cmd.option('-switch', False, "Use switching/conditional copying")
    cmd.option('-multilabel', False, "Marginalize over possibly correct pointer locations")
    cmd.option('-map', False, "Select MAP word (under switching model)")
    cmd.option('-pool', 'mean', "Table embedding pooling: mean or max")
    cmd.option('-enc_layers', 1, "Number of encoder layers")
    cmd.option('-enc_emb_size', 200, "Table encoder embedding size")
    cmd.option('-enc_dropout', 0, "Rate")
    cmd.option('-enc_relu', False, "Use ReLU nonlinearity in encoder")
    cmd.text("")
    cmd.text("**Optimization options**")
    cmd.text("")
    cmd.option('-max_batch_size', 64, "Maximum batch size")
    cmd.option('-epochs', 13, "Number of training epochs")
    cmd.option('-start_epoch', 1, "If loading from a checkpoint, the epoch from which to start")
    cmd.option('-start_iteration', 1, "If loading from a checkpoint, the iteration from which to start")
    cmd.option('-param_init', 0.1, "Parameters are initialized over uniform distribution with support "
               "(-param_init, param_init)")
    cmd.option('-optim', 'sgd', "Optimization method. Possible options are: sgd, adagrad, adadelta, adam, mom")
    cmd.option('-learning_rate', 1, """Starting learning rate. If adagrad/adadelta/adam is used,
                                then this is the global learning rate. Recommended settings are: sgd = 1,
                                adagrad = 0.1, adadelta = 1, adam = 0.0002""")
    cmd.option('-mom', 0.9, "momentum")
    cmd.option('-max_grad_norm', 5, "If the norm of the gradient vector exceeds this renormalize it to have "
               "the norm equal to max_grad_norm")
    cmd.option('-dropout', 0.3, "Dropout probability. Dropout is applied between vertical LSTM stacks.")
    cmd.option('-learning_rate_decay', 0.5, """Decay learning rate by this much if (i) perplexity does not decrease
                                        on the validation set or (ii) epoch has gone past the start_decay_at_limit""")
    cmd.option('-start_decay_at', 10000, "Start decay after this epoch")
    cmd.option('-decay_update2', False, "Decay only when validation doesn't improve")
    cmd.option('-curriculum', 0, """For this many epochs, order the minibatches based on source
                             sequence length. Sometimes setting this to 1 will increase convergence speed.""")
    cmd.option('-pre_word_vecs_enc', '', "If a valid path is specified, then this will load pretrained word "
               "embeddings on the encoder side.")
    cmd.option('-pre_word_vecs_dec', '', "If a valid path is specified, then this will load pretrained word "
               "embeddings on the decoder side.")
    cmd.option('-fix_word_vecs_enc', False, "Fix word embeddings on the encoder side")
    cmd.option('-fix_word_vecs_dec', False, "Fix word embeddings on the decoder side")
    cmd.option('-max_bptt', 500, "Maximum BPTT window size")
    cmd.text("")
    cmd.text("**Other options**")
    cmd.text("")
    # GPU
    cmd.option('-gpuid', 0, "1-based identifier of the GPU to use. CPU is used when the option is < 1")
    cmd.option('-nparallel', 1, """When using GPUs, how many batches to execute in parallel.
                            Note: this will technically change the final batch size to max_batch_size*nparallel.""")
    cmd.option('-disable_mem_optimization', False, "Disable sharing internal of internal buffers between clones")
    # bookkeeping
    cmd.option('-save_every', 0, """Save intermediate models every this many iterations within an epoch.
                             If = 0, will not save models within an epoch. """)
    cmd.option('-report_every', 50, "Print stats every this many iterations within an epoch.")
    cmd.option('-seed', 3435, "Seed for random initialization")
    cmd.option('-json_log', False, "Outputs logs in JSON format.")
    return cmd


def reseed():
    lg.manualSeed(opt['seed'])
    if opt['gpuid'] > 0:
        lg.cutorch.manualSeed(opt['seed'])


def initParams(model, verbose):
    numParams = 0
    params = []
    gradParams = []
    if verbose:
        print('Initializing parameters...')
    # we assume all the sharing has already been done,
    # so we just make a big container to flatten everything
    everything = nn.Sequential()
    for k, mod in model.items():
        everything.add(mod)
    p, gp = everything.getParameters()
    if len(opt['train_from']) == 0:
        p.uniform(-opt['param_init'], opt['param_init'])
        # do module specific init; wordembeddings will happen multiple times,
        # but who cares
        for k, mod in model.items():
            mod.apply(lambda m: m.postParametersInitialization()
                      if getattr(m, 'postParametersInitialization', None) else None)
    else:
        print("copying loaded params...")
        checkpoint = lg.load(opt['train_from'])
        p.copy(checkpoint['flatParams'][0])
    numParams = numParams + p.size(0)
    params.append(p)
    gradParams.append(gp)
    if verbose:
        print(" * number of parameters: " + str(numParams))
    return params, gradParams


def buildCriterion(vocabSize, features):
    criterion = nn.ParallelCriterion(False)

    def addNllCriterion(size):
        # Ignores padding value.
        w = lg.ones(size)
        w[Constants.PAD] = 0
        nll = nn.ClassNLLCriterion(w)
        # Let the training code manage loss normalization.
        nll.sizeAverage = False
        criterion.add(nll)
    addNllCriterion(vocabSize)
    for j in range(len(features)):
        addNllCriterion(features[j].size())
    return criterion


def allTraining(model):
    for _, mod in model.items():
        if getattr(mod, 'training', None):
            mod.training()


def allEvaluate(model):
    for _, mod in model.items():
        if getattr(mod, 'evaluate', None):
            mod.evaluate()


def allEncForward(model, batch):
    """Gets encodings for all rows."""
    aggEncStates, catCtx = model['encoder'].forward(batch)
    if opt['just_lm']:
        for i in range(len(aggEncStates)):
            aggEncStates[i].zero()
        catCtx.zero()
    return aggEncStates, catCtx


def allEncBackward(model, batch, encGradStatesOut, gradContext):
    """Goes backward over all encoders."""
    model['encoder'].backward(batch, encGradStatesOut, gradContext)


G.allTraining, G.allEvaluate = allTraining, allEvaluate   # box_train.lua's global functions
G.allEncForward, G.allEncBackward = allEncForward, allEncBackward


def eval(model, criterion, data):
    loss = 0
    total = 0
    allEvaluate(model)
    for i in range(data.batchCount()):
        model['decoder'].resetLastStates()
        batch = Cuda.convert(data.getBatch(i))
        aggEncStates, catCtx = allEncForward(model, batch)
        loss = loss + model['decoder'].computeLoss(batch, aggEncStates, catCtx, criterion)
        total = total + batch.targetNonZeros
    allTraining(model)
    return math.exp(loss / total)


def convert_and_shorten_string(ts, max_len, dict):
    strtbl = []
    for i in range(max_len):
        if ts[i] == Constants.EOS:
            break
        strtbl.append(dict.idxToLabel[ts[i]])
    return ' '.join(strtbl)


def beamGen(model, data, tgtDict):
    """Adapted from Translator:translateBatch()."""
    max_sent_length = 1500
    print("using max len:", 1500)
    allEvaluate(model)
    with open(opt['gen_file'], 'w') as outFile:
        for i in range(data.batchCount()):
            model['decoder'].resetLastStates()
            batch = Cuda.convert(data.getBatch(i))
            aggEncStates, catCtx = allEncForward(model, batch)
            assert not opt['switch'], 'SwitchingDecoderAdvancer.lua (-switch) is not ported'
            advancer = Decoder2Advancer(model['decoder'], batch, catCtx, max_sent_length, None, aggEncStates, None)
            beamSearcher = BeamSearcher(advancer)
            results = beamSearcher.search(opt['beam_size'], 1, 1, False)
            for b in range(batch.size):
                top1 = results[b][0]['tokens']
                top1tostr = convert_and_shorten_string(top1, len(top1), tgtDict)
                print(top1tostr)
                outFile.write(top1tostr + '\n')


def trainModel(model, trainData, validData, dataset, info):
    verbose = True
    params, gradParams = initParams(model, verbose)
    allTraining(model)
    # define criterion of each GPU
    criterion = Cuda.convert(buildCriterion(dataset['dicts']['tgt']['words'].size(),
                                            dataset['dicts']['tgt']['features']))
    recCrit = None
    assert not opt['discrec'] and not opt['recdist'] > 0, '-discrec and -recdist (ConvRecDecoder.lua) are not ported'
    switchCrit = ptrCrit = None
    assert not opt['switch'], '-switch (SwitchingDecoder.lua) is not ported'
    # optimize memory of the first clone
    if not opt['disable_mem_optimization']:
        batch = Cuda.convert(trainData.getBatch(0))
        batch.totalSize = batch.size
        Memory.boxOptimize2(model, criterion, batch, verbose, switchCrit, ptrCrit)
    optim = Optim({
        'method': opt['optim'],
        'numModels': 1,   # we flattened everything
        'learningRate': opt['learning_rate'],
        'learningRateDecay': opt['learning_rate_decay'],
        'startDecayAt': opt['start_decay_at'],
        'optimStates': opt.get('optim_states'),
        'mom': opt['mom'],
    })
    checkpoint = Checkpoint(opt, model, params, optim, dataset)

    def trainEpoch(epoch, lastValidPpl):
        startI = opt['start_iteration']   # 1-based, as the option is
        numIterations = trainData.batchCount()
        if startI > 1 and info is not None:
            epochState = EpochState(epoch, numIterations, optim.getLearningRate(), lastValidPpl,
                                    info['epochStatus'])
            batchOrder = info['batchOrder']
        else:
            epochState = EpochState(epoch, numIterations, optim.getLearningRate(), lastValidPpl)
            # Shuffle mini batch order.
            batchOrder = lg.randperm(trainData.batchCount())
        iter = 1
        totalLoss2, totalLoss3 = 0, 0
        model['decoder'].remember()
        for i in range(startI - 1, trainData.batchCount()):
            batchIdx = i if epoch <= opt['curriculum'] else int(batchOrder[i])
            batch = trainData.getBatch(batchIdx)
            batch.totalSize = batch.size   # fuck off
            Cuda.convert(batch)
            batchPieces = batch.splitIntoPieces(opt['max_bptt'])
            model['decoder'].resetLastStates()   # don't use saved last state for new batch
            for j in range(batchPieces):
                optim.zeroGrad(gradParams)
                aggEncStates, catCtx = allEncForward(model, batch)
                ctxLen = catCtx.size(1)
                decOutputs = model['decoder'].forward(batch, aggEncStates, catCtx)
                # (the Lua also passes recCrit, switchCrit, ptrCrit, which Decoder:backward does not take: dropped)
                encGradStatesOut, gradContext, loss = model['decoder'].backward(batch, decOutputs, criterion, ctxLen)
                loss2 = loss3 = None
                allEncBackward(model, batch, encGradStatesOut, gradContext)
                # Update the parameters.
                optim.prepareGrad(gradParams, opt['max_grad_norm'])
                optim.updateParams(params, gradParams)
                epochState.update(batch, loss, None)
                if loss2:
                    totalLoss2 = totalLoss2 + loss2
                if loss3:
                    totalLoss3 = totalLoss3 + loss3
                batch.nextPiece()
            if iter % opt['report_every'] == 0:
                epochState.log(iter, opt['json_log'])
                if opt['switch']:
                    print("switchLoss", totalLoss2 / epochState.status['trainNonzeros'])
                    print("ptrLoss", totalLoss3 / epochState.status['trainNonzeros'])
            if opt['save_every'] > 0 and iter % opt['save_every'] == 0:
                checkpoint.saveIteration(iter, epochState, batchOrder, not opt['json_log'])
            iter = iter + 1
        return epochState

    reseed()
    validPpl = 0
    bestPpl = math.inf
    bestEpoch = -1
    if opt['just_gen']:
        beamGen(model, validData, G.g_tgtDict)
        return
    elif opt['just_eval']:
        validPpl = eval(model, criterion, validData)
        print('Validation perplexity: ' + lg.tostring(validPpl))
        return
    if not opt['json_log']:
        print('Start training...')
    for epoch in range(opt['start_epoch'], opt['epochs'] + 1):   # epochs are counted, 1-based, as the options
        if not opt['json_log']:
            print('')
        epochState = trainEpoch(epoch, validPpl)
        validPpl = eval(model, criterion, validData)
        if not opt['json_log']:
            print('Validation perplexity: ' + lg.tostring(validPpl))
        if opt['optim'] == 'sgd' or opt['optim'] == 'mom':
            if opt['decay_update2']:
                optim.updateLearningRate2(validPpl, epoch)
            else:
                optim.updateLearningRate(validPpl, epoch)
        if validPpl < bestPpl:
            checkpoint.deleteEpoch(bestPpl, bestEpoch)
            checkpoint.saveEpoch(validPpl, epochState, not opt['json_log'])
            bestPpl = validPpl
            bestEpoch = epoch


def main(arg):
    global opt
    opt = cmdline().parse(arg)
    if not opt['just_gen']:
        print(opt)
    requiredOptions = ["data", "save_model"]
    Opt.init(opt, requiredOptions)
    Cuda.init(opt)
    reseed()
    # Create the data loader class.
    if not opt['json_log']:
        if not opt['just_gen']:
            print('Loading data from \'' + opt['data'] + '\'...')
    dataset = lg.load(opt['data'], 'binary', False)
    assert dataset['dicts']['src']['words'].size() == dataset['dicts']['tgt']['words'].size()
    # add extra for all the column features
    # Hacky Constants
    G.g_nRegRows = len(dataset['train']['src']['words']) / 2 - 1   # two teams and nRegRows players
    assert G.g_nRegRows == 13
    G.g_nCols = dataset['train']['src']['words'][0][0].size(0) - 1   # leave off first b/c it's the row name
    assert G.g_nCols == 22
    G.g_specPadding = G.g_nCols   # assume last real column is the row name for special (i.e., team) rows
    G.g_nFeatures = 4
    if not opt['just_gen']:
        print("USING HACKY GLOBALS!!!",
              "regRows: %d; specPadding: %d; nCols: %d; nFeats: %d"
              % (G.g_nRegRows, G.g_specPadding, G.g_nCols, G.g_nFeatures))
        print("")
    colStartIdx = dataset['dicts']['src']['words'].size()   # N.B. order is crucial (the next id, 0-based)
    for i in range(1, G.g_nCols * 2 + 2 + 1):   # column names for reg and spec, plus home/away features
        dataset['dicts']['src']['words'].add("DOPEEXTRALABEL" + str(i))
        dataset['dicts']['tgt']['words'].add("DOPEEXTRALABEL" + str(i))
    assert dataset['dicts']['src']['words'].size() == dataset['dicts']['tgt']['words'].size()
    G.g_tgtDict = dataset['dicts']['tgt']['words']
    tripV = None   # vocabulary for each element in a triple (for rec)
    if opt['discrec']:
        tripV = [dataset['dicts']['src']['rows'].size(), dataset['dicts']['src']['cols'].size(),
                 dataset['dicts']['src']['cells'].size()]
        print("tripV:", tripV)
    trainData = BoxDataset2(dataset['train']['src'], dataset['train']['tgt'], colStartIdx, G.g_nFeatures,
                            opt['copy_generate'], None, tripV, opt['switch'], opt['multilabel'])
    if opt['test']:
        print("using test data...")
        validData = BoxDataset2(dataset['test']['src'], dataset['test']['tgt'], colStartIdx, G.g_nFeatures,
                                opt['copy_generate'], None, tripV)
    else:
        validData = BoxDataset2(dataset['valid']['src'], dataset['valid']['tgt'], colStartIdx, G.g_nFeatures,
                                opt['copy_generate'], None, tripV)   # no switching on valid
    trainData.setBatchSize(opt['max_batch_size'])
    validData.setBatchSize(opt['max_batch_size'])
    if not opt['json_log']:
        if not opt['just_gen']:
            print(' * vocabulary size: source = %d; target = %d'
                  % (dataset['dicts']['src']['words'].size(), dataset['dicts']['tgt']['words'].size()))
            print(' * additional features: source = %d; target = %d'
                  % (len(dataset['dicts']['src']['features']), len(dataset['dicts']['tgt']['features'])))
            print(' * maximum sequence length: source = %d; target = %d'
                  % (trainData.maxSourceLength, trainData.maxTargetLength))
            print("nSourceRows", trainData.nSourceRows)
            print(' * number of training instances: %d' % len(trainData.tgt))
            print(' * maximum batch size: %d' % opt['max_batch_size'])
    if not opt['json_log']:
        if not opt['just_gen']:
            print('Building model...')
    model = {}
    verbose = True
    # make decoder first
    model['decoder'] = Models.buildDecoder(opt, dataset['dicts']['tgt'], verbose, tripV)
    # send to gpu immediately to make cloning things simpler
    Cuda.convert(model['decoder'])
    model['encoder'] = BoxTableEncoder({
        'vocabSize': dataset['dicts']['src']['words'].size(),
        'encDim': opt['enc_emb_size'],
        'decDim': opt['rnn_size'],
        'feat_merge': opt['feat_merge'],
        'nFeatures': G.g_nFeatures,
        'nLayers': opt['enc_layers'],
        'nRows': trainData.nSourceRows,
        'nCols': G.g_nCols,
        'pool': opt['pool'] or "mean",
        'effectiveDecLayers': opt['layers'] * 2,
        'dropout': opt['enc_dropout'],
        'relu': opt['enc_relu'],
        'wordVecSize': opt['word_vec_size'],
        'input_feed': opt['input_feed'],
    })
    Cuda.convert(model['encoder'])
    # share all the things
    assert model['encoder'].lut.weight.size(0) == model['decoder'].inputNet.net.weight.size(0)
    model['encoder'].lut.share(model['decoder'].inputNet.net, 'weight', 'gradWeight')
    model['encoder'].shareTranforms()
    trainModel(model, trainData, validData, dataset, None)
