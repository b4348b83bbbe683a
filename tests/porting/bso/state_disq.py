"""BSO's state_disq.lua, in part: copy_tbl ("stolen from penlight") and WOStateDisqualifier, the word-ordering
constraint (each hypothesis may only use the source's words, as many times as the source has them), an additive
mask of 0 and -inf over the beam's next-word scores. Not ported: dep_labels, get_dep_label_idxs and
LabeledSRStateDisqualifier (the shift-reduce constraint for dependency parsing over Stanford labels), which need
a parser's label vocabulary. Word ids are 0-based, as the package's."""
import math


def copy_tbl(t):
    res = {}
    for k, v in t.items():
        res[k] = v
    return res


class WOStateDisqualifier:
    typename = 'WOStateDisqualifier'

    # i assume source is a single sequence w/o start or end tokens.
    # this will by default disqualify end-token
    def __init__(self, source, B, V, maskmem, idxmem):
        self.B = B
        self.hyp_states = {0: {}}
        word_bag = {}
        word_type_count = 0
        # keep track of remaining words we can use
        for t in range(source.size(0)):
            if self.hyp_states[0].get(source[t]):
                self.hyp_states[0][source[t]] = self.hyp_states[0][source[t]] + 1
            else:
                self.hyp_states[0][source[t]] = 1
                word_bag[source[t]] = True
                word_type_count = word_type_count + 1
        # return an initial additive mask we can always use
        self.mask = maskmem.view(B, V)
        self.mask.fill(-math.inf)
        # zero out stuff actually in the source
        self.src_idxs = idxmem.sub(0, word_type_count - 1)
        i = 0
        for w, b in word_bag.items():
            self.src_idxs[i] = w
            i = i + 1
        self.mask[0].indexFill(0, self.src_idxs, 0)
        self.word_bag = word_bag

    # update before next search
    def updateStates(self, parents, preds, scores):   # rembuff, pred_inp, resval
        new_hyps = {}
        removal_cands = {}
        for k in range(self.B):
            if scores[k] > -math.inf:
                new_hyps[k] = copy_tbl(self.hyp_states[int(parents[k])])
                new_hyps[k][preds[k]] = new_hyps[k][preds[k]] - 1
                if new_hyps[k][preds[k]] == 0:
                    del new_hyps[k][preds[k]]   # remove key
                # update the mask; Lua's pairs lets the loop clear word_bag's entries, Python's dict does not
                # (docs/porting.md's row on a table's entries set to nil while pairs walks it)
                for w, b in list(self.word_bag.items()):
                    if new_hyps[k].get(w):   # still an option going fwd
                        self.mask[k][w] = 0
                    else:
                        self.mask[k][w] = -math.inf
                        if removal_cands.get(w):
                            removal_cands[w] = removal_cands[w] + 1
                        else:
                            removal_cands[w] = 1
                        if k == self.B - 1 and removal_cands[w] == self.B:   # everybody removed, so we're done
                            del self.word_bag[w]
                            self.mask.select(1, w).fill(-math.inf)
            else:   # we got -inf, which can happen if beam is longer than sentence, for instance
                new_hyps[k] = self.hyp_states[int(parents[k])]
                # just to be sure, no next prediction is valid
                for w, b in self.word_bag.items():
                    self.mask[k][w] = -math.inf
        self.hyp_states = new_hyps

    def disqualify(self, scores):   # scores assumed to be B x V
        scores.add(self.mask.sub(0, scores.size(0) - 1))   # just handles beginning when one thing on beam

    def allowEnd(self, end_token):
        self.mask.select(1, end_token).zero()
