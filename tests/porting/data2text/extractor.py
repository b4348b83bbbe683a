"""extractor.lua of harvardnlp/data2text: the information-extraction model of the paper's evaluation. A sentence
with one entity and one number marked (their distances to each word) is classified into the relation between them
(a label id, NONE included) by a convolutional or a bidirectional LSTM model (cudnn), trained with
MarginalNLLCriterion against every correct label; -just_eval runs the ensemble of saved models over the candidate
relations of generated summaries and writes their tuples. ``main(arg)`` is the main chunk; the Lua's globals
(``min_entdist``, ``word_pad``, ``g_maxes``...) are this module's. As the Lua, it runs on CUDA only (``:cuda()``
unconditionally). Ids are 0-based: word, distance and label ids (the distances shifted to start at 0, not 1), and
``-ignore_idx`` (the NONE label: 11 in the Lua's 1-based .labels files, 10 here). Not ported: get_acc (never
called)."""
import math

import legonn as lg
from legonn import cudnn, cutorch, hdf5, nn

from .MarginalNLLCriterion import MarginalNLLCriterion

opt = None
min_entdist = min_numdist = word_pad = ent_dist_pad = num_dist_pad = plabelnums = None
g_maxes = g_argmaxes = g_ycopy = g_one_hot = g_correct_buf = g_ens_scores = None


def cmdline():
    cmd = lg.CmdLine()
    cmd.option('-datafile', 'roto-ie.h5', "path to hdf5 file containing train/val data")
    cmd.option('-batchsize', 32, "batch size")
    cmd.option('-embed_size', 200, "size of embeddings")
    cmd.option('-num_filters', 200, "number of convolutional filters")
    cmd.option('-conv_fc_layer_size', 500, "size of fully connected layer in convolutional model")
    cmd.option('-blstm_fc_layer_size', 700, "size of fully connected layer in BLSTM model")
    cmd.option('-dropout', 0.5, "dropout rate")
    cmd.option('-uniform_init', 0.1, "init in params in this range")
    cmd.option('-lr', 0.7, "learning rate")
    cmd.option('-lr_decay', 0.5, "decay factor")
    cmd.option('-clip', 5, "clip grads so they do not exceed this")
    cmd.option('-seed', 3435, "Random seed")
    cmd.option('-epochs', 10, "training epochs")
    cmd.option('-gpuid', 1, "gpu idx")
    cmd.option('-savefile', '', "path to save model to")
    cmd.option('-preddata', '', "path to hdf5 file containing candidate relations from generated data")
    cmd.option('-dict_pfx', '', "prefix of .dict and .labels files")
    cmd.option('-ignore_idx', 10, "idx of NONE class in *.labels file")
    cmd.option('-just_eval', False, "just eval generations")
    cmd.option('-lstm', False, "use a BLSTM rather than a convolutional model")
    cmd.option('-geom', False, "average models geometrically")
    cmd.option('-test', False, "use test data")
    return cmd


def prep_data(batchsize):
    global min_entdist, min_numdist, word_pad, ent_dist_pad, num_dist_pad, plabelnums
    f = hdf5.open(opt['datafile'])
    trlabels = f.read("trlabels").all()
    perm = lg.randperm(trlabels.size(0)).long()
    trlabels = trlabels.index(0, perm)
    trsents = f.read("trsents").all().index(0, perm)
    trlens = f.read("trlens").all().index(0, perm)
    trentdists = f.read("trentdists").all().index(0, perm)
    trnumdists = f.read("trnumdists").all().index(0, perm)
    prefix = "test" if opt['test'] else "val"
    valsents = f.read(prefix + "sents").all()
    vallens = f.read(prefix + "lens").all()
    valentdists = f.read(prefix + "entdists").all()
    valnumdists = f.read(prefix + "numdists").all()
    vallabels = f.read(prefix + "labels").all()   # these are 2d
    vallabelnums = vallabels.select(1, vallabels.size(1) - 1)
    vallabels = vallabels.narrow(1, 0, vallabels.size(1) - 1).contiguous()
    f.close()
    psents = plens = pentdists = pnumdists = plabels = pboxrestartidxs = None
    if opt['just_eval'] and len(opt['preddata']) > 0:
        f = hdf5.open(opt['preddata'])
        psents = f.read("valsents").all()
        plens = f.read("vallens").all()
        pentdists = f.read("valentdists").all()
        pnumdists = f.read("valnumdists").all()
        plabels = f.read("vallabels").all()   # these are 2d
        pboxrestartidxs = f.read("boxrestartidxs").all()   # already 1-indexed (0-based here)
        plabelnums = plabels.select(1, plabels.size(1) - 1)
        plabels = plabels.narrow(1, 0, plabels.size(1) - 1).contiguous()
        f.close()
    # need to shift negative distances...
    min_entdist = min(trentdists.min(), valentdists.min())
    if pentdists is not None:
        pentdists.clamp(min_entdist, trentdists.max())
    min_numdist = min(trnumdists.min(), valnumdists.min())
    if pentdists is not None:
        pnumdists.clamp(min_numdist, trnumdists.max())
    trentdists.add(-min_entdist)
    valentdists.add(-min_entdist)
    if pentdists is not None:
        pentdists.add(-min_entdist)
    trnumdists.add(-min_numdist)
    valnumdists.add(-min_numdist)
    if pnumdists is not None:
        pnumdists.add(-min_numdist)
    nlabels = trlabels.max() + 1   # (the ids from 0: one more than the largest)
    word_pad = trsents.max() + 1
    ent_dist_pad = trentdists.max() + 1
    num_dist_pad = trnumdists.max() + 1

    def make_batches(sents, lens, entdists, numdists, labels, labelnums=None):
        batches = []
        for i in range(0, sents.size(0), batchsize):
            ub = min(i + batchsize, sents.size(0)) - 1
            max_len = int(lens.sub(i, ub).max())
            for j in range(i, ub + 1):
                if lens[j] < max_len:
                    sents[j].sub(int(lens[j]), max_len - 1).fill(word_pad)
                    entdists[j].sub(int(lens[j]), max_len - 1).fill(ent_dist_pad)
                    numdists[j].sub(int(lens[j]), max_len - 1).fill(num_dist_pad)
            batches.append({
                'sent': sents.sub(i, ub, 0, max_len - 1),
                'ent_dists': entdists.sub(i, ub, 0, max_len - 1),
                'num_dists': numdists.sub(i, ub, 0, max_len - 1),
                'labels': labels.sub(i, ub),
                'labelnums': labelnums.sub(i, ub) if labelnums is not None else None,
            })
        return batches
    tr_batches = make_batches(trsents, trlens, trentdists, trnumdists, trlabels)
    val_batches = make_batches(valsents, vallens, valentdists, valnumdists, vallabels, vallabelnums)
    pred_batches = None
    if psents is not None:
        pred_batches = make_batches(psents, plens, pentdists, pnumdists, plabels, plabelnums)
    # the pad ids are the largest: each LookupTable has one row more than the pad id
    return tr_batches, val_batches, [word_pad + 1, ent_dist_pad + 1, num_dist_pad + 1], nlabels, pred_batches, \
        pboxrestartidxs


def get_dict(finame, invert=None):
    dict = {}
    dict_size = 0
    with open(finame) as fi:
        for line in fi.read().splitlines():
            pieces = line.split()
            if invert:
                dict[int(pieces[1])] = pieces[0]
            else:
                dict[pieces[0]] = int(pieces[1])
            dict_size = dict_size + 1
    return dict, dict_size


def make_conv_model(vocab_sizes, emb_sizes, nlabels, opt):
    par = nn.ParallelTable()
    first_layer_size = 0
    kWs = [2, 3, 5]   # kernel widths
    for j in range(len(vocab_sizes)):
        if emb_sizes:
            par.add(nn.LookupTable(vocab_sizes[j], emb_sizes[j]))
            first_layer_size = first_layer_size + emb_sizes[j]
        else:
            par.add(nn.LookupTable(vocab_sizes[j], opt['embed_size']))
    if not emb_sizes:
        first_layer_size = opt['embed_size']
    mod = nn.Sequential().add(par)
    mod.add(nn.JoinTable(2))
    # simple 1 layer conv
    cat = nn.ConcatTable()
    for j in range(len(kWs)):
        cat.add(nn.Sequential()
                .add(cudnn.TemporalConvolution(first_layer_size, opt['num_filters'], kWs[j], 1, kWs[j] - 1))
                .add(nn.ReLU())
                .add(nn.Max(1)))
    mod.add(cat)
    mod.add(nn.JoinTable(1))
    if opt['dropout'] > 0:
        mod.add(nn.Dropout(opt['dropout']))
    mod.add(nn.Linear(len(kWs) * opt['num_filters'], opt['conv_fc_layer_size']))
    mod.add(nn.ReLU())
    if opt['dropout'] > 0:
        mod.add(nn.Dropout(opt['dropout']))
    mod.add(nn.Linear(opt['conv_fc_layer_size'], nlabels))
    mod.add(nn.SoftMax())
    return mod


def make_blstm_model(vocab_sizes, emb_sizes, nlabels, opt):
    par = nn.ParallelTable()
    first_layer_size = 0
    for j in range(len(vocab_sizes)):
        par.add(nn.LookupTable(vocab_sizes[j], emb_sizes[j]))
        first_layer_size = first_layer_size + emb_sizes[j]
    mod = nn.Sequential().add(par)
    mod.add(nn.JoinTable(2))   # bsz x seqlen x dim
    mod.add(nn.Transpose([0, 1]))
    mod.add(cudnn.BLSTM(first_layer_size, first_layer_size, 1))   # seqlen x bsz x 2dim
    mod.add(nn.Max(0))
    mod.add(nn.Linear(2 * first_layer_size, opt['blstm_fc_layer_size']))
    mod.add(nn.ReLU())
    if opt['dropout'] > 0:
        mod.add(nn.Dropout(opt['dropout']))
    mod.add(nn.Linear(opt['blstm_fc_layer_size'], nlabels))
    mod.add(nn.SoftMax())
    return mod


def ensemble_preds(convens, lstmens, sent, ent_dists, num_dists):
    """The summed (log-, with -geom) probabilities of the ensembles: the block get_multilabel_acc and eval_gens
    both write out, once here."""
    preds = None
    for ens in (convens, lstmens):
        if ens:
            enpreds1 = ens[0].forward([sent, ent_dists, num_dists])
            if opt['geom']:
                enpreds1.log()
            for j in range(1, len(ens)):
                enpredsj = ens[j].forward([sent, ent_dists, num_dists])
                if opt['geom']:
                    enpredsj.log()
                enpreds1.add(enpredsj)
            if preds is not None:
                preds.add(enpreds1)
            else:
                preds = enpreds1
    return preds


def get_multilabel_acc(model, valbatches, ignoreIdx, convens=None, lstmens=None):
    global g_maxes, g_argmaxes, g_one_hot, g_correct_buf, g_ens_scores
    if g_maxes is None:
        g_maxes = lg.CudaTensor()
        g_argmaxes = lg.CudaLongTensor()
        g_one_hot = lg.CudaTensor()
        g_correct_buf = lg.CudaTensor()
        g_ens_scores = lg.CudaTensor()
    model.evaluate()
    for ens in (convens, lstmens):
        for m in ens or []:
            m.evaluate()
    correct, total, ignored = 0, 0, 0
    nonnolabel = 0
    for j in range(len(valbatches)):
        sent = valbatches[j]['sent'].cudaLong()
        ent_dists = valbatches[j]['ent_dists'].cudaLong()
        num_dists = valbatches[j]['num_dists'].cudaLong()
        labels = valbatches[j]['labels'].cudaLong()
        labelnums = valbatches[j]['labelnums']
        preds = ensemble_preds(convens, lstmens, sent, ent_dists, num_dists)
        if not convens and not lstmens:
            preds = model.forward([sent, ent_dists, num_dists])
        g_maxes.resize(sent.size(0), 1)
        g_argmaxes.resize(sent.size(0), 1)
        lg.max(g_maxes, g_argmaxes, preds, 1)
        nonnolabel = nonnolabel + int(labels.select(1, 0).ne(ignoreIdx).sum())
        g_one_hot.resize(sent.size(0), preds.size(1)).zero()
        numpreds = 0
        in_denominator = g_argmaxes
        for k in range(sent.size(0)):
            if ignoreIdx is None or in_denominator[k][0] != ignoreIdx:
                g_one_hot[k].indexFill(0, labels[k].sub(0, int(labelnums[k]) - 1), 1)
                numpreds = numpreds + 1
        g_correct_buf.resize(sent.size(0), 1).zero()
        g_correct_buf.gather(g_one_hot, 1, g_argmaxes)
        correct = correct + float(g_correct_buf.sum())
        total = total + numpreds
        ignored = ignored + sent.size(0) - numpreds
    acc = correct / total
    rec = correct / nonnolabel
    print("rec", rec)
    print("ignored", ignored / (ignored + total))
    model.training()
    return acc, rec


def idxstostring(t, dict):
    strtbl = []
    forlimit = t.size(0) if hasattr(t, 'size') else len(t)
    for i in range(forlimit):
        strtbl.append(dict[int(t[i])])
    return ' '.join(strtbl)


def get_args(sent, ent_dists, num_dists, dict):
    entwrds, numwrds = [], []
    for i in range(sent.size(0)):
        if ent_dists[i] + min_entdist == 0:
            entwrds.append(sent[i])
        if num_dists[i] + min_numdist == 0:
            numwrds.append(sent[i])
    return idxstostring(entwrds, dict), idxstostring(numwrds, dict)


def eval_gens(predbatches, ignoreIdx, boxrestartidxs, convens, lstmens):
    global g_maxes, g_argmaxes, g_one_hot, g_correct_buf
    ivocab = get_dict(opt['dict_pfx'] + ".dict", True)[0]
    ilabels = get_dict(opt['dict_pfx'] + ".labels", True)[0]
    tupfile = open(opt['preddata'] + "-tuples.txt", 'w')
    if ignoreIdx is not None:
        assert ilabels[ignoreIdx] == "NONE"
    boxRestarts = None
    if boxrestartidxs is not None:
        boxRestarts = {}
        assert boxrestartidxs.dim() == 1
        for i in range(boxrestartidxs.size(0)):
            boxRestarts[int(boxrestartidxs[i])] = True
    if g_maxes is None:
        g_maxes = lg.CudaTensor()
        g_argmaxes = lg.CudaLongTensor()
        g_one_hot = lg.CudaTensor()
        g_correct_buf = lg.CudaTensor()
    for ens in (convens, lstmens):
        for m in ens or []:
            m.evaluate()
    correct, total = 0, 0
    candNum = 0   # numberth candidate (0-based), so we can keep track of when tables change
    seen = {}
    ndupcorrects = 0
    nduptotal = 0
    for j in range(len(predbatches)):
        sent = predbatches[j]['sent'].cudaLong()
        ent_dists = predbatches[j]['ent_dists'].cudaLong()
        num_dists = predbatches[j]['num_dists'].cudaLong()
        labels = predbatches[j]['labels'].cudaLong()
        labelnums = predbatches[j]['labelnums']
        preds = ensemble_preds(convens, lstmens, sent, ent_dists, num_dists)
        g_maxes.resize(sent.size(0), 1)
        g_argmaxes.resize(sent.size(0), 1)
        lg.max(g_maxes, g_argmaxes, preds, 1)
        g_one_hot.resize(sent.size(0), preds.size(1)).zero()
        numpreds = 0
        in_denominator = g_argmaxes
        for k in range(sent.size(0)):
            if ignoreIdx is None or in_denominator[k][0] != ignoreIdx:
                g_one_hot[k].indexFill(0, labels[k].sub(0, int(labelnums[k]) - 1), 1)
                numpreds = numpreds + 1
        g_correct_buf.resize(sent.size(0), 1).zero()
        g_correct_buf.gather(g_one_hot, 1, g_argmaxes)
        for k in range(sent.size(0)):
            if boxRestarts and boxRestarts.get(candNum):
                tupfile.write('\n')
                seen = {}
            candNum = candNum + 1
            if ignoreIdx is None or in_denominator[k][0] != ignoreIdx:
                entarg, numarg = get_args(sent[k], ent_dists[k], num_dists[k], ivocab)
                predkey = entarg + numarg + ilabels[int(g_argmaxes[k][0])]
                tupfile.write(entarg + '|' + numarg + '|' + ilabels[int(g_argmaxes[k][0])] + '\n')
                if g_correct_buf[k][0] > 0:
                    if seen.get(predkey):
                        ndupcorrects = ndupcorrects + 1
                if seen.get(predkey):
                    nduptotal = nduptotal + 1
                seen[predkey] = True
        correct = correct + float(g_correct_buf.sum())
        total = total + numpreds
    acc = correct / total
    print("prec", acc)
    print("nodup prec", (correct - ndupcorrects) / (total - nduptotal))
    # total number of possible correct is fixed and constant, so just reporting this /is/ recall
    print("total correct", correct)
    print("nodup correct", correct - ndupcorrects)
    tupfile.close()
    return acc


def set_up_saved_models():
    convens_paths = ["conv1ie-ep6-94-74.t7", "conv2ie-ep3-94-60.t7", "conv3ie-ep8-95-72.t7"]
    lstmens_paths = ["blstm1ie-ep4-93-75.t7", "blstm2ie-ep3-93-71.t7", "blstm3ie-ep2-94-72.t7"]
    opt['embed_size'] = 200
    opt['num_filters'] = 200
    opt['conv_fc_layer_size'] = 500
    opt['blstm_fc_layer_size'] = 700
    return convens_paths, lstmens_paths


def main(arg):
    global opt
    opt = cmdline().parse(arg)
    lg.manualSeed(opt['seed'])
    cutorch.manualSeed(opt['seed'])
    cutorch.setDevice(opt['gpuid'] - 1)   # -gpuid is 1-based, devices 0-based (docs/porting.md)
    trbatches, valbatches, V_sizes, nlabels, pred_batches, pboxrestartidxs = prep_data(opt['batchsize'])
    emb_sizes = [opt['embed_size'], opt['embed_size'] / 2, opt['embed_size'] / 2]
    if opt['just_eval']:
        convens_paths, lstmens_paths = set_up_saved_models()
        convens = lstmens = None
        if convens_paths:
            convens = []
            for j in range(len(convens_paths)):
                mod = make_conv_model(V_sizes, emb_sizes, nlabels, opt).cuda()
                p, g = mod.getParameters()
                saved_p = lg.load(convens_paths[j])
                p.copy(saved_p)
                convens.append(mod)
        if lstmens_paths:
            lstmens = []
            for j in range(len(lstmens_paths)):
                mod = make_blstm_model(V_sizes, emb_sizes, nlabels, opt).cuda()
                p, g = mod.getParameters()
                saved_p = lg.load(lstmens_paths[j])
                p.copy(saved_p)
                lstmens.append(mod)
        eval_gens(pred_batches, opt['ignore_idx'], pboxrestartidxs, convens, lstmens)
        return
    if opt['lstm']:
        model = make_blstm_model(V_sizes, emb_sizes, nlabels, opt).cuda()
    else:
        model = make_conv_model(V_sizes, emb_sizes, nlabels, opt).cuda()
    crit = MarginalNLLCriterion().cuda()
    params, grads = model.getParameters()
    if opt['uniform_init'] > 0:
        params.uniform(-opt['uniform_init'], opt['uniform_init'])
    prev_loss = math.inf
    for i in range(1, opt['epochs'] + 1):
        print("epoch", i, "lr:", opt['lr'])
        loss = 0
        model.training()
        model.get(0).get(0).weight[word_pad].zero()
        model.get(0).get(1).weight[ent_dist_pad].zero()
        model.get(0).get(2).weight[num_dist_pad].zero()
        for j in range(len(trbatches)):
            grads.zero()
            sent = trbatches[j]['sent'].cudaLong()
            ent_dists = trbatches[j]['ent_dists'].cudaLong()
            num_dists = trbatches[j]['num_dists'].cudaLong()
            labels = trbatches[j]['labels'].cuda()
            preds = model.forward([sent, ent_dists, num_dists])
            loss = loss + crit.forward(preds, labels)
            dLdpreds = crit.backward(preds, labels)
            model.backward([sent, ent_dists, num_dists], dLdpreds)
            if opt['lstm']:
                model.get(0).get(0).gradWeight[word_pad].zero()
                model.get(0).get(1).gradWeight[ent_dist_pad].zero()
                model.get(0).get(2).gradWeight[num_dist_pad].zero()
                shrinkage = 5 / grads.norm(2)
                if shrinkage < 1:
                    grads.mul(shrinkage)
            params.add(-opt['lr'], grads)
            model.get(0).get(0).weight[word_pad].zero()
            model.get(0).get(1).weight[ent_dist_pad].zero()
            model.get(0).get(2).weight[num_dist_pad].zero()
        print("train loss:", loss / len(trbatches))
        acc, rec = get_multilabel_acc(model, valbatches, opt['ignore_idx'])
        print("acc:", acc)
        savefi = "%s-ep%d-%d-%d" % (opt['savefile'], i, math.floor(100 * acc), math.floor(100 * rec))
        print("saving to", savefi)
        lg.save(savefi, params)
        print("")
        valloss = -acc
        if valloss >= prev_loss:
            opt['lr'] = opt['lr'] * opt['lr_decay']
        prev_loss = valloss
