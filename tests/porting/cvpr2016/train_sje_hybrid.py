"""train_sje_hybrid.lua: trains the char-CNN-RNN text encoder (modules/HybridCNN) and the image encoder
(modules/ImageEncoder) with the symmetric structured joint embedding loss, by optim.rmsprop over the two protos'
combined parameters, saving checkpoints. ``main(arg)`` runs the script with the command-line words ``arg`` and returns
its globals the tests read (protos, losses, accuracies)."""
import legonn as lg
from legonn import lfs, optim, paths
from legonn.pl import path

from .modules import BidirectionalRNN, FixedRNN as _FixedRNN, HybridCNN, ImageEncoder
from .util import model_utils
from .util.MultimodalMinibatchLoaderCaption import MultimodalMinibatchLoaderCaption as MultimodalMinibatchLoader

acc_batch = 0.0
acc_smooth = 0.0


def JointEmbeddingLoss(fea_txt, fea_img, labels):
    global acc_batch, acc_smooth
    batch_size = fea_img.size(0)
    num_class = fea_txt.size(0)
    score = lg.zeros(batch_size, num_class)
    txt_grads = fea_txt.clone().fill(0)
    img_grads = fea_img.clone().fill(0)

    loss = 0
    acc_batch = 0.0
    for i in range(batch_size):
        for j in range(num_class):
            score[i, j] = lg.dot(fea_img.narrow(0, i, 1), fea_txt.narrow(0, j, 1))
        label_score = score[i, labels[i]]
        for j in range(num_class):
            if j != labels[i]:
                cur_score = score[i, j]
                thresh = cur_score - label_score + 1
                if thresh > 0:
                    loss = loss + thresh
                    txt_diff = fea_txt.narrow(0, j, 1) - fea_txt.narrow(0, labels[i], 1)
                    img_grads.narrow(0, i, 1).add(txt_diff)
                    txt_grads.narrow(0, j, 1).add(fea_img.narrow(0, i, 1))
                    txt_grads.narrow(0, labels[i], 1).add(-fea_img.narrow(0, i, 1))
        max_score, max_ix = score.narrow(0, i, 1).max(1)
        if max_ix[0, 0] == labels[i]:
            acc_batch = acc_batch + 1
    acc_batch = 100 * (acc_batch / batch_size)
    denom = batch_size * num_class
    res = [txt_grads.div(denom),
           img_grads.div(denom)]
    acc_smooth = 0.99 * acc_smooth + 0.01 * acc_batch
    return loss / denom, res


# check embedding gradient.
def wrap_emb(inp, nh, nx, ny, labs):
    x = inp.narrow(0, 0, nh * nx).clone().reshape(nx, nh)
    y = inp.narrow(0, nh * nx, nh * ny).clone().reshape(ny, nh)
    loss, grads = JointEmbeddingLoss(x, y, labs)
    dx = grads[0]
    dy = grads[1]
    grad = lg.cat(dx.reshape(nh * nx), dy.reshape(nh * ny))
    return loss, grad


def main(arg):
    global FixedRNN, protos, params, grad_params, train_losses, val_losses, opt
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train a multi-modal embedding model')
    cmd.text()
    cmd.text('Options')
    # data
    cmd.option('-data_dir', 'data/cub_c10', 'data directory.')
    cmd.option('-ids_file', 'trainids.txt', 'file specifying which class labels are used for training. Can also be trainvalids.txt')
    cmd.option('-batch_size', 40, 'number of sequences to train on in parallel')
    cmd.option('-image_dim', 1024, 'image feature dimension')
    cmd.option('-emb_dim', 1536, 'embedding dimension')
    cmd.option('-image_noop', 1, 'if 1, the image encoder is a no-op. In this case emb_dim and image_dim must match.')
    cmd.option('-randomize_pair', 0, 'if 1, images and captions of the same class are randomly paired.')
    cmd.option('-doc_length', 201, 'document length')
    cmd.option('-nclass', 200, 'number of classes')
    cmd.option('-dropout', 0.0, 'dropout rate')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-seed', 123, 'torch manual random number generator seed')
    cmd.option('-savefile', 'sje_hybrid', 'filename to autosave the checkpont to. Will be inside checkpoint_dir/')
    cmd.option('-checkpoint_dir', 'cv', 'output directory where checkpoints get written')
    cmd.option('-init_from', '', 'initialize network parameters from checkpoint at this path')
    cmd.option('-max_epochs', 300, 'number of full passes through the training data')
    cmd.option('-grad_clip', 5, 'clip gradients at this value')
    cmd.option('-learning_rate', 0.0004, 'learning rate')
    cmd.option('-learning_rate_decay', 0.98, 'learning rate decay')
    cmd.option('-learning_rate_decay_after', 1, 'in number of epochs, when to start decaying the learning rate')
    cmd.option('-print_every', 100, 'how many steps/minibatches between printing out the loss')
    cmd.option('-eval_val_every', 1000, 'every how many iterations should we evaluate on validation data?')
    cmd.option('-symmetric', 1, 'whether to use symmetric form of SJE')
    cmd.option('-num_caption', 5, 'number of captions per image to be used for training')
    cmd.option('-image_dir', 'images_th3', 'image directory in data')
    cmd.option('-flip', 0, 'flip sentence')
    cmd.option('-bidirectional', 0, 'use bidirectional version')
    cmd.option('-avg', 0, 'whether to time-average hidden units')
    cmd.option('-cnn_dim', 256, 'char-cnn embedding dimension')

    opt = cmd.parse(arg)
    if opt['image_noop'] is not None:       # Lua's `if opt.image_noop then`: a number, 0 included, is true
        opt['emb_dim'] = opt['image_dim']
    lg.manualSeed(opt['seed'])
    print(opt)

    if opt['bidirectional'] == 1:
        FixedRNN = BidirectionalRNN
    else:
        FixedRNN = _FixedRNN
    HybridCNN.FixedRNN = FixedRNN       # the global HybridCNN.lua reads
    DocumentCNN = HybridCNN

    # initialize cunn/cutorch for training on the GPU and fall back to CPU gracefully
    if opt['gpuid'] >= 0:
        try:                                          # local ok, cunn = pcall(require, 'cunn')
            cunn, ok = paths.require('cunn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cutorch, ok2 = paths.require('cutorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package cunn not found!')
        if not ok2:
            print('package cutorch not found!')
        if ok and ok2:
            print('using CUDA on GPU ' + '%d' % opt['gpuid'] + '...')
            cutorch.setDevice(opt['gpuid'])  # 0-based, as legonn's devices
            cutorch.manualSeed(opt['seed'])
        else:
            print('If cutorch and cunn are installed, your CUDA toolkit may be improperly configured.')
            print('Check your CUDA toolkit installation, rebuild cutorch and cunn, and try again.')
            print('Falling back on CPU mode')
            opt['gpuid'] = -1  # overwrite user setting

    loader = MultimodalMinibatchLoader.create(
        opt['data_dir'], opt['nclass'], opt['image_dim'], opt['doc_length'],
        opt['batch_size'], opt['randomize_pair'], opt['ids_file'], opt['num_caption'],
        opt['image_dir'], opt['flip'])

    if not path.exists(opt['checkpoint_dir']):
        lfs.mkdir(opt['checkpoint_dir'])

    do_random_init = False
    if len(opt['init_from']) > 0:
        print('loading from checkpoint ' + opt['init_from'])
        checkpoint = lg.load(opt['init_from'])
        protos = checkpoint['protos']
    else:
        protos = {}
        protos['enc_image'] = ImageEncoder.enc(opt['image_dim'], opt['emb_dim'], opt['image_noop'])
        protos['enc_doc'] = DocumentCNN.cnn(loader.alphabet_size, opt['emb_dim'], opt['dropout'], opt['avg'], opt['cnn_dim'])
        protos['enc_image'].training()
        protos['enc_doc'].training()
        do_random_init = True

    if opt['gpuid'] >= 0:
        for k, v in protos.items():
            if getattr(v, 'weights', None) is not None:
                v.weights = v.weights.float().cuda()
                v.grads = v.grads.float().cuda()
            else:
                v.cuda()
    params, grad_params = model_utils.combine_all_parameters(protos['enc_image'], protos['enc_doc'])
    if do_random_init:
        params.uniform(-0.08, 0.08)  # small numbers uniform

    if opt.get('checkgrad') == 1:
        raise NotImplementedError('the checkgrad branch calls a checkgrad the repository does not define')

    def feval_wrap(pars):
        # ---------------- get minibatch -------------------
        txt, img, labels = loader.next_batch()
        return feval(pars, txt, img, labels)

    def feval(newpars, txt, img, labels):
        if newpars is not params:
            params.copy(newpars)
        grad_params.zero()

        if opt['gpuid'] >= 0:  # ship the input arrays to GPU
            txt = txt.float().cuda()
            img = img.float().cuda()
            labels = labels.float().cuda()
        # ----------------- forward pass -------------------
        fea_txt = protos['enc_doc'].forward(txt)
        fea_img = protos['enc_image'].forward(img)

        # Criterion --
        loss, grads = JointEmbeddingLoss(fea_txt, fea_img, labels)
        dtxt = grads[0]       # backprop through document CNN.
        dimg = grads[1]       # backprop through image encoder.

        if opt['symmetric'] == 1:
            loss2, grads2 = JointEmbeddingLoss(fea_img, fea_txt, labels)
            dtxt.add(grads2[1])       # backprop through document CNN.
            dimg.add(grads2[0])       # backprop through image encoder.
            loss = loss + loss2

        protos['enc_doc'].backward(txt, dtxt)
        protos['enc_image'].backward(img, dimg)

        return loss, grad_params

    # start optimization here
    train_losses = {}
    val_losses = {}
    optim_state = {'learningRate': opt['learning_rate'], 'alpha': opt.get('decay_rate')}
    iterations = opt['max_epochs'] * loader.ntrain
    iterations_per_epoch = loader.ntrain  # noqa: F841 (the Lua's unused local)
    loss0 = None
    for i in range(1, iterations + 1):
        epoch = i / loader.ntrain

        timer = lg.Timer()
        _, loss = optim.rmsprop(feval_wrap, params, optim_state)
        time = timer.time()['real']

        train_loss = loss[0]  # the loss is inside a list, pop it
        train_losses[i] = train_loss

        # exponential learning rate decay
        if i % loader.ntrain == 0 and opt['learning_rate_decay'] < 1:
            if epoch >= opt['learning_rate_decay_after']:
                decay_factor = opt['learning_rate_decay']
                optim_state['learningRate'] = optim_state['learningRate'] * decay_factor  # decay it
                print('decayed learning rate by a factor ' + '%.14g' % decay_factor + ' to ' + '%.14g' % optim_state['learningRate'])

        # every now and then or on last iteration
        if i % opt['eval_val_every'] == 0 or i == iterations:
            # evaluate loss on validation data
            val_loss = 0
            val_losses[i] = val_loss

            savefile = '%s/lm_%s_%.5f_%.0f_%.0f_%s.t7' % (opt['checkpoint_dir'], opt['savefile'], opt['learning_rate'], opt['symmetric'], opt['num_caption'], opt['ids_file'])
            print('saving checkpoint to ' + savefile)
            checkpoint = {}
            checkpoint['protos'] = protos
            checkpoint['opt'] = opt
            checkpoint['train_losses'] = train_losses
            checkpoint['val_loss'] = val_loss
            checkpoint['val_losses'] = val_losses
            checkpoint['i'] = i
            checkpoint['epoch'] = epoch
            # checkpoint.vocab = loader.vocab_mapping: a field the caption loader never sets, so nil, and a Lua table
            # keeps no nil: the checkpoint has no 'vocab' key
            lg.save(savefile, checkpoint)

        if i % opt['print_every'] == 0:
            print("%d/%d (ep %.3f), loss=%4.2f, acc1=%4.2f, acc2=%.4f, g/p=%6.4e, t/b=%.2fs" % (
                  i, iterations, epoch, train_loss, acc_batch, acc_smooth, grad_params.norm() / params.norm(), time))

        # handle early stopping if things are going really bad
        if loss0 is None:
            loss0 = loss[0]
        if (loss[0] > loss0 * 3) and (i > 10):
            print('loss is exploding, aborting.')
            break  # halt
    return train_losses
