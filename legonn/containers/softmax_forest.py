"""SoftMaxForest: nnx's mixture of SoftMaxTree experts under a softmax gater (nnx's SoftMaxForest.lua)."""
from ..modules.base.module import Module
from ..modules.linear import Linear
from ..modules.smooth_activations import Tanh
from ..modules.softmax import SoftMax
from ..modules.softmax_tree import SoftMaxTree
from ..modules.table_similarity import MixtureTable
from ..modules.table_structure import SelectTable
from .decorators import Decorator
from .sequential import Sequential
from .tables import ConcatTable
from ..tensor.introspection import typename as lua_typename


class SoftMaxForest(Decorator):
    """``SoftMaxForest(inputSize, trees, rootIds, gaterSize=(), gaterAct=Tanh(), accUpdate=False)``: input
    ``{input (batch, inputSize), target (batch,)}`` as SoftMaxTree's; output ``(batch,)``: sum_i g_i * expert_i,
    where expert_i is a SoftMaxTree(inputSize, trees[i], rootIds[i]) (each target's log-probability in tree i)
    and g the softmax of a gater on the input alone: Linear layers of ``gaterSize`` widths, each followed by a
    clone of ``gaterAct``, then Linear(.., len(trees)) and SoftMax.

    Built as the Lua file means it (its constructor stores into ``self._smts``, ``self._gater`` and
    ``self._experts``, which it never created, and so fails in Lua): ``experts`` (a ConcatTable), ``smts``,
    ``gater``, ``trunk`` and ``mixture`` name the parts; ``modules[0]`` is the whole. SoftMaxTree's
    ``accUpdate`` is not built in legonn, so ``accUpdate`` must stay False."""

    def __init__(self, inputSize, trees, rootIds, gaterSize=(), gaterAct=None, accUpdate=False):
        if accUpdate:
            raise ValueError("SoftMaxForest: expected accUpdate=False (SoftMaxTree's accUpdate is not built), "
                             "got True")
        if not isinstance(trees, (list, tuple)) or not trees:
            raise ValueError(f"SoftMaxForest: expected a non-empty list of hierarchies, got {trees!r}")
        if not isinstance(rootIds, (list, tuple)) or len(rootIds) != len(trees):
            raise ValueError(f"SoftMaxForest: expected {len(trees)} rootIds (one per tree), got {rootIds!r}")
        gaterAct = Tanh() if gaterAct is None else gaterAct
        if not isinstance(gaterAct, Module):
            raise TypeError(f"SoftMaxForest: expected an nn module as gaterAct, got {type(gaterAct).__name__}")
        experts, smts = ConcatTable(), []
        for tree, root in zip(trees, rootIds):
            smt = SoftMaxTree(inputSize, tree, root)
            smts.append(smt)
            experts.add(smt)
        gater = Sequential().add(SelectTable(0))   # the gater ignores the targets
        width = inputSize
        for hidden in gaterSize:
            gater.add(Linear(width, hidden)).add(gaterAct.clone())
            width = hidden
        gater.add(Linear(width, len(trees))).add(SoftMax())
        trunk = ConcatTable().add(gater).add(experts)
        mixture = MixtureTable()
        super().__init__(Sequential().add(trunk).add(mixture))
        self.experts, self.smts, self.gater, self.trunk, self.mixture = experts, smts, gater, trunk, mixture
        self.module = self.modules[0]

    def __repr__(self):
        return f"{lua_typename(self)}({len(self.smts)} trees) @ " + repr(self.modules[0])
