"""utils/nested.lua's ``zero_nested``, the function fb.lua's backward uses: zero tensors shaped as a nested state
(OrderedMaps and Lists), narrowed from ``template``'s where it has them; keys ``'__x__'`` are left out."""
import legonn as lg
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from . import common

Om = OrderedMap


def zero_nested(map, opt, forcezero=None, template=None):
    # template is a map of zero tensors such that the returned tensors are narrowed versions of the templates
    # ignore all keys of type '__abcde__'
    def df(m, tpl):
        if isinstance(m, Om):
            zeroed = Om()
            for k, v in m.iter():
                if not (isinstance(k, str) and k.startswith('__') and k.endswith('__')):
                    zeroed[k] = df(v, tpl.get(k) if tpl else None)
            return zeroed
        elif isinstance(m, List):
            zeroed = List()
            for i, v in enumerate(m):
                zeroed.append(df(v, tpl[i] if tpl and i < len(tpl) else None))
            return zeroed
        elif lg.isTensor(m):
            if tpl is not None and lg.isTensor(tpl):
                # assuming that we only need to narrow the second dimension; most relevant to memory
                if tpl.size(1) < m.size(1):
                    tpl.resizeAs(m).zero()
                return tpl.narrow(1, 0, m.size(1)).zero()
            elif isinstance(opt, dict):
                return common.gpuzeros(opt)(m.size())
            elif isinstance(opt, str):
                return lg.Tensor(m.size()).type(opt)
        else:
            if forcezero:
                return 0
            elif m is not None:
                raise RuntimeError('unexpected type')
    return df(map, template)
