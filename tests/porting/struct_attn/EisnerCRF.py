"""models/EisnerCRF.lua: nn.EisnerCRF, the graph-based structured attention layer: for a batch x n x n tensor of
arc scores (``input[b][s][t]`` scores s ==> t, node 0 the root), the marginal probability of every arc over all
projective dependency trees, by Eisner's inside-outside algorithm in log space; backward runs the outside and
inside recursions backwards with signs. ``viterbi`` gives the best tree's score and each word's head.

The Lua's loop variables ``s``, ``t``, ``u``, ``k`` keep their Lua values (1 .. n) so that the chart's spans
read as in the Lua; every index into a tensor is 0-based (``[:, s-1, t-1, ...]``, ``narrow(1, s-1, l)``), and
LEFT, RIGHT, INCOMPLETE, COMPLETE, the chart's last two indices, are 0 and 1.

Edits beyond syntax and 0-based indexing:
- ``viterbi``'s heads are 0-based positions; the root, whose head the Lua leaves at 0 (no position), holds -1.
- the ``cuda_mod`` branches call harvardnlp's cuda-mod kernels (a compiled CUDA library, not ported); the Lua
  takes them only where a script sets ``cuda_mod = 1`` after ``require 'cuda-mod'``.
- ``logsumexp`` (never called in the repository) is kept as written."""
import math

import legonn as lg
from legonn import nn

# globals
LEFT = 0
RIGHT = 1
INCOMPLETE = 0
COMPLETE = 1


def isnan(i):
    return (i if i == i else -math.inf)


def fixsign(i):
    return (1 if i == 0 else i)


class EisnerCRF(nn.Module):

    def __init__(self):
        super().__init__()
        self.C = lg.Tensor()  # chart scores for viterbi (batch x n x n x 2 x 2)
        self.heads = lg.Tensor()  # MAP output (batch x n)
        self.bp = lg.Tensor()  # backpointer for viterbi (batch x n x n x 2 x 2)
        self.log_inside = lg.Tensor()  # inside potentials (batch x n x n x 2 x 2)
        self.log_outside = lg.Tensor()  # outside potentials (batch x n x n x 2 x 2)

        self.output = lg.Tensor()  # marginals (batch x n x n)
        self.log_marginals = lg.Tensor()  # log marginals (batch x n x n)
        self.gradInput = lg.Tensor()  # grad input (batch x n x n)

        self.tmp = lg.Tensor()  # temp tensors for intermediate calcs
        self.tmp2 = lg.Tensor()
        self.tmp3 = lg.Tensor()
        self.ge = lg.Tensor()

        self.log_grad_marginal = lg.Tensor()  # p * dL/dp
        self.log_grad_marginal_sign = lg.Tensor()  # p * dL/dp
        self.log_grad_input = lg.Tensor()  # log grad input
        self.log_grad_input_sign = lg.Tensor()
        self.log_grad_output = lg.Tensor()  # log grad output
        self.log_grad_output_sign = lg.Tensor()
        self.log_grad_inside = lg.Tensor()  # log grad wrt inside terms
        self.log_grad_inside_sign = lg.Tensor()
        self.log_grad_outside = lg.Tensor()  # log grad wrt outside terms
        self.log_grad_outside_sign = lg.Tensor()

        self.cuda_mod = 0


    def logsumexp(self, x, y, d):
        # does logsumexp over dimension d of tensor y and puts the result into x
        self.tmp3.max(y,d)
        x.copy(y.add(-1, self.tmp3.expandAs(y)).exp().sum(d).log().add(self.tmp3))

    def logadd(self, x, y, x_sign=None, y_sign=None):
        # returns log (exp(x) + exp(y)) and puts the result in x (and x_sign)
        if x_sign is None:
            if self.cuda_mod == 0:
                self.tmp3.cmax(x, y)
                x.add(-self.tmp3).exp().add(y.add(-self.tmp3).exp()).log().add(self.tmp3)
            else:
                x.THCUDAMOD.LogSpace_add_inplace(x.cdata(), y.cdata())
        else:
            self.ge.ge(x,y)
            if self.cuda_mod == 0:
                self.tmp3.cmax(x, y)
                x.cmin(x,y).add(-1, self.tmp3).exp().cmul(x_sign).cmul(y_sign).log1p().add(self.tmp3)
                x_sign.cmul(self.ge)
                self.ge.add(-1).mul(-1)
                self.ge.cmul(y_sign)
                x_sign.add(self.ge)
                x.apply(isnan)
            else:
                x.THCUDAMOD.SignedLogSpace_add_inplace(x.cdata(), y.cdata(),
                    x_sign.cdata(), y_sign.cdata(),
                    self.tmp3.cdata(), self.ge.cdata())

    def updateOutput(self, input):
        batch = input.size(0)
        n = input.size(1)
        self.input_expand = input.view(batch, n, n, 1).expand(batch, n, n, n)
        self.tmp.resize(batch, n)
        self.tmp2.resize(batch, n)
        self.tmp3.resize(batch)
        self.ge.resize(batch)

        self.output.resize(batch, n, n)
        self.log_marginals.resize(batch, n, n).fill(-math.inf)
        self.inside(input)
        self.outside(input)
        # calculate log marginals
        for s in range(1, n-1 + 1):
            for t in range(s+1, n + 1):
                self.log_marginals[:, s-1, t-1].copy(self.log_outside[:, s-1, t-1, RIGHT, INCOMPLETE]).add(
                    self.log_inside[:, s-1, t-1, RIGHT, INCOMPLETE])
                if s > 1:  # root has no head
                    self.log_marginals[:, t-1, s-1].copy(self.log_outside[:, s-1, t-1, LEFT, INCOMPLETE]).add(
                        self.log_inside[:, s-1, t-1, LEFT, INCOMPLETE])

        self.log_z = self.log_inside[:, 0, n-1, RIGHT, COMPLETE].contiguous().view(batch, 1, 1)
        self.log_marginals.add(-1, self.log_z.expand(batch, n, n))
        self.output.copy(self.log_marginals).exp()
        return self.output

    def inside(self, input):
        # calculate inside potentials
        # input is a (batch x n x n) of scores where
        # input[b][s][t] is the score for connecting s ==> t
        # inside potentials are in log_inside[b][s][t][d][c] with the following notation:
        # b \in [1, ..., batch] = batch index
        # s \in [1, ..., n] = left most index in span
        # t \in [1, ..., n] = right most index in span
        # d \in  {1, 2} = {<==, ==>}
        # c \in  {1, 2} = {incomplete, complete}

        batch = input.size(0)
        n = input.size(1)
        self.log_inside.resize(batch, n, n, 2, 2).fill(-math.inf)
        for i in range(1, n + 1):
            self.log_inside[:, i-1, i-1, :, COMPLETE].zero()
        for k in range(1, n + 1):
            for s in range(1, n + 1):
                t = s+k
                if t > n:
                    break
                l = t-s
                # left incomplete tree potentials
                if s > 1:
                    self.tmp[:, s-1:t-1].copy(
                        self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l)).add(
                        self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l)).add(
                        self.input_expand[:, t-1, s-1, :l])
                    for u in range(s, t):
                        self.logadd(self.log_inside[:, s-1, t-1, LEFT, INCOMPLETE], self.tmp[:, u-1])
                # right incomplete tree potentials
                self.tmp[:, s-1:t-1].copy(
                    self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l)).add(
                    self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l)).add(
                    self.input_expand[:, s-1, t-1, :l])
                for u in range(s, t):
                    self.logadd(self.log_inside[:, s-1, t-1, RIGHT, INCOMPLETE], self.tmp[:, u-1])
                # left complete tree potentials
                if s > 1:
                    self.tmp[:, s-1:t-1].copy(
                        self.log_inside[:, s-1, :, LEFT, COMPLETE].narrow(1, s-1, l)).add(
                        self.log_inside[:, :, t-1, LEFT, INCOMPLETE].narrow(1, s-1, l))
                    for u in range(s, t):
                        self.logadd(self.log_inside[:, s-1, t-1, LEFT, COMPLETE], self.tmp[:, u-1])
                # right complete tree potentials
                self.tmp[:, s:t].copy(
                    self.log_inside[:, s-1, :, RIGHT, INCOMPLETE].narrow(1, s, l)).add(
                    self.log_inside[:, :, t-1, RIGHT, COMPLETE].narrow(1, s, l))
                for u in range(s+1, t + 1):
                    self.logadd(self.log_inside[:, s-1, t-1, RIGHT, COMPLETE], self.tmp[:, u-1])

    def outside(self, input):
        # calculate outside potentials
        # input is a (batch x n x n) of scores where
        # input[b][s][t] is the score for connecting s ==> t
        # outside potentials are in log_outside[b][s][t][d][c] with the following notation:
        # b \in [1, ..., batch] = batch index
        # s \in [1, ..., n] = left most index in span
        # t \in [1, ..., n] = right most index in span
        # d \in  {1, 2} = {<==, ==>}
        # c \in  {1, 2} = {incomplete, complete}

        batch = input.size(0)
        n = input.size(1)
        self.log_outside.resize(batch, n, n, 2, 2).fill(-math.inf)
        self.log_outside[:, 0, n-1, RIGHT, COMPLETE].zero()
        log_outside_expand = self.log_outside.view(
            batch, n, n, 2, 2, 1).expand(batch, n, n, 2, 2, n)
        for k in range(n, 0, -1):
            for s in range(1, n + 1):
                t = s+k
                if t > n:
                    break
                l = t-s
                # left complete
                if s > 1:
                    self.tmp[:, s-1:t-1].copy(
                        log_outside_expand[:, s-1, t-1, LEFT, COMPLETE, s-1:t-1]).add(
                        self.log_inside[:, :, t-1, LEFT, INCOMPLETE].narrow(1, s-1, l))
                    for u in range(s, t):
                        self.logadd(self.log_outside[:, s-1, u-1, LEFT, COMPLETE], self.tmp[:, u-1])
                    self.tmp[:, s-1:t-1].copy(
                        log_outside_expand[:, s-1, t-1, LEFT, COMPLETE, s-1:t-1]).add(
                        self.log_inside[:, s-1, :, LEFT, COMPLETE].narrow(1, s-1, l))
                    for u in range(s, t):
                        self.logadd(self.log_outside[:, u-1, t-1, LEFT, INCOMPLETE], self.tmp[:, u-1])
                # -- right complete
                self.tmp[:, s:t].copy(
                    log_outside_expand[:, s-1, t-1, RIGHT, COMPLETE, s:t]).add(
                    self.log_inside[:, :, t-1, RIGHT, COMPLETE].narrow(1, s, l))
                for u in range(s+1, t + 1):
                    self.logadd(self.log_outside[:, s-1, u-1, RIGHT, INCOMPLETE], self.tmp[:, u-1])
                self.tmp[:, s:t].copy(
                    log_outside_expand[:, s-1, t-1, RIGHT, COMPLETE, s:t]).add(
                    self.log_inside[:, s-1, :, RIGHT, INCOMPLETE].narrow(1, s, l))
                for u in range(s+1, t + 1):
                    self.logadd(self.log_outside[:, u-1, t-1, RIGHT, COMPLETE], self.tmp[:, u-1])
                # left incomplete
                if s > 1:
                    self.tmp2[:, s-1:t-1].copy(
                        log_outside_expand[:, s-1, t-1, LEFT, INCOMPLETE, s-1:t-1]).add(
                        self.input_expand[:, t-1, s-1, :l])
                    self.tmp[:, s-1:t-1].copy(self.tmp2[:, s-1:t-1]).add(
                        self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l))
                    for u in range(s, t):
                        self.logadd(self.log_outside[:, s-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1])
                    self.tmp[:, s-1:t-1].copy(self.tmp2[:, s-1:t-1]).add(
                        self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l))
                    for u in range(s, t):
                        self.logadd(self.log_outside[:, u, t-1, LEFT, COMPLETE], self.tmp[:, u-1])
                # right incomplete
                self.tmp2[:, s-1:t-1].copy(
                    log_outside_expand[:, s-1, t-1, RIGHT, INCOMPLETE, s-1:t-1]).add(
                    self.input_expand[:, s-1, t-1, :l])
                self.tmp[:, s-1:t-1].copy(self.tmp2[:, s-1:t-1]).add(
                    self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l))
                for u in range(s, t):
                    self.logadd(self.log_outside[:, s-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1])
                self.tmp[:, s-1:t-1].copy(self.tmp2[:, s-1:t-1]).add(
                    self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l))
                for u in range(s, t):
                    self.logadd(self.log_outside[:, u, t-1, LEFT, COMPLETE], self.tmp[:, u-1])

    def updateGradInput(self, input, gradOutput):
        batch = input.size(0)
        n = input.size(1)
        self.gradInput.resizeAs(input)
        self.log_grad_input.resizeAs(input).fill(-math.inf)
        self.log_grad_input_sign.resizeAs(input).fill(1)

        # get log grad output
        self.log_grad_output.resizeAs(gradOutput).copy(gradOutput).abs().log()
        self.log_grad_output_sign.resizeAs(gradOutput).sign(gradOutput)

        # log_grad_marginal = log(p*gradOutput)
        self.log_grad_marginal.resizeAs(self.output).copy(self.log_marginals)
        self.log_grad_marginal.add(self.log_grad_output)
        self.log_grad_marginal_sign.resizeAs(self.output).copy(self.log_grad_output_sign)

        # backprop through outside/inside
        # initialize grads/signs for inside/outside charts
        self.log_grad_inside.resize(batch, n, n, 2, 2).fill(-math.inf)
        self.log_grad_inside_sign.resize(batch, n, n, 2, 2).fill(1)
        self.log_grad_outside.resize(batch, n, n, 2, 2).fill(-math.inf)
        self.log_grad_outside_sign.resize(batch, n, n, 2, 2).fill(1)

        # start = self.timer.time().real
        # backprop log_grad_marginal to left/right incompletes that produced the marginals
        for s in range(1, n-1 + 1):
            for t in range(s+1, n + 1):
                self.log_grad_inside[:, s-1, t-1, RIGHT, INCOMPLETE].copy(
                    self.log_grad_marginal[:, s-1, t-1])
                self.log_grad_inside_sign[:, s-1, t-1, RIGHT, INCOMPLETE].copy(
                    self.log_grad_marginal_sign[:, s-1, t-1])

                self.log_grad_outside[:, s-1, t-1, RIGHT, INCOMPLETE].copy(
                    self.log_grad_marginal[:, s-1, t-1])
                self.log_grad_outside_sign[:, s-1, t-1, RIGHT, INCOMPLETE].copy(
                    self.log_grad_marginal_sign[:, s-1, t-1])

                self.logadd(self.log_grad_inside[:, 0, n-1, RIGHT, COMPLETE],
                    self.log_grad_marginal[:, s-1, t-1],
                    self.log_grad_inside_sign[:, 0, n-1, RIGHT, COMPLETE],
                    lg.mul(self.log_grad_marginal_sign[:, s-1, t-1], -1))  # we are subtracting
                if s > 1:  # root has no head
                    self.log_grad_inside[:, s-1, t-1, LEFT, INCOMPLETE].copy(
                        self.log_grad_marginal[:, t-1, s-1])
                    self.log_grad_inside_sign[:, s-1, t-1, LEFT, INCOMPLETE].copy(
                        self.log_grad_marginal_sign[:, t-1, s-1])

                    self.log_grad_outside[:, s-1, t-1, LEFT, INCOMPLETE].copy(
                        self.log_grad_marginal[:, t-1, s-1])
                    self.log_grad_outside_sign[:, s-1, t-1, LEFT, INCOMPLETE].copy(
                        self.log_grad_marginal_sign[:, t-1, s-1])

                    self.logadd(self.log_grad_inside[:, 0, n-1, RIGHT, COMPLETE],
                        self.log_grad_marginal[:, t-1, s-1],
                        self.log_grad_inside_sign[:, 0, n-1, RIGHT, COMPLETE],
                        lg.mul(self.log_grad_marginal_sign[:, t-1, s-1], -1))  # we are subtracting
        self.outside_backward(input)
        self.inside_backward(input)
        self.gradInput.copy(self.log_grad_input).exp().cmul(self.log_grad_input_sign)
        return self.gradInput

    def inside_backward(self, input):
        # backward step for the inside algorithm
        batch = input.size(0)
        n = input.size(1)
        grad, grad_sign = None, None
        for k in range(n, 0, -1):
            for s in range(1, n + 1):
                t = s+k
                if t > n:
                    break
                l = t-s
                # right_complete(s,t) gives grads to right_incomplete(s,u) and right_complete(u,t)
                grad = self.log_grad_inside[:, s-1, t-1, RIGHT, COMPLETE].add(
                    -1, self.log_inside[:, s-1, t-1, RIGHT, COMPLETE])
                self.tmp2[:, 0].copy(grad)
                grad_sign = self.log_grad_inside_sign[:, s-1, t-1, RIGHT, COMPLETE]
                self.tmp[:, s:t].copy(
                    self.log_inside[:, s-1, :, RIGHT, INCOMPLETE].narrow(1, s, l)).add(
                    self.log_inside[:, :, t-1, RIGHT, COMPLETE].narrow(1, s, l)).add(
                    self.tmp2.expand(batch, l))
                for u in range(s+1, t + 1):
                    self.logadd(self.log_grad_inside[:, s-1, u-1, RIGHT, INCOMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, s-1, u-1, RIGHT, INCOMPLETE], grad_sign)
                    self.logadd(self.log_grad_inside[:, u-1, t-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, u-1, t-1, RIGHT, COMPLETE], grad_sign)
                # left_complete(s,t) gives grads to left_complete(s,u) and left_incomplete(u,t)
                if s > 1:
                    grad = self.log_grad_inside[:, s-1, t-1, LEFT, COMPLETE].add(
                        -1, self.log_inside[:, s-1, t-1, LEFT, COMPLETE])
                    self.tmp2[:, 0].copy(grad)
                    grad_sign = self.log_grad_inside_sign[:, s-1, t-1, LEFT, COMPLETE]
                    self.tmp[:, s-1:t-1].copy(
                        self.log_inside[:, s-1, :, LEFT, COMPLETE].narrow(1, s-1, l)).add(
                        self.log_inside[:, :, t-1, LEFT, INCOMPLETE].narrow(1, s-1, l)).add(
                        self.tmp2.expand(batch, l))
                    for u in range(s, t):
                        self.logadd(self.log_grad_inside[:, s-1, u-1, LEFT, COMPLETE], self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, s-1, u-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, u-1, t-1, LEFT, INCOMPLETE], self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, u-1, t-1, LEFT, INCOMPLETE], grad_sign)

                # right_incomplete(s,t) gives grads to right_complete(s,u),
                # left_complete(u+1,t), p(s,t)
                grad = self.log_grad_inside[:, s-1, t-1, RIGHT, INCOMPLETE].add(
                    -1, self.log_inside[:, s-1, t-1, RIGHT, INCOMPLETE])
                self.tmp2[:, 0].copy(grad)
                grad_sign = self.log_grad_inside_sign[:, s-1, t-1, RIGHT, INCOMPLETE]
                self.tmp[:, s-1:t-1].copy(
                    self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l)).add(
                    self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l)).add(
                    self.input_expand[:, s-1, t-1, :l]).add(self.tmp2.expand(batch, l))
                for u in range(s, t):
                    self.logadd(self.log_grad_inside[:, s-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, s-1, u-1, RIGHT, COMPLETE], grad_sign)
                    self.logadd(self.log_grad_inside[:, u, t-1, LEFT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, u, t-1, LEFT, COMPLETE], grad_sign)
                    self.logadd(self.log_grad_input[:, s-1, t-1], self.tmp[:, u-1],
                        self.log_grad_input_sign[:, s-1, t-1], grad_sign)
                # left_incomplete(s,t) gives grads to right_complete(s,u),
                # left_complete(u+1,t), p(t,s)
                if s > 1:
                    grad = self.log_grad_inside[:, s-1, t-1, LEFT, INCOMPLETE].add(
                        -1, self.log_inside[:, s-1, t-1, LEFT, INCOMPLETE])
                    self.tmp2[:, 0].copy(grad)
                    grad_sign = self.log_grad_inside_sign[:, s-1, t-1, LEFT, INCOMPLETE]
                    self.tmp[:, s-1:t-1].copy(
                        self.log_inside[:, s-1, :, RIGHT, COMPLETE].narrow(1, s-1, l)).add(
                        self.log_inside[:, :, t-1, LEFT, COMPLETE].narrow(1, s, l)).add(
                        self.input_expand[:, t-1, s-1, :l]).add(self.tmp2.expand(batch, l))
                    for u in range(s, t):
                        self.logadd(self.log_grad_inside[:, s-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, s-1, u-1, RIGHT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, u, t-1, LEFT, COMPLETE],self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, u, t-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_input[:, t-1, s-1], self.tmp[:, u-1],
                            self.log_grad_input_sign[:, t-1, s-1], grad_sign)

    def outside_backward(self, input):
        # backward step for the outside algorithm
        batch = input.size(0)
        n = input.size(1)
        grad, grad_sign = None, None
        self.tmp2.resize(batch, 1)
        l = None
        for k in range(1, n + 1):
            for s in range(1, n + 1):
                t = s+k
                if t > n:
                    break
                # right incomplete
                # outside(right_incomplete(s,t)) gives grads to outside(right_complete(s,u))
                # and inside(right_complete(t,u))
                grad = self.log_grad_outside[:, s-1, t-1, RIGHT, INCOMPLETE].add(
                    -1, self.log_outside[:, s-1, t-1, RIGHT, INCOMPLETE])
                self.tmp2[:, 0].copy(grad)
                grad_sign = self.log_grad_outside_sign[:, s-1, t-1, RIGHT, INCOMPLETE]
                l = n - t + 1
                self.tmp[:, t-1:n].copy(
                    self.log_outside[:, s-1, :, RIGHT, COMPLETE].narrow(1, t-1, l)).add(
                    self.log_inside[:, t-1, :, RIGHT, COMPLETE].narrow(1, t-1, l)).add(
                    self.tmp2.expand(batch, l))
                for u in range(t, n + 1):
                    self.logadd(self.log_grad_outside[:, s-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_outside_sign[:, s-1, u-1, RIGHT, COMPLETE], grad_sign)
                    self.logadd(self.log_grad_inside[:, t-1, u-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, t-1, u-1, RIGHT, COMPLETE], grad_sign)
                if s > 1:
                    # left incomplete
                    # outside(left_incomplete(s,t)) gives grads to outside(left_complete(u,t))
                    # and inside(left_complete(u,s))
                    grad = self.log_grad_outside[:, s-1, t-1, LEFT, INCOMPLETE].add(
                        -1, self.log_outside[:, s-1, t-1, LEFT, INCOMPLETE])
                    self.tmp2[:, 0].copy(grad)
                    grad_sign = self.log_grad_outside_sign[:, s-1, t-1, LEFT, INCOMPLETE]
                    l = s
                    self.tmp[:, :s].copy(
                        self.log_outside[:, :, t-1, LEFT, COMPLETE].narrow(1, 0, l)).add(
                        self.log_inside[:, :, s-1, LEFT, COMPLETE].narrow(1, 0, l)).add(
                        self.tmp2.expand(batch, l))
                    for u in range(1, s + 1):
                        self.logadd(self.log_grad_outside[:, u-1, t-1, LEFT, COMPLETE], self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, u-1, t-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, u-1, s-1, LEFT, COMPLETE], self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, u-1, s-1, LEFT, COMPLETE], grad_sign)
                # outside(right_complete(s,t)) gives grads to
                # outside(right_complete(u,t)), inside(right_incomplete(u,s))
                # outside(right_incomplete(s,u)), inside(left_complete(t+1,u)), input(s,u)
                # outside(left_incomplete(s,u)), inside(left_complete(t+1,u)), input(u,s)
                grad = self.log_grad_outside[:, s-1, t-1, RIGHT, COMPLETE].add(
                    -1, self.log_outside[:, s-1, t-1, RIGHT, COMPLETE])
                self.tmp2[:, 0].copy(grad)
                grad_sign = self.log_grad_outside_sign[:, s-1, t-1, RIGHT, COMPLETE]
                l = s
                self.tmp[:, :s].copy(
                    self.log_outside[:, :, t-1, RIGHT, COMPLETE].narrow(1, 0, l)).add(
                    self.log_inside[:, :, s-1, RIGHT, INCOMPLETE].narrow(1, 0, l)).add(
                    self.tmp2.expand(batch, l))
                for u in range(1, s + 1):
                    self.logadd(self.log_grad_outside[:, u-1, t-1, RIGHT, COMPLETE], self.tmp[:, u-1],
                        self.log_grad_outside_sign[:, u-1, t-1, RIGHT, COMPLETE], grad_sign)
                    self.logadd(self.log_grad_inside[:, u-1, s-1, RIGHT, INCOMPLETE], self.tmp[:, u-1],
                        self.log_grad_inside_sign[:, u-1, s-1, RIGHT, INCOMPLETE], grad_sign)
                if t < n:
                    l = n-t
                    self.tmp[:, t:n].copy(
                        self.log_outside[:, s-1, :, RIGHT, INCOMPLETE].narrow(1, t, l)).add(
                        self.log_inside[:, t, :, LEFT, COMPLETE].narrow(1, t, l)).add(
                        input[:, s-1, :].narrow(1, t, l)).add(
                        self.tmp2.expand(batch, l))
                    for u in range(t+1, n + 1):
                        self.logadd(self.log_grad_outside[:, s-1, u-1, RIGHT, INCOMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, s-1, u-1, RIGHT, INCOMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, t, u-1, LEFT, COMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, t, u-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_input[:, s-1, u-1],
                            self.tmp[:, u-1],
                            self.log_grad_input_sign[:, s-1, u-1], grad_sign)
                    self.tmp[:, t:n].copy(
                        self.log_outside[:, s-1, :, LEFT, INCOMPLETE].narrow(1, t, l)).add(
                        self.log_inside[:, t, :, LEFT, COMPLETE].narrow(1, t, l)).add(
                        input[:, :, s-1].narrow(1, t, l)).add(
                        self.tmp2.expand(batch, l))
                    for u in range(t+1, n + 1):
                        self.logadd(self.log_grad_outside[:, s-1, u-1, LEFT, INCOMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, s-1, u-1, LEFT, INCOMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, t, u-1, LEFT, COMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, t, u-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_input[:, u-1, s-1], self.tmp[:, u-1],
                            self.log_grad_input_sign[:, u-1, s-1], grad_sign)
                if s > 1:
                    # outside(left_complete(s,t)) gives grads to
                    # outside(left_complete(s,u)), inside(left_incomplete(t,u)), u = [t, n]
                    # outside(right_incomplete(u,t)), inside(right_complete(u,s-1)), input(u,t), u = [1,s-1]
                    # outside(left_incomplete(u,t)), inside(right_complete(u,s-1)), input(t,u), u = [1,s-1]
                    grad = self.log_grad_outside[:, s-1, t-1, LEFT, COMPLETE].add(
                        -1, self.log_outside[:, s-1, t-1, LEFT, COMPLETE])
                    self.tmp2[:, 0].copy(grad)
                    grad_sign = self.log_grad_outside_sign[:, s-1, t-1, LEFT, COMPLETE]
                    l = n - t + 1
                    self.tmp[:, t-1:n].copy(
                        self.log_outside[:, s-1, :, LEFT, COMPLETE].narrow(1, t-1, l)).add(
                        self.log_inside[:, t-1, :, LEFT, INCOMPLETE].narrow(1, t-1, l)).add(
                        self.tmp2.expand(batch, l))
                    for u in range(t, n + 1):
                        self.logadd(self.log_grad_outside[:, s-1, u-1, LEFT, COMPLETE], self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, s-1, u-1, LEFT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, t-1, u-1, LEFT, INCOMPLETE], self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, t-1, u-1, LEFT, INCOMPLETE], grad_sign)
                    l = s - 1
                    self.tmp[:, :s-1].copy(
                        self.log_outside[:, :, t-1, RIGHT, INCOMPLETE].narrow(1, 0, l)).add(
                        self.log_inside[:, :, s-1-1, RIGHT, COMPLETE].narrow(1, 0, l)).add(
                        input[:, :, t-1].narrow(1, 0, l)).add(self.tmp2.expand(batch, l))
                    for u in range(1, s-1 + 1):
                        self.logadd(self.log_grad_outside[:, u-1, t-1, RIGHT, INCOMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, u-1, t-1, RIGHT, INCOMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, u-1, s-1-1, RIGHT, COMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, u-1, s-1-1, RIGHT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_input[:, u-1, t-1], self.tmp[:, u-1],
                            self.log_grad_input_sign[:, u-1, t-1], grad_sign)
                    self.tmp[:, :s-1].copy(
                        self.log_outside[:, :, t-1, LEFT, INCOMPLETE].narrow(1, 0, l)).add(
                        self.log_inside[:, :, s-1-1, RIGHT, COMPLETE].narrow(1, 0, l)).add(
                        input[:, t-1, :].narrow(1, 0, l)).add(self.tmp2.expand(batch, l))
                    for u in range(1, s-1 + 1):
                        self.logadd(self.log_grad_outside[:, u-1, t-1, LEFT, INCOMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_outside_sign[:, u-1, t-1, LEFT, INCOMPLETE], grad_sign)
                        self.logadd(self.log_grad_inside[:, u-1, s-1-1, RIGHT, COMPLETE],
                            self.tmp[:, u-1],
                            self.log_grad_inside_sign[:, u-1, s-1-1, RIGHT, COMPLETE], grad_sign)
                        self.logadd(self.log_grad_input[:, t-1, u-1], self.tmp[:, u-1],
                            self.log_grad_input_sign[:, t-1, u-1], grad_sign)

    def viterbi(self, input):
        # input is a (batch x n x n) of scores where
        # input[b][s][t] is the score for connecting s ==> t
        # chart scores are in C[b][s][t][d][c] with the following notation:
        # b \in [1, ..., batch] = batch index
        # s \in [1, ..., n] = left most index in span
        # t \in [1, ..., n] = right most index in span
        # d \in  {1, 2} = {<==, ==>}
        # c \in  {1, 2} = {incomplete, complete}
        batch = input.size(0)
        n = input.size(1)
        self.C.resize(batch, n, n, 2, 2).zero()  # initialize chart scores
        self.bp.resize(batch, n, n, 2, 2).zero()  # backpointer
        self.tmp.resize(batch, n)  # temporary scores
        mask = None  # this will be used to only update batch b if the score is greater
        for k in range(1, n + 1):
            for s in range(1, n + 1):
                t = s+k
                if t > n:
                    break
                # initialize scores
                self.C[:, s-1, t-1, LEFT, INCOMPLETE].fill(-math.inf)
                self.C[:, s-1, t-1, RIGHT, INCOMPLETE].fill(-math.inf)
                self.C[:, s-1, t-1, LEFT, COMPLETE].fill(-math.inf)
                self.C[:, s-1, t-1, RIGHT, COMPLETE].fill(-math.inf)
                # create left incomplete trees
                for u in range(s, t):
                    self.tmp[:, u-1].zero().add(self.C[:, s-1, u-1, RIGHT, COMPLETE]).add(
                        self.C[:, u, t-1, LEFT, COMPLETE]).add(input[:, t-1, s-1])
                    mask = self.C[:, s-1, t-1, LEFT, INCOMPLETE].lt(self.tmp[:, u-1])
                    self.C[:, s-1, t-1, LEFT, INCOMPLETE][mask] = self.tmp[:, u-1][mask]
                    self.bp[:, s-1, t-1, LEFT, INCOMPLETE][mask] = u
                # create right incomplete trees
                for u in range(s, t):
                    self.tmp[:, u-1].zero().add(self.C[:, s-1, u-1, RIGHT, COMPLETE]).add(
                        self.C[:, u, t-1, LEFT, COMPLETE]).add(input[:, s-1, t-1])
                    mask = self.C[:, s-1, t-1, RIGHT, INCOMPLETE].lt(self.tmp[:, u-1])
                    self.C[:, s-1, t-1, RIGHT, INCOMPLETE][mask] = self.tmp[:, u-1][mask]
                    self.bp[:, s-1, t-1, RIGHT, INCOMPLETE][mask] = u
                # create left complete trees
                for u in range(s, t):
                    self.tmp[:, u-1].zero().add(self.C[:, s-1, u-1, LEFT, COMPLETE]).add(
                        self.C[:, u-1, t-1, LEFT, INCOMPLETE])
                    mask = self.C[:, s-1, t-1, LEFT, COMPLETE].lt(self.tmp[:, u-1])
                    self.C[:, s-1, t-1, LEFT, COMPLETE][mask] = self.tmp[:, u-1][mask]
                    self.bp[:, s-1, t-1, LEFT, COMPLETE][mask] = u
                # create right complete trees
                for u in range(s+1, t + 1):
                    self.tmp[:, u-1].zero().add(self.C[:, s-1, u-1, RIGHT, INCOMPLETE]).add(
                        self.C[:, u-1, t-1, RIGHT, COMPLETE])
                    mask = self.C[:, s-1, t-1, RIGHT, COMPLETE].lt(self.tmp[:, u-1])
                    self.C[:, s-1, t-1, RIGHT, COMPLETE][mask] = self.tmp[:, u-1][mask]
                    self.bp[:, s-1, t-1, RIGHT, COMPLETE][mask] = u
        self.heads.resize(batch, n).fill(-1)  # the root's entry: no head
        for b in range(1, batch + 1):
            self.backtrack(b, 1, n, RIGHT, COMPLETE)
        return self.C[:, 0, n-1, RIGHT, COMPLETE], self.heads

    def backtrack(self, b, s, t, d, c):
        # backtrack to get MAP trees
        u = self.bp[b-1][s-1][t-1][d][c]
        if s == t:  # base case
            return
        elif d == LEFT and c == INCOMPLETE:  # left incomplete
            self.heads[b-1][s-1] = t-1
            self.backtrack(b, s, u, RIGHT, COMPLETE)
            self.backtrack(b, u+1, t, LEFT, COMPLETE)
        elif d == RIGHT and c == INCOMPLETE:  # right incomplete
            self.heads[b-1][t-1] = s-1
            self.backtrack(b, s, u, RIGHT, COMPLETE)
            self.backtrack(b, u+1, t, LEFT, COMPLETE)
        elif d == LEFT and c == COMPLETE:  # left complete
            self.heads[b-1][u-1] = t-1
            self.backtrack(b, s, u, LEFT, COMPLETE)
            self.backtrack(b, u, t, LEFT, INCOMPLETE)
        elif d == RIGHT and c == COMPLETE:  # right complete
            self.heads[b-1][u-1] = s-1
            self.backtrack(b, s, u, RIGHT, INCOMPLETE)
            self.backtrack(b, u, t, RIGHT, COMPLETE)


lg.register(EisnerCRF)   # torch.class: lg.save and lg.load rebuild it
