"""onmt/utils/Cuda.lua of harvardnlp/data2text (init, convert): ``convert`` moves modules and tensors to the GPU
when ``-gpuid`` > 0 and, on the CPU, to float (not the default double); tables and the fields of other objects
(a batch) are converted in place."""
import re

import legonn as lg
from legonn import cutorch

activated = False


def init(opt, gpuIdx=None):
    global activated
    activated = opt['gpuid'] > 0
    if activated:
        if gpuIdx is None:
            if opt.get('seed'):
                cutorch.manualSeedAll(opt['seed'])
            cutorch.setDevice(opt['gpuid'] - 1)   # -gpuid is 1-based (its help says so), devices 0-based
        else:
            cutorch.setDevice(gpuIdx)
        if opt.get('seed'):
            cutorch.manualSeed(opt['seed'])


def convert(obj):
    """Recursively move all supported objects in ``obj`` on the GPU; when using CPU only, converts to float
    instead of the default double."""
    objtype = lg.typename(obj)
    if objtype is not None:
        # objtype:find('torch%..*LongTensor'): legonn spells its type names 'legonn.' (docs/porting.md)
        isLong = re.search(r'(torch|legonn)\..*LongTensor', objtype) is not None
        if activated and hasattr(obj, 'cuda'):
            if isLong:
                return obj.type('torch.CudaLongTensor')
            return obj.type('torch.CudaTensor')
        elif not activated and hasattr(obj, 'float'):
            # Defaults to float instead of double.
            if isLong:
                return obj.type('torch.LongTensor')
            return obj.type('torch.FloatTensor')
    if isinstance(obj, list):   # `if objtype or type(obj) == 'table'`: the entries, or the fields
        for k in range(len(obj)):
            obj[k] = convert(obj[k])
    elif isinstance(obj, dict) or (objtype is None and hasattr(obj, '__dict__')):
        fields = obj if isinstance(obj, dict) else vars(obj)
        for k, v in list(fields.items()):
            fields[k] = convert(v)
    return obj
