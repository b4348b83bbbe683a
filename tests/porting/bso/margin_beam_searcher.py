"""BSO's margin_beam_searcher.lua: MarginBatchBeamSearcher, the beam search of BSO's training (margin violations
against the gold sequence's score, with the beam reset to the gold prefix at each violation) and of evaluation
(evalSearch up to an end token, evalFixedLengthSearch). A prediction is a linked list ``{prev=..., val=...}``, a
dict here. Indices are 0-based: ``resind`` from topk counts from 0, so its parent is ``resind // V`` (the Lua's
``floor((resind-1)/V) + 1``) and its word ``resind - V*parent`` (the Lua's word id, less 1)."""
import math

import legonn as lg


class MarginBatchBeamSearcher:
    typename = 'MarginBatchBeamSearcher'

    def __init__(self, rnn_size, state_tbl_size, cuda):
        self.rnn_size = rnn_size
        self.state_tbl_size = state_tbl_size   # basically num layers
        self.resval = lg.Tensor().cuda() if cuda else lg.Tensor()
        # the Lua's `torch.LongTensor():cuda()` is a CudaTensor, which cutorch's topk and min (an older cutorch's
        # took it) refuse as the indices' result, as legonn does: they are CudaLongTensors (docs/porting.md's
        # `x:cuda()` row)
        self.resind = lg.LongTensor().cudaLong() if cuda else lg.LongTensor()
        self.finalval = lg.Tensor(1).cuda() if cuda else lg.Tensor(1)
        self.finalind = lg.LongTensor(1).cudaLong() if cuda else lg.LongTensor(1)
        self.rembuff = lg.Tensor().cuda() if cuda else lg.LongTensor()
        self.prev_state = []
        for j in range(state_tbl_size):
            self.prev_state.append(lg.Tensor().cuda() if cuda else lg.Tensor())
        self.expanded_global_noise = lg.Tensor().cuda() if cuda else lg.Tensor()

    def initSearch(self, K, batch_size, init_dec_state, target, target_l, num_layers):
        self.K = K
        self.batch_size = batch_size
        self.resval.resize(K)
        self.resind.resize(K)
        self.rembuff.resize(K)
        # copy state of each example
        for j in range(self.state_tbl_size):
            self.prev_state[j].resize(batch_size * K, self.rnn_size)
            self.prev_state[j].zero()   # just to avoid nans
            if j < len(init_dec_state) and init_dec_state[j] is not None:   # initialize w/ encoder sometimes
                for n in range(batch_size):
                    self.prev_state[j][n * K].copy(init_dec_state[j][n])
        self.pred_pfxs = []
        self.gold_pred_holders = []
        for n in range(batch_size):
            self.pred_pfxs.append([])
            self.gold_pred_holders.append([])
            # we'll use a linked list so we don't have to copy
            self.pred_pfxs[n].append({'prev': None, 'val': target[0][n]})
            # make a gold linked_list
            self.gold_pred_holders[n].append({'prev': None, 'val': target[0][n]})
            for t in range(1, target_l):
                self.gold_pred_holders[n].append({'prev': self.gold_pred_holders[n][t - 1], 'val': target[t][n]})
        self.num_layers = num_layers
        self.expanded_global_noise.resize(num_layers, batch_size * K, self.rnn_size)

    # assumes beam_dec SynchedDropouts have indices 1..num_layers
    def synchDropout(self, t, global_noise):
        for j in range(self.num_layers):
            for n in range(self.batch_size):
                lg.repeatTensor(self.expanded_global_noise[j].sub(n * self.K, (n + 1) * self.K - 1),
                                global_noise[t * self.num_layers + j].sub(n, n), self.K, 1)

    # pred_inp and ctx should be of length batch_l*K along first dim; in particular, ctx should
    # consist of K stacked copies of the context of each example in the batch.
    # this fills pred_inp
    def nextSearchStep(self, t, batch_pred_inp, batch_ctx, beam_dec, beam_scorer, gold_scores, target, target_w,
                       gold_rnn_state_dec, delts, losses, global_noise, disqs=None):
        K = self.K
        resval, resind, rembuff = self.resval, self.resind, self.rembuff
        finalval, finalind = self.finalval, self.finalind
        self.synchDropout(t, global_noise)
        # pred_inp should be what was predicted at the last step
        outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
        all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
        V = all_scores.size(1)
        mistaken_preds = {}
        for n in range(self.batch_size):
            delts[n] = 0
            losses[n] = 0
            if t < target_w[n] - 1:   # only do things if t <= length (incl end token) - 2
                beam_size = len(self.pred_pfxs[n])
                nstart = n * K
                nend = (n + 1) * K - 1
                scores = all_scores.sub(nstart, nstart + beam_size - 1).view(-1)   # scores for this example
                # take top K
                lg.topk(resval, resind, scores, K, 0, True)
                # see if we violated margin
                lg.min(finalval, finalind, resval, 0)   # resind[finalind[0]] is idx of K'th highest predicted word
                # checking that true score at least 1 higher than K'th
                losses[n] = max(0, 1 - gold_scores[n][target[t + 1][n]] + finalval[0])
                if losses[n] > 0:
                    parent_idx = math.floor(resind[finalind[0]] / V)
                    pred_word = resind[finalind[0]] % V
                    mistaken_preds[n] = {'prev': self.pred_pfxs[n][parent_idx], 'val': pred_word}
                    delts[n] = 1   # can change.....
                else:
                    # put predicted next words in pred_inp
                    rembuff.add(resind, 0)   # set rembuff = resind (the Lua's resind - 1)
                    rembuff.div(V)
                    rembuff.floor()   # note rembuff contains floor(resind/V)
                    pred_inp = batch_pred_inp.sub(nstart, nend)
                    pred_inp.add(resind, -V, rembuff)   # pred_inp = resind % V = resind - V*floor(resind/V)
                    # update previous state (rembuff: the parents of the top K, from 0)
                    for j in range(len(self.prev_state)):
                        self.prev_state[j].sub(nstart, nend).index(outs[j].sub(nstart, nend), 0, rembuff)
                    # update predictions on beam
                    newpp = []
                    for k in range(K):
                        parent_idx = int(rembuff[k])
                        newpp.append({'prev': self.pred_pfxs[n][parent_idx], 'val': pred_inp[k]})
                    self.pred_pfxs[n] = newpp
        return mistaken_preds

    # assumes beam_dec SynchedDropouts have indices 1..num_layers
    def synchFinalDropout(self, target_w, global_noise):
        for j in range(self.num_layers):
            for n in range(self.batch_size):
                penult = int(target_w[n])   # a float on the GPU (the Lua indexes its table with 3.0)
                lg.repeatTensor(self.expanded_global_noise[j].sub(n * self.K, (n + 1) * self.K - 1),
                                global_noise[(penult - 1) * self.num_layers + j].sub(n, n), self.K, 1)

    # this is for t = actual_l - 1
    def finalStep(self, batch_pred_inp, batch_ctx, beam_dec, beam_scorer, gold_scorers, target, target_w, delts,
                  losses, global_noise, disqs=None):
        K = self.K
        resval, resind = self.resval.sub(0, 1), self.resind.sub(0, 1)
        finalval, finalind = self.finalval, self.finalind
        # pred_inp should be what was predicted at the last step
        # too annoying to do different lenght final dropout
        self.synchFinalDropout(target_w, global_noise)
        outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
        all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
        V = all_scores.size(1)
        mistaken_preds = {}
        for n in range(self.batch_size):
            delts[n] = 0
            losses[n] = 0
            penult = int(target_w[n])   # a float on the GPU (the Lua indexes its table with 3.0)
            beam_size = len(self.pred_pfxs[n])
            nstart = n * K
            scores = all_scores.sub(nstart, nstart + beam_size - 1).view(-1)   # scores for this example
            # take top K
            lg.topk(resval, resind, scores, 1, 0, True)
            # see if we violated margin
            lg.max(finalval, finalind, resval, 0)   # resind[finalind[0]] should now hold max thing
            gold_score_t = gold_scorers[penult - 1].output[n][target[penult][n]]
            if finalval[0] >= gold_score_t:   # assume highest is offender
                offending_idx = resind[finalind[0]]
            else:   # 2nd highest is potential offender
                # Lua's `finalind == 1 and resind[2] or resind[1]`: a tensor never equals a number in Lua
                # (docs/porting.md's row on `t == n`), so the Lua always takes resind[1]
                offending_idx = resind[0]
            # checking that true score at least 1 higher than K'th
            losses[n] = max(0, 1 - gold_score_t + scores[offending_idx])
            if losses[n] > 0:
                parent_idx = math.floor(resind[finalind[0]] / V)
                pred_word = resind[finalind[0]] % V
                mistaken_preds[n] = {'prev': self.pred_pfxs[n][parent_idx], 'val': pred_word}
                delts[n] = 1   # can change.....
        return mistaken_preds

    def resetBeam(self, n, gold_rnn_state_dec, inps, target, t):
        for j in range(len(self.prev_state)):
            self.prev_state[j][n * self.K].copy(gold_rnn_state_dec[t][j][n])
        inps[n * self.K] = target[t + 1][n]
        self.pred_pfxs[n] = []
        self.pred_pfxs[n].append(self.gold_pred_holders[n][t + 1])   # should be correct thru t's prediction

    # search up to some maximum length and keep track of highest scoring stuff?
    # assumes search already init'd
    def evalSearch(self, batch_pred_inp, batch_ctx, beam_dec, beam_scorer, max_length, end_token):
        K = self.K
        resval, resind, rembuff = self.resval, self.resind, self.rembuff
        all_preds, all_done, all_best = [], {}, []
        for n in range(self.batch_size):
            all_preds.append([])
            all_best.append({'pred': None, 'score': -math.inf})
        for t in range(max_length):
            outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
            all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
            V = all_scores.size(1)
            for n in range(self.batch_size):
                if not all_done.get(n):
                    beam_size = len(self.pred_pfxs[n])
                    nstart = n * K
                    nend = (n + 1) * K - 1
                    scores = all_scores.sub(nstart, nstart + beam_size - 1).view(-1)   # scores for this example
                    # take top K
                    lg.topk(resval, resind, scores, K, 0, True)
                    pred_inp = batch_pred_inp.sub(nstart, nend)
                    # put predicted next words in pred_inp
                    rembuff.add(resind, 0)   # set rembuff = resind (the Lua's resind - 1)
                    rembuff.div(V)
                    rembuff.floor()   # note rembuff contains floor(resind/V)
                    pred_inp.add(resind, -V, rembuff)   # pred_inp = resind % V
                    done, notdone = [], []
                    for k in range(K):
                        if resval[k] > all_best[n]['score']:
                            pred = {'prev': self.pred_pfxs[n][int(rembuff[k])], 'val': pred_inp[k]}
                            all_best[n] = {'pred': pred, 'score': resval[k]}
                        if pred_inp[k] == end_token:
                            pred = {'prev': self.pred_pfxs[n][int(rembuff[k])], 'val': end_token}
                            all_preds[n].append({'pred': pred, 'score': resval[k]})
                            done.append(k)
                        else:
                            notdone.append(k)
                    if len(notdone) == 0:   # we're done
                        all_done[n] = True
                        break
                    else:   # just replace stuff with first notdone thing; will come out in the wash
                        for j, k in enumerate(done):
                            pred_inp[k] = pred_inp[notdone[0]]
                            rembuff[k] = rembuff[notdone[0]]
                    # update previous state
                    for j in range(len(outs)):
                        self.prev_state[j].sub(nstart, nend).index(outs[j].sub(nstart, nend), 0, rembuff)
                    # update predictions on beam
                    newpp = []
                    for k in range(K):
                        newpp.append({'prev': self.pred_pfxs[n][int(rembuff[k])], 'val': pred_inp[k]})
                    self.pred_pfxs[n] = newpp
        # finally return the ended prediction w/ highest score (if any)
        final_preds = []
        for n in range(self.batch_size):
            if len(all_preds[n]) == 0:
                print('laaaaame, no predictions with an end token')
                final_preds.append(all_best[n]['pred'])
            else:
                best_score = all_preds[n][0]['score']
                final_preds.append(all_preds[n][0]['pred'])
                for i in range(1, len(all_preds[n])):
                    if all_preds[n][i]['score'] > best_score:
                        best_score = all_preds[n][i]['score']
                        final_preds[n] = all_preds[n][i]['pred']
        return final_preds

    # for when we know how long the target sequence is (like for pos tagging)
    # max length should presumably be 1 before end token
    def evalFixedLengthSearch(self, batch_pred_inp, batch_ctx, beam_dec, beam_scorer, max_length, disqs=None):
        K = self.K
        resval, resind, rembuff = self.resval, self.resind, self.rembuff
        all_best = []
        for n in range(self.batch_size):
            all_best.append({'pred': None, 'score': -math.inf})
        for t in range(max_length):   # max_length should be 1 less than the fixed length
            outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
            all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
            V = all_scores.size(1)
            for n in range(self.batch_size):
                beam_size = len(self.pred_pfxs[n])
                nstart = n * K
                nend = (n + 1) * K - 1
                scores = all_scores.sub(nstart, nstart + beam_size - 1).view(-1)   # scores for this example
                # take top K
                lg.topk(resval, resind, scores, K, 0, True)
                pred_inp = batch_pred_inp.sub(nstart, nend)
                # put predicted next words in pred_inp
                rembuff.add(resind, 0)   # set rembuff = resind (the Lua's resind - 1)
                rembuff.div(V)
                rembuff.floor()   # note rembuff contains floor(resind/V)
                pred_inp.add(resind, -V, rembuff)   # pred_inp = resind % V
                # update previous state
                for j in range(len(outs)):
                    self.prev_state[j].sub(nstart, nend).index(outs[j].sub(nstart, nend), 0, rembuff)
                # update predictions on beam
                newpp = []
                for k in range(K):
                    parent_idx = int(rembuff[k])
                    newpp.append({'prev': self.pred_pfxs[n][parent_idx], 'val': pred_inp[k]})
                    if t == max_length - 1 and resval[k] > all_best[n]['score']:
                        all_best[n]['score'] = resval[k]
                        all_best[n]['pred'] = newpp[k]
                self.pred_pfxs[n] = newpp
        return all_best

