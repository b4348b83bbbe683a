"""models/test-eisnercrf.lua: checks nn.EisnerCRF's Viterbi tree, partition function (inside and outside) and
arc marginals against enumeration of every projective tree, and its gradient against central differences
(grad_check prints the ratios; tests/porting/test_struct_attn.py asserts on them). Named ``*_testlua.py`` so that
pytest does not collect it (the Lua's test_unit(n, b) takes arguments).

Edits beyond syntax and 0-based indexing:
- ``all_parses`` builds Python source (nested ``for`` loops over every head assignment) where the Lua builds Lua
  source, and ``loadstring(code)()`` is ``exec(code, globals())``: the generated code sets the global ``parses``.
- heads are 0-based positions; the root's entry, 0 (no position) in the Lua, is -1 (``lg.zeros(n).fill(-1)``),
  as in EisnerCRF.py's viterbi.
- ``require 'EisnerCRF.lua'`` makes LEFT, RIGHT, COMPLETE and nn.EisnerCRF globals: imported from EisnerCRF.py.
- test_unit and grad_check return what they assert on or print; the two calls at the bottom are main()."""
import math

import legonn as lg
from legonn import nn

from .EisnerCRF import COMPLETE, LEFT, RIGHT, EisnerCRF

parses = None


def is_spanning(parse):
    # returns true if tree is spanning
    n = parse.size(0)
    d = {}
    for i in range(n):
        h = parse[i]
        if i == h:
            return False
        if d.get(h) is None:
            d[h] = []
        d[h].append(i)
    stack = [0]
    seen = {}
    while len(stack) > 0:
        cur = stack.pop(0)
        if seen.get(cur) == 1:
            return False
        seen[cur] = 1
        if d.get(cur) is not None:
            for i in range(len(d[cur])):
                stack.insert(0, d[cur][i])
    l = 0
    for i, j in seen.items():
        l = l + 1
    if l != n:
        return False
    return True


def is_projective(parse):
    # returns true if tree is projective
    n = parse.size(0)
    for i in range(n):
        h = parse[i]
        for j in range(n):
            h2 = parse[j]
            if i != j:
                if i < h:
                    if (i < j and j < h and h < h2) or (i < h2 and h2 < h and h < j) or (
                            j < i and i < h2 and h2 < h) or (h2 < i and i < j and j < h):
                        return False
                if h < i:
                    if (h < j and j < i and i < h2) or (h < h2 and h2 < i and i < j) or (
                            j < h and h < h2 and h2 < i) or (h2 < h and h < j and j < i):
                        return False
    return True


def all_parses(n):
    # all valid parse trees with n nodes
    code = 'parses = []; parse = lg.zeros(' + str(n) + ').fill(-1)\n'
    for i in range(1, n):
        v = 'i' + str(i)
        code = code + ' ' * (i - 1) + 'for ' + v + ' in range(' + str(n) + '):\n'
        code = code + ' ' * i + 'parse[' + str(i) + '] = ' + v + '\n'
    code = code + ' ' * (n - 1) + 'if parse.eq(0).sum() > 0 and is_spanning(parse) and is_projective(parse):\n'
    code = code + ' ' * n + 'parses.append(parse.clone())\n'
    return code


def score_tree(scores, parse):
    # scores a parse tree
    n = parse.size(0)
    s = 0
    for i in range(1, n):
        s = s + scores[parse[i]][i]
    return s


def calc_manual(scores, parses):
    # manually get best tree and partition function and marginals
    m = -math.inf
    z = 0
    n = parses[0].size()[0]
    log_marginal = lg.Tensor(n, n).fill(-math.inf)
    best = None

    for i in range(len(parses)):
        parse = parses[i]
        s = score_tree(scores, parse)
        if s > m:
            m = s
            best = parse
        z = z + math.exp(s)
        for j in range(n-1):
            for k in range(j+1, n):
                if parse[k] == j:   # j ==> k
                    log_marginal[j][k] = math.log(math.exp(log_marginal[j][k]) + math.exp(s))
                if parse[j] == k:   # k ==> j
                    log_marginal[k][j] = math.log(math.exp(log_marginal[k][j]) + math.exp(s))
    return m, best, z, log_marginal


def test_unit(n, b):
    m = EisnerCRF()
    timer = lg.Timer()
    dp_time = 0
    checked = 0
    for i in range(3, n + 1):
        code = all_parses(i)
        exec(code, globals())
        print('Testing n: %d, possible graphs: %d' % (i, len(parses)))
        scores = lg.randn(b, i, i)
        start_time = timer.time()['real']
        map_scores, map_trees = m.viterbi(scores)
        marginals = m.forward(scores)
        log_zs = m.log_inside[:, 0, i-1, RIGHT, COMPLETE]
        dp_time = dp_time + timer.time()['real'] - start_time
        for j in range(b):
            map_score, map_tree, z, log_marginal = calc_manual(scores[j], parses)
            assert abs(map_scores[j] - map_score) < 1e-5, "scores doesn't match"
            assert (map_trees[j] - map_tree).sum() == 0, "MAP tree doesn't match"
            assert abs(math.exp(log_zs[j]) - z) < 1e-5, "inside --> partition doesn't match"
            for k in range(1, i):
                assert abs(math.exp(m.log_outside[j][k][k][LEFT][COMPLETE]) - z) < 1e-5, \
                    "outside --> partition doesn't match"
                assert abs(math.exp(m.log_outside[j][k][k][RIGHT][COMPLETE]) - z) < 1e-5, \
                    "outside --> partition doesn't match"
            assert (marginals[j] - log_marginal.add(-math.log(z)).exp()).abs().sum() < 1e-5, \
                "marginals don't match"
            checked = checked + 1
        print("passed!")
    print('Viterbi/Inside-Outside took %.2f seconds' % dp_time)
    return checked


def grad_check(n, b):
    m = EisnerCRF()
    crit = nn.MSECriterion()
    lg.manualSeed(3435)
    x = lg.randn(b, n, n)
    y = lg.randn(b, n, n)
    eps = 1e-8
    pred = m.forward(x)
    loss = crit.forward(pred, y)
    dl_dpred = crit.backward(pred, y)
    dl_dx = m.backward(x, dl_dpred)
    C = m.log_inside
    max_diff = -math.inf
    min_diff = math.inf
    for i in range(b):
        for s in range(n-1):
            for t in range(s+1, n):
                x[i][s][t] = x[i][s][t] + eps
                loss1 = crit.forward(m.forward(x), y)
                x[i][s][t] = x[i][s][t] - 2*eps
                loss2 = crit.forward(m.forward(x), y)
                grad_est = (loss1 - loss2) / (2*eps)
                x[i][s][t] = x[i][s][t] + eps
                if grad_est/dl_dx[i][s][t] > max_diff:
                    max_diff = grad_est/dl_dx[i][s][t]
                if grad_est/dl_dx[i][s][t] < min_diff:
                    min_diff = grad_est/dl_dx[i][s][t]
                if s > 0:
                    x[i][t][s] = x[i][t][s] + eps
                    loss1 = crit.forward(m.forward(x), y)
                    x[i][t][s] = x[i][t][s] - 2*eps
                    loss2 = crit.forward(m.forward(x), y)
                    grad_est = (loss1 - loss2) / (2*eps)
                    x[i][t][s] = x[i][t][s] + eps
                    if grad_est/dl_dx[i][t][s] > max_diff:
                        max_diff = grad_est/dl_dx[i][t][s]
                    if grad_est/dl_dx[i][t][s] < min_diff:
                        min_diff = grad_est/dl_dx[i][t][s]
    print("for length %d and batch size %d, min ratio: %.6f, max_ratio: %.6f" % (
        n, b, min_diff, max_diff))
    return min_diff, max_diff


def main():
    print("testing viterbi and marginals...")
    test_unit(6, 100)
    print("testing gradients...")
    grad_check(6, 10)
