"""fbnn's HSM: a two-level hierarchical softmax criterion over a batch, with its own cluster and class layers
(HSM.lua, HSM.cpp)."""
from ..criterions.criterion import Criterion, as_labels, loss_scalar
from ..modules.base.errors import input_error
from ..tensor import LongTensor
from ..tensor.special import exp_minus_approx
from .base import FbnnClass


class HSM(FbnnClass, Criterion):
    """nn.HSM(mapping, input_size, unk_index): hierarchical softmax. ``mapping`` ``(n_classes, 2)`` (a tensor or
    a list of pairs) gives each class's 0-based cluster and 0-based position in it. For inputs ``x``
    ``(batch, input_size)`` (or one ``(input_size,)``) and 0-based class labels ``t``, the loss is the sum over
    the batch (never averaged) of ``-log softmax(C x + c)[k]`` plus ``logsum_k - s[j]`` where ``(k, j) =
    mapping[t]``, ``s = W_k x + w_k`` the scores of cluster k's classes (rows ``class_start_indices[k]`` on of
    ``class_weight``) and ``logsum_k`` their log-sum-exp, summed with TH's approximate exponential
    (THExpMinusApprox) as HSM.cpp does; its gradient uses the exact one, so it is off by up to ~2e-6 relative.
    Parameters ``cluster_weight``/``cluster_bias``/``class_weight``/``class_bias`` are drawn N(0, 0.1^2)
    (``reset(weight_stdv, bias_stdv)``); ``self.n_valid`` is the batch size (the Lua's second return value).

    ``backward(input, target, scale)`` is updateGradInput then ``accGradParameters(input, target, scale,
    direct_update)``, which accumulates the parameters' gradients (of the targets' clusters for the class
    parameters), or with ``direct_update`` adds ``scale`` times them to the parameters themselves.
    ``unk_index`` must be None (the Lua asserts it off in every forward).
    """

    input_ranks = (1, 2)
    takes_labels = True

    def __init__(self, mapping, input_size, unk_index=None):
        super().__init__()
        self.mapping = mapping.long() if hasattr(mapping, 'long') else LongTensor(mapping)
        self.n_class_in_cluster = self._cluster_sizes(self.mapping)
        self.n_classes = self.mapping.size(0)
        self.n_clusters = self.n_class_in_cluster.size(0)
        self.n_max_class_in_cluster = int(self.n_class_in_cluster.max())
        sizes = self.n_class_in_cluster.tolist()
        self.class_start_indices = LongTensor([sum(sizes[:k]) for k in range(self.n_clusters)])
        self.unk_index = unk_index
        new = self.gradInput.new
        self.cluster_weight, self.cluster_bias = new(self.n_clusters, input_size), new(self.n_clusters)
        self.class_weight, self.class_bias = new(self.n_classes, input_size), new(self.n_classes)
        self.cluster_grad_weight = new(self.n_clusters, input_size).zero()
        self.cluster_grad_bias = new(self.n_clusters).zero()
        self.class_grad_weight = new(self.n_classes, input_size).zero()
        self.class_grad_bias = new(self.n_classes).zero()
        self.batch_size = self.n_valid = 0
        self.reset()

    @staticmethod
    def _cluster_sizes(mapping):
        """Classes per cluster, after checking that clusters are 0..K-1 and each cluster's positions 0..n-1
        once each (HSM.lua's check_mapping checks the clusters; the positions' check is legonn's)."""
        if mapping.dim() != 2 or mapping.size(1) != 2 or mapping.size(0) == 0:
            raise ValueError(f"HSM: expected a mapping of (cluster, position) pairs, one per class, got size "
                             f"{tuple(mapping.size())}")
        clusters = {}
        for cluster, position in mapping.tolist():
            clusters.setdefault(cluster, []).append(position)
        for k in range(max(clusters) + 1):
            if k not in clusters:
                raise ValueError(f"HSM: bad mapping: cluster indices not contiguous (cluster {k} is empty)")
            if sorted(clusters[k]) != list(range(len(clusters[k]))):
                raise ValueError(f"HSM: bad mapping: the positions in cluster {k} are not 0..{len(clusters[k]) - 1}"
                                 f" once each, got {sorted(clusters[k])}")
        if min(clusters) < 0:
            raise ValueError(f"HSM: bad mapping: negative cluster {min(clusters)}")
        return LongTensor([len(clusters[k]) for k in range(len(clusters))])

    def parameters(self):
        return ([self.cluster_weight, self.cluster_bias, self.class_weight, self.class_bias],
                [self.cluster_grad_weight, self.cluster_grad_bias, self.class_grad_weight, self.class_grad_bias])

    def reset(self, weight_stdv=0.1, bias_stdv=0.1):
        self.cluster_weight.normal().mul(weight_stdv)
        self.cluster_bias.normal().mul(bias_stdv)
        self.class_weight.normal().mul(weight_stdv)
        self.class_bias.normal().mul(bias_stdv)
        return self

    def _batch(self, input, target):
        """(input rows (batch, input_size), labels, their clusters and positions) as arrays, after the checks."""
        self.checkInput(input)
        self.checkSameType(input, self.cluster_weight)
        if input.size(-1) != self.cluster_weight.size(1):
            raise input_error(self, f"{self.cluster_weight.size(1)} input features", f"input of size "
                              f"{tuple(input.size())}")
        if self.unk_index is not None:
            raise ValueError(f"{self.shortName()}: unk_index is not implemented (HSM.lua asserts it is off)")
        self.checkLabels(input, target, self.n_classes)
        xp = input.xp
        labels = xp.asarray(target.array).reshape(-1)
        mapping = xp.asarray(self.mapping.array)
        return input.array.reshape(-1, input.size(-1)), labels, mapping[labels, 0], mapping[labels, 1]

    def _cluster_groups(self, clusters):
        """(its class rows, a slice, and the batch rows whose target is in it) per cluster present."""
        starts, sizes = self.class_start_indices.tolist(), self.n_class_in_cluster.tolist()
        for k in sorted(set(clusters.tolist())):
            yield slice(starts[k], starts[k] + sizes[k]), (clusters == k).nonzero()[0]

    def _class_scores(self, x, members, block, xp):
        """The scores of the rows ``members`` of ``x`` over one cluster's classes ``block``, and each row's
        log-sum-exp of them ``(rows, 1)`` with TH's approximate exponential."""
        scores = x[members] @ self.class_weight.array[block].T + self.class_bias.array[block]
        top = scores.max(axis=1, keepdims=True)
        return scores, top + xp.log(exp_minus_approx(top - scores, xp).sum(axis=1, keepdims=True))

    def _cluster_log_softmax(self, x, xp):
        scores = x @ self.cluster_weight.array.T + self.cluster_bias.array
        shifted = scores - scores.max(axis=1, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))

    def updateOutput(self, input, target):
        x, labels, clusters, positions = self._batch(input, target)
        xp = input.xp
        rows = xp.arange(x.shape[0])
        total = -self._cluster_log_softmax(x, xp)[rows, clusters].sum()
        for block, members in self._cluster_groups(clusters):
            scores, logsum = self._class_scores(x, members, block, xp)
            total = total + (logsum[:, 0] - scores[xp.arange(members.size), positions[members]]).sum()
        self.batch_size = self.n_valid = x.shape[0]
        self.output = loss_scalar(total)
        return self.output

    def updateGradInput(self, input, target):
        x, labels, clusters, positions = self._batch(input, target)
        xp = input.xp
        # d loss / d cluster scores: softmax minus the target's one-hot (ClassNLL without averaging)
        d_clusters = xp.exp(self._cluster_log_softmax(x, xp))
        d_clusters[xp.arange(x.shape[0]), clusters] -= 1
        grad = self.bufferLike('gradInput', input).reshape(x.shape)
        grad[...] = d_clusters @ self.cluster_weight.array
        self._d_clusters, self._d_classes = d_clusters, []
        for block, members in self._cluster_groups(clusters):
            scores, logsum = self._class_scores(x, members, block, xp)
            # HSM.cpp: exact exp(score - the approximate logsum), minus 1 at the target
            d = xp.exp(scores - logsum).astype(x.dtype)
            d[xp.arange(members.size), positions[members]] -= 1
            grad[members] += d @ self.class_weight.array[block]
            self._d_classes.append((block, members, d))
        return self.gradInput

    def accGradParameters(self, input, target, scale=1, direct_update=False):
        """Add ``scale`` times the last updateGradInput's parameter gradients to the gradients (or, with
        ``direct_update``, to the parameters)."""
        x, *_ = self._batch(input, target)
        if getattr(self, '_d_clusters', None) is None or self._d_clusters.shape[0] != x.shape[0]:
            raise RuntimeError(f"{self.shortName()}: accGradParameters needs updateGradInput on this batch first")
        weight, bias = ((self.cluster_weight, self.cluster_bias) if direct_update
                        else (self.cluster_grad_weight, self.cluster_grad_bias))
        class_weight, class_bias = ((self.class_weight, self.class_bias) if direct_update
                                    else (self.class_grad_weight, self.class_grad_bias))
        weight.array[...] += scale * (self._d_clusters.T @ x)
        bias.array[...] += scale * self._d_clusters.sum(axis=0)
        for block, members, d in self._d_classes:
            class_weight.array[block] += scale * (d.T @ x[members])
            class_bias.array[block] += scale * d.sum(axis=0)

    def backward(self, input, target, scale=1):
        self._checked_call('updateGradInput', input, target)
        self.accGradParameters(input, target, scale)
        return self.gradInput

    def clearState(self, *names):
        # the derivatives updateGradInput keeps for accGradParameters are scratch arrays (with the slices of
        # their class blocks): a checkpoint of a trained model (SCRNNs' trainer saves and clones its HSM) leaves
        # them out, and accGradParameters after a load asks for updateGradInput first
        self.__dict__.pop('_d_clusters', None)
        self.__dict__.pop('_d_classes', None)
        return super().clearState(*names)

    def updateParameters(self, learning_rate):
        for param, grad in zip(*self.parameters()):
            param.add(-learning_rate, grad)

    def zeroGradParameters(self):
        for grad in self.parameters()[1]:
            grad.zero()

    def zeroGradParametersClass(self, input, target):
        """Zero the class gradients of the clusters of ``target``'s classes (``input`` is not read, as in HSM.cpp)."""
        labels = self.checkIndices(as_labels(target), self.n_classes, 'targets', self.mapping.xp).reshape(-1)
        clusters = self.mapping.array[labels, 0]
        for block, _ in self._cluster_groups(clusters):
            self.class_grad_weight.array[block] = 0
            self.class_grad_bias.array[block] = 0
