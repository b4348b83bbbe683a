"""BSO's con_margin_beam_searcher.lua: ConMarginBatchBeamSearcher, margin_beam_searcher.lua's class with each
example's scores masked by its disqualifier (state_disq.py) before the top K, and the disqualifier's states
advanced with the beam. The Lua file repeats __init, initSearch, synchDropout, synchFinalDropout and resetBeam
line for line: they are inherited from margin_beam_searcher.py's port here. 0-based as that file."""
import math

import legonn as lg
from .margin_beam_searcher import MarginBatchBeamSearcher


class ConMarginBatchBeamSearcher(MarginBatchBeamSearcher):
    typename = 'ConMarginBatchBeamSearcher'

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
                scores = all_scores.sub(nstart, nstart + beam_size - 1)   # scores for this example
                disqs[n].disqualify(scores)
                scores = scores.view(-1)
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
                    # update disqualification stuff
                    disqs[n].updateStates(rembuff, pred_inp, resval)
        return mistaken_preds

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
            scores = all_scores.sub(nstart, nstart + beam_size - 1)   # scores for this example
            disqs[n].disqualify(scores)
            scores = scores.view(-1)
            # take top K
            lg.topk(resval, resind, scores, 1, 0, True)
            # see if we violated margin
            lg.max(finalval, finalind, resval, 0)   # resind[finalind[0]] should now hold max thing
            gold_score_t = gold_scorers[penult - 1].output[n][target[penult][n]]
            if finalval[0] >= gold_score_t:   # assume highest is offender
                offending_idx = resind[finalind[0]]
            else:   # 2nd highest is potential offender
                # Lua's `finalind == 1 and resind[2] or resind[1]` always takes resind[1] (see margin_beam_searcher)
                offending_idx = resind[0]
            # checking that true score at least 1 higher than K'th
            losses[n] = max(0, 1 - gold_score_t + scores[offending_idx])
            if losses[n] > 0:
                parent_idx = math.floor(resind[finalind[0]] / V)
                pred_word = resind[finalind[0]] % V
                mistaken_preds[n] = {'prev': self.pred_pfxs[n][parent_idx], 'val': pred_word}
                delts[n] = 1   # can change.....
        return mistaken_preds

    # search up to some maximum length and keep track of highest scoring stuff
    # assumes search already init'd
    # assumes disqualifiers already init'd
    def evalSearch(self, batch_pred_inp, batch_ctx, beam_dec, beam_scorer, max_length, end_token, disqs=None):
        """Not reached by bso_train.lua (eval calls evalFixedLengthSearch): its first loop indexes a global
        ``hyp_state`` nothing defines, an error in Lua ("attempt to index global 'hyp_state'") and here (a
        NameError), and it calls ``updateStates`` without the scores that method reads."""
        K = self.K
        resval, resind, rembuff = self.resval, self.resind, self.rembuff
        all_preds, all_done, all_best = [], {}, []
        for n in range(self.batch_size):
            all_preds.append([])
            all_best.append({'pred': None, 'score': -math.inf})
            hyp_state[n] = {}   # noqa: F821  (the Lua's undefined global)
            disqs[n].allowEnd(end_token)   # assume end is always allowed
        for t in range(max_length):
            outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
            all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
            V = all_scores.size(1)
            for n in range(self.batch_size):
                if not all_done.get(n):
                    beam_size = len(self.pred_pfxs[n])
                    nstart = n * K
                    nend = (n + 1) * K - 1
                    scores = all_scores.sub(nstart, nstart + beam_size - 1)   # scores for this example
                    # disqualify shit
                    disqs[n].disqualify(scores)
                    scores = scores.view(-1)
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
                    # update disqualification stuff
                    disqs[n].updateStates(rembuff, pred_inp, None)
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
        all_best, all_best_scores = [], []
        for n in range(self.batch_size):
            all_best.append(None)
            all_best_scores.append(-math.inf)
        for t in range(max_length):   # max_length should be 1 less than the fixed length
            outs = beam_dec.forward([batch_pred_inp, batch_ctx, *self.prev_state])
            all_scores = beam_scorer.forward(outs[-1])   # should be (batch_l*K) x V matrix
            V = all_scores.size(1)
            for n in range(self.batch_size):
                beam_size = len(self.pred_pfxs[n])
                nstart = n * K
                nend = (n + 1) * K - 1
                scores = all_scores.sub(nstart, nstart + beam_size - 1)   # scores for this example
                # disqualify bad things
                disqs[n].disqualify(scores)
                scores = scores.view(-1)
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
                    if t == max_length - 1 and resval[k] > all_best_scores[n]:
                        all_best_scores[n] = resval[k]
                        all_best[n] = newpp[k]
                self.pred_pfxs[n] = newpp
                # update disqualification stuff
                disqs[n].updateStates(rembuff, pred_inp, resval)
        return all_best
