"""kwrap/kWrap.lua: ``nn.kWrap(mod, input_map, output_map)`` wraps a module whose input and output tables are
named by nested OrderedMaps and Lists (``input_map``, ``output_map``): ``forward`` flattens a nested input in the
maps' order, depth first, and gives the module's outputs back nested as ``output_map``.

Penlight's ``types.is_type(x, Om)`` (an exact metatable test) is ``isinstance(x, OrderedMap)``; legonn's Penlight has
no ``Map``, whose assertion is a plain dict's here; ``types.is_type(x, 'table')`` a list or dict. Lua's global
counter ``it`` is a local list."""
import legonn as lg
from legonn import nn
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

Om = OrderedMap


def _is_Map(x):
    return type(x) is dict


def _is_table(x):
    return isinstance(x, (list, dict))


def _get(t, k):
    """Lua's ``t[k]`` of a table that may lack the key (nil)."""
    if isinstance(t, dict):
        return t.get(k)
    return t[k] if 0 <= k < len(t) else None


class kWrap(nn.Module):

    def __init__(self, mod, input_map, output_map, allow_table_input=None):
        """@input_map: an Om, possibly layered (Oms)
        @output_map: an Om, possibly layered"""
        super().__init__()
        self.mod = mod
        self.input_map = input_map
        self.output_map = output_map
        self.allow_table_input = allow_table_input

    def merge(self, input_map, in_):
        input = List()

        def depth_first(kwmap, in_map):
            assert not _is_Map(kwmap), 'use either Om or List'
            if isinstance(kwmap, Om):
                for k, v in kwmap.iter():
                    assert in_map is not None, ('in_map is nil; possibly the original input map '
                                                'does not have all required keys')
                    depth_first(v, _get(in_map, k))
            elif isinstance(kwmap, List):
                for k, v in enumerate(kwmap):
                    assert in_map is not None, ('in_map is nil; possibly the original input map '
                                                'does not have all required keys')
                    depth_first(v, _get(in_map, k))
            else:
                if _is_table(kwmap):
                    print('warning:', kwmap, 'is a table; use Om or List instead if it is a table of keys')
                input.append(in_map)
        depth_first(input_map, in_)
        return input

    def merge_inputs(self, in_):
        return self.merge(self.input_map, in_)

    def collect(self, output_map, out):
        def depth_first(kwmap, idx):
            assert not _is_Map(kwmap), 'use either Om or List'
            if isinstance(kwmap, Om):
                m = Om()
                for k, v in kwmap.iter():
                    m[k] = depth_first(v, idx)
                return m
            elif isinstance(kwmap, List):
                l = List()
                for v in kwmap:
                    l.append(depth_first(v, idx))
                return l
            else:
                if _is_table(kwmap):
                    print('warning:', kwmap, 'is a table; use Om or List instead if it is a table of keys')
                idx[0] = idx[0] + 1
                return out[idx[0] - 1]
        it = [0]
        outputs = depth_first(output_map, it)
        if it[0] < len(out):
            raise RuntimeError('Output uncollected. Remaining: ' + str(tablex.sub(out, it[0], len(out) - 1)))
        return outputs

    def collect_outputs(self, out):
        return self.collect(self.output_map, out)

    def submap(self, map1, map2, compare):
        def depth_first(m1, m2):
            if isinstance(m1, Om):
                if not _is_table(m2):
                    return False

                for k, v in m1.iter():
                    b = depth_first(v, _get(m2, k))
                    if not b:
                        return False
            elif isinstance(m1, List):
                if not _is_table(m2):
                    return False
                for k, v in enumerate(m1):
                    b = depth_first(v, _get(m2, k))
                    if not b:
                        return False
            else:
                if compare == 'keys':
                    return not (m1 is None and m2 is not None or m1 is not None and m2 is None)
                else:
                    return compare(m1, m2)
            return True
        return depth_first(map1, map2)

    def mapeq(self, a, b, mode):
        return self.submap(a, b, mode) and self.submap(b, a, mode)

    def forward(self, in_):
        assert (self.allow_table_input or
                lg.isTensor(in_) or
                isinstance(in_, Om) or
                isinstance(in_, List))
        if not lg.isTensor(in_):
            if not isinstance(in_, List):
                in_ = self.merge(self.input_map, in_)
            if _is_table(in_) and len(in_) == 1:
                in_ = in_[0]
        out = self.mod.forward(in_)
        if not _is_table(out):
            out = [out]

        self.output = self.collect(self.output_map, out)
        return self.output

    def updateOutput(self, in_):
        return self.forward(in_)

    def backward(self, in_, gradOut, scale=None):
        assert (self.allow_table_input or
                (lg.isTensor(in_) or isinstance(in_, Om) or isinstance(in_, List)) and
                (isinstance(gradOut, Om) or isinstance(gradOut, List)))
        if not lg.isTensor(in_):
            if not isinstance(in_, List):
                in_ = self.merge(self.input_map, in_)
            if _is_table(in_) and len(in_) == 1:
                in_ = in_[0]
        if not isinstance(gradOut, List):
            gradOut = self.merge(self.output_map, gradOut)
        if _is_table(gradOut) and len(gradOut) == 1:
            gradOut = gradOut[0]
        gradIn = self.mod.backward(in_, gradOut)
        if not _is_table(gradIn):
            gradIn = [gradIn]
        self.gradInput = self.collect(self.input_map, gradIn)
        return self.gradInput

    def updateGradInput(self, in_, gradOut):
        return self.backward(in_, gradOut)

    # wrappers for nn.Module methods

    def clone(self, *args):
        return kWrap(self.mod.clone(*args), self.input_map, self.output_map)

    def parameters(self):
        return self.mod.parameters()

    def getParameters(self):
        return self.mod.getParameters()

    def training(self):
        return self.mod.training()

    def evaluate(self):
        return self.mod.evaluate()

    def type(self, *args):
        self.mod = self.mod.type(*args)
        return self

    def float(self, *args):
        self.mod = self.mod.float(*args)
        return self

    def double(self, *args):
        self.mod = self.mod.double(*args)
        return self

    def cuda(self, *args):
        self.mod = self.mod.cuda(*args)
        return self


lg.register(kWrap, 'nn.kWrap')
