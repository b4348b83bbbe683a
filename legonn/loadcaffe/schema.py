"""The part of Caffe's ``caffe.proto`` (the copy loadcaffe builds against) that loadcaffe reads, and the
message values both parsers produce.

Each message type maps a field number to ``(name, kind, repeated)``; ``kind`` is a scalar type name
('int32', 'uint32', 'int64', 'float', 'bool', 'string', 'enum') or the name of another message type here.
Fields not listed (fillers, learning-rate specs, data-layer settings, ...) are read past: loadcaffe never
looks at them. Defaults are caffe.proto's ``[default = ...]``; a field with none reads 0, '' or False.
"""
import numpy as np

V1_LAYER_TYPES = {
    'NONE': 0, 'ABSVAL': 35, 'ACCURACY': 1, 'ARGMAX': 30, 'BNLL': 2, 'CONCAT': 3, 'CONTRASTIVE_LOSS': 37,
    'CONVOLUTION': 4, 'DATA': 5, 'DECONVOLUTION': 39, 'DROPOUT': 6, 'DUMMY_DATA': 32, 'EUCLIDEAN_LOSS': 7,
    'ELTWISE': 25, 'EXP': 38, 'FLATTEN': 8, 'HDF5_DATA': 9, 'HDF5_OUTPUT': 10, 'HINGE_LOSS': 28, 'IM2COL': 11,
    'IMAGE_DATA': 12, 'INFOGAIN_LOSS': 13, 'INNER_PRODUCT': 14, 'LRN': 15, 'MEMORY_DATA': 29,
    'MULTINOMIAL_LOGISTIC_LOSS': 16, 'MVN': 34, 'POOLING': 17, 'POWER': 26, 'RELU': 18, 'SIGMOID': 19,
    'SIGMOID_CROSS_ENTROPY_LOSS': 27, 'SILENCE': 36, 'SOFTMAX': 20, 'SOFTMAX_LOSS': 21, 'SPLIT': 22, 'SLICE': 33,
    'TANH': 23, 'WINDOW_DATA': 24, 'THRESHOLD': 31}
POOL_METHODS = {'MAX': 0, 'AVE': 1, 'STOCHASTIC': 2}
NORM_REGIONS = {'ACROSS_CHANNELS': 0, 'WITHIN_CHANNEL': 1}
ENGINES = {'DEFAULT': 0, 'CAFFE': 1, 'CUDNN': 2}

# the enum type of each enum field, for the text format's names (``type: CONVOLUTION``, ``pool: MAX``)
ENUMS = {('V1LayerParameter', 'type'): V1_LAYER_TYPES, ('PoolingParameter', 'pool'): POOL_METHODS,
         ('LRNParameter', 'norm_region'): NORM_REGIONS, ('ConvolutionParameter', 'engine'): ENGINES,
         ('PoolingParameter', 'engine'): ENGINES}

_PARAMS = {'convolution_param': 'ConvolutionParameter', 'dropout_param': 'DropoutParameter',
           'inner_product_param': 'InnerProductParameter', 'lrn_param': 'LRNParameter',
           'pooling_param': 'PoolingParameter'}


def _layer(names, blobs, params):
    fields = {number: (name, 'string', repeated) for name, (number, repeated) in names.items()}
    fields[blobs] = ('blobs', 'BlobProto', True)
    fields.update({number: (name, _PARAMS[name], False) for name, number in params.items()})
    return fields


MESSAGES = {
    'NetParameter': {1: ('name', 'string', False), 3: ('input', 'string', True),
                     8: ('input_shape', 'BlobShape', True), 4: ('input_dim', 'int32', True),
                     100: ('layer', 'LayerParameter', True), 2: ('layers', 'V1LayerParameter', True)},
    'LayerParameter': _layer({'name': (1, False), 'type': (2, False), 'bottom': (3, True), 'top': (4, True)}, 7,
                             {'convolution_param': 106, 'dropout_param': 108, 'inner_product_param': 117,
                              'lrn_param': 118, 'pooling_param': 121}),
    'V1LayerParameter': {**_layer({'bottom': (2, True), 'top': (3, True), 'name': (4, False)}, 6,
                                  {'convolution_param': 10, 'dropout_param': 12, 'inner_product_param': 17,
                                   'lrn_param': 18, 'pooling_param': 19}),
                         5: ('type', 'enum', False)},
    'BlobShape': {1: ('dim', 'int64', True)},
    'BlobProto': {7: ('shape', 'BlobShape', False), 5: ('data', 'float', True), 6: ('diff', 'float', True),
                  1: ('num', 'int32', False), 2: ('channels', 'int32', False), 3: ('height', 'int32', False),
                  4: ('width', 'int32', False)},
    'ConvolutionParameter': {1: ('num_output', 'uint32', False), 2: ('bias_term', 'bool', False),
                             3: ('pad', 'uint32', False), 9: ('pad_h', 'uint32', False),
                             10: ('pad_w', 'uint32', False), 4: ('kernel_size', 'uint32', False),
                             11: ('kernel_h', 'uint32', False), 12: ('kernel_w', 'uint32', False),
                             5: ('group', 'uint32', False), 6: ('stride', 'uint32', False),
                             13: ('stride_h', 'uint32', False), 14: ('stride_w', 'uint32', False),
                             15: ('engine', 'enum', False)},
    'PoolingParameter': {1: ('pool', 'enum', False), 4: ('pad', 'uint32', False), 9: ('pad_h', 'uint32', False),
                         10: ('pad_w', 'uint32', False), 2: ('kernel_size', 'uint32', False),
                         5: ('kernel_h', 'uint32', False), 6: ('kernel_w', 'uint32', False),
                         3: ('stride', 'uint32', False), 7: ('stride_h', 'uint32', False),
                         8: ('stride_w', 'uint32', False), 11: ('engine', 'enum', False),
                         12: ('global_pooling', 'bool', False)},
    'LRNParameter': {1: ('local_size', 'uint32', False), 2: ('alpha', 'float', False), 3: ('beta', 'float', False),
                     4: ('norm_region', 'enum', False), 5: ('k', 'float', False)},
    'InnerProductParameter': {1: ('num_output', 'uint32', False), 2: ('bias_term', 'bool', False),
                              5: ('axis', 'int32', False)},
    'DropoutParameter': {1: ('dropout_ratio', 'float', False)},
}

# the same fields by name, for the text format
BY_NAME = {message: {name: (number, kind, repeated) for number, (name, kind, repeated) in fields.items()}
           for message, fields in MESSAGES.items()}

DEFAULTS = {
    ('ConvolutionParameter', 'bias_term'): True, ('ConvolutionParameter', 'group'): 1,
    ('ConvolutionParameter', 'stride'): 1, ('PoolingParameter', 'stride'): 1,
    ('LRNParameter', 'local_size'): 5, ('LRNParameter', 'alpha'): 1.0, ('LRNParameter', 'beta'): 0.75,
    ('LRNParameter', 'k'): 1.0, ('InnerProductParameter', 'bias_term'): True, ('InnerProductParameter', 'axis'): 1,
    ('DropoutParameter', 'dropout_ratio'): 0.5,
}
_ZERO = {'string': '', 'bool': False, 'float': 0.0}


class Message:
    """One parsed protobuf message of type ``type`` (a key of ``MESSAGES``): its fields by name, each a list of
    the values read in file order (packed numbers as NumPy chunks)."""

    def __init__(self, type):
        self.type = type
        self.fields = {}

    def add(self, name, value):
        self.fields.setdefault(name, []).append(value)

    def has(self, name):
        """protobuf's ``has_<name>()``: whether a singular field was set."""
        return bool(self.fields.get(name))

    def get(self, name):
        """The value of a singular field: the last one read (protobuf's rule), else its default."""
        values = self.fields.get(name)
        if values:
            return values[-1]
        kind = BY_NAME[self.type][name][1]
        if kind in MESSAGES:
            return Message(kind)
        return DEFAULTS.get((self.type, name), _ZERO.get(kind, 0))

    def repeated(self, name):
        """The values of a repeated field: a list of messages or strings, a NumPy array of numbers (float32 or
        int64)."""
        values = self.fields.get(name, [])
        kind = BY_NAME[self.type][name][1]
        if kind in MESSAGES or kind == 'string':
            return values
        dtype = np.float32 if kind == 'float' else np.int64
        if len(values) == 1 and isinstance(values[0], np.ndarray):
            return values[0]   # one packed run (Caffe writes blob data so): the file's bytes, not copied
        return np.concatenate([np.atleast_1d(np.asarray(v, dtype=dtype)) for v in values]) if values \
            else np.zeros(0, dtype)

    def __repr__(self):
        return f"<caffe.{self.type} {sorted(self.fields)}>"
