"""kwrap/split_transfer.lua: split a node's output along ``dim`` into named pieces, each through its transfer module.
``transfer_tbl`` is an OrderedMap {transfer module: OrderedMap of sizes}; the Narrow is the repository's own
(layers/Narrow.lua, loaded before this file by train.lua), offsets 0-based."""
from legonn import graph
from legonn.pl import tablex
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..layers.Narrow import Narrow

Om = OrderedMap


class st:

    @staticmethod
    def get_split_sizes(transfer_tbl):
        split_sizes = OrderedMap()
        for k, v in transfer_tbl.iter():
            # an empty table's total is nil (tablex.reduce of nothing), which Penlight's OrderedMap does not store
            split_sizes.set(k, st.get_total_size(v))
        return split_sizes

    @staticmethod
    def get_total_size(transfer_tbl):
        flattened = st.flatten_values(transfer_tbl)
        return tablex.reduce('+', flattened)

    @staticmethod
    def split_transfer(input, dim, transfer_tbl):
        out_tbl = OrderedMap()
        split_sizes = st.get_split_sizes(transfer_tbl)
        transfer_splits = OrderedMap()
        idx = 0
        for transfer, length in split_sizes.iter():
            transfer_splits[transfer] = transfer(Narrow(dim, idx, length)(input))
            idx = idx + length

        def _split(tbl, in_, i):
            if isinstance(tbl, (int, float)):
                return Narrow(dim, i, tbl)(in_), i + tbl
            elif isinstance(tbl, List):
                t = List()
                for k, v in enumerate(tbl):
                    piece, i = _split(v, in_, i)
                    t.append(piece)
                return t, i
            elif isinstance(tbl, dict):   # an OrderedMap or a Map (a plain dict here)
                t = OrderedMap()
                for k, v in tbl.items():
                    t[k], i = _split(v, in_, i)
                return t, i
            else:
                raise RuntimeError('unknown type: ' + str(tbl))

        for transfer, subtbl in transfer_tbl.iter():
            out_tbl[transfer] = _split(subtbl, transfer_splits.get(transfer), 0)[0]
        return out_tbl

    @staticmethod
    def flatten_values(arr):
        result = List()

        def flatten(arr):
            if isinstance(arr, dict):   # an OrderedMap or a Map (a plain dict here)
                for _, v in arr.items():
                    if isinstance(v, (dict, list)) and not isinstance(v, graph.Node):
                        flatten(v)
                    else:
                        result.append(v)
            elif isinstance(arr, List):
                for v in arr:
                    if isinstance(v, (dict, list)) and not isinstance(v, graph.Node):
                        flatten(v)
                    else:
                        result.append(v)
            else:
                raise RuntimeError('unimplemented arr type ' + type(arr).__name__)

        flatten(arr)
        return result
