"""Which fields of Torch7's ``nn`` classes hold an index or a dimension (1-based in Lua, 0-based in legonn).

One table for both directions: ``load_lua`` makes these fields 0-based (``modules._Fields.index`` refuses a field
this table does not list, so the reader cannot convert one the writer would leave alone) and ``save_lua`` makes
them 1-based again (``nn_objects``). Negative values count from the end in both and are kept.
"""
INDEX_FIELDS = {
    'Concat': ('dimension',), 'DepthConcat': ('dimension',), 'DataParallelTable': ('dimension',),
    'Parallel': ('inputDimension', 'outputDimension'),
    'JoinTable': ('dimension',), 'SplitTable': ('dimension',),
    'SelectTable': ('index',), 'NarrowTable': ('offset',),
    # Narrow's negative index has its own meaning in Narrow.lua (modules._narrow, nn_objects._narrow)
    'Narrow': ('dimension', 'index'), 'Select': ('dimension', 'index'),
    'Squeeze': ('dim',), 'Unsqueeze': ('pos',), 'Padding': ('dim', 'index'), 'Replicate': ('dim',),
    'Sum': ('dimension',), 'Mean': ('dimension',), 'Max': ('dimension',), 'Min': ('dimension',),
    'Transpose': ('permutations',),
    'Index': ('dimension',), 'GatedLinearUnit': ('dim',),
    # Convert.lua finds 'b' in its shape strings (1-based); the reader rebuilds both from the strings
    'Convert': ('inputBatchDim', 'outputBatchDim'),
    # Torch7's 0 is "no padding", legonn's None
    'LookupTable': ('paddingValue',),
    'MixtureTable': ('dim',), 'WeightNorm': ('outputDim',),
}


def one_based(v):
    """legonn's 0-based index ``v`` as Torch7's (negative ones are kept)."""
    return v + 1 if v >= 0 else v
