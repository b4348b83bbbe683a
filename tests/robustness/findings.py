"""Sweep findings, one per (class, kind of bad input), as measured: what the call did. What it should do
is in test_sweep.py: work, or raise ValueError/TypeError/IndexError naming the class with expected/got and
change nothing. The sweep marks these strict xfails; delete an entry once its module is fixed.

Kinds: rank, size, dtype, empty, nan, noncontiguous, device (one tensor of the input CUDA-typed),
target-device (a criterion's target CUDA-typed). A CUDA-typed tensor over host memory simulates a GPU
tensor on this CPU-only machine: touching its data raises ImportError (no CuPy), so an ImportError means
the module used the data before checking the device."""

DEVICE = ("reads the data of a CUDA-typed input before checking it against the module's parameters or the "
          "other inputs: ImportError from CuPy instead of a TypeError naming the module")
INTEGER = ("an integer input reaches a float ufunc: NumPy's UFuncTypeError, not naming the module, instead of a "
           "TypeError 'expected a floating-point tensor'")

FINDINGS = {
    ('BatchNormalization', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError without expected/got: BatchNormalization '
        '(2D) (3): cannot reshape array of size 0 into shape (0,3,newaxis)'),
    ('Bottle', 'device'): DEVICE,
    ('CAddTable', 'device'): DEVICE,
    ('CAddTensorTable', 'device'): DEVICE,
    ('CAddTensorTable', 'dtype'): INTEGER,
    ('CDivTable', 'device'): DEVICE,
    ('CMaxTable', 'device'): DEVICE,
    ('CMinTable', 'device'): DEVICE,
    ('CMulTable', 'device'): DEVICE,
    ('CReLU', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError without expected/got: CReLU(): cannot '
        'reshape array of size 0 into shape (0,2,newaxis)'),
    ('CSubTable', 'device'): DEVICE,
    ('Collapse', 'empty'): (
        'the input with an empty first dimension (0, 2, 3): ValueError without expected/got: Collapse(2): '
        'legonn.FloatTensor.view: cannot infer -1 in (0, -1) for 0 elements'),
    ('Concat', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError without expected/got: Concat[1] Linear(3 '
        '-> 4): strides is incompatible with shape of requested array and size of buffer'),
    ('CosineDistance', 'device'): DEVICE,
    ('CriterionTable', 'device'): DEVICE,
    ('CriterionTable', 'dtype'): (
        "tensor 0 of the input table as a DoubleTensor (was legonn.FloatTensor): TypeError does not name the "
        "module: MSECriterion: expected a legonn.DoubleTensor target (the module's type), got "
        "legonn.FloatTensor"),
    ('CriterionTable', 'empty'): (
        "tensor 0 of the input table with an empty first dimension (0, 3): ValueError does not name the "
        "module: MSECriterion: expected a target of 0 elements (the input's size (0, 3)), got size (2, 3)"),
    ('CriterionTable', 'rank'): (
        "tensor 0 of the input table with one dimension fewer: (2, 3) -> (3,): ValueError does not name the "
        "module: MSECriterion: expected a target of 3 elements (the input's size (3,)), got size (2, 3)"),
    ('CriterionTable', 'size'): (
        "tensor 0 of the input table of size (1, 3) instead of (2, 3): ValueError does not name the module: "
        "MSECriterion: expected a target of 3 elements (the input's size (1, 3)), got size (2, 3)"),
    ('CrossEntropyCriterion', 'dtype'): INTEGER,
    ('DepthConcat', 'device'): DEVICE,
    ('DepthConcat', 'empty'): (
        'the input with an empty first dimension (0, 1, 4, 4): ValueError without expected/got: DepthConcat[0] '
        'SpatialConvolution(1 -> 2, 1x1): cannot reshape array of size 0 into shape (0)'),
    ('DotProduct', 'device'): DEVICE,
    ('Dropout', 'dtype'): INTEGER,
    ('FlattenTable', 'device'): DEVICE,
    ('GradientReversal', 'dtype'): (
        'the input as a ByteTensor (was legonn.FloatTensor): crashed with OverflowError: Python integer -1 out '
        'of bounds for uint8'),
    ('HingeEmbeddingCriterion', 'device'): DEVICE,
    ('Index', 'device'): DEVICE,
    ('IndexLinear', 'device'): DEVICE,
    ('JoinTable', 'device'): DEVICE,
    ('JustElement', 'device'): DEVICE,
    ('L1Penalty', 'dtype'): INTEGER,
    ('LogSoftMax', 'dtype'): INTEGER,
    ('LookupTable', 'device'): DEVICE,
    ('LookupTable', 'empty'): (
        'the input with an empty first dimension (0,): ValueError without expected/got: LookupTable(5, 3): '
        'cannot reshape array of size 0 into shape (0,newaxis)'),
    ('MM', 'device'): DEVICE,
    ('MV', 'device'): DEVICE,
    ('MarginRankingCriterion', 'rank'): (
        'tensor 0 of the input table with one dimension more: (3,) -> (3, 1): ValueError without expected/got: '
        'MarginRankingCriterion(1): could not broadcast input array from shape (3,3) into shape (3,1)'),
    ('MaskedSelect', 'device'): DEVICE,
    ('Maxout', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError without expected/got: Maxout(3 -> 2 x 2): '
        'cannot reshape array of size 0 into shape (0,newaxis)'),
    ('Mean', 'dtype'): INTEGER,
    ('MixtureTable', 'device'): DEVICE,
    ('ModuleCriterion', 'device'): DEVICE,
    ('ModuleCriterion', 'dtype'): (
        "several failures: the inner MSECriterion's TypeError is not prefixed with this criterion's name, and "
        "an integer input crashes in a float ufunc"),
    ('ModuleCriterion', 'empty'): (
        "the input with an empty first dimension (0, 3): ValueError does not name the module: MSECriterion: "
        "expected a target of 0 elements (the input's size (0, 3)), got size (2, 3)"),
    ('ModuleCriterion', 'rank'): (
        "the input with one dimension fewer: (2, 3) -> (3,): ValueError does not name the module: "
        "MSECriterion: expected a target of 3 elements (the input's size (3,)), got size (2, 3)"),
    ('ModuleCriterion', 'size'): (
        "the input of size (1, 3) instead of (2, 3): ValueError does not name the module: MSECriterion: "
        "expected a target of 3 elements (the input's size (1, 3)), got size (2, 3)"),
    ('ModuleCriterion', 'target-device'): (
        "a target on the GPU (CudaTensor type) for a CPU input: TypeError does not name the module: "
        "MSECriterion: expected a legonn.FloatTensor target (the module's type), got legonn.CudaTensor"),
    ('ModuleFromCriterion', 'device'): DEVICE,
    ('ModuleFromCriterion', 'dtype'): (
        "tensor 0 of the input table as a DoubleTensor (was legonn.FloatTensor): TypeError does not name the "
        "module: MSECriterion: expected a legonn.DoubleTensor target (the module's type), got "
        "legonn.FloatTensor"),
    ('ModuleFromCriterion', 'empty'): (
        "tensor 0 of the input table with an empty first dimension (0, 3): ValueError does not name the "
        "module: MSECriterion: expected a target of 0 elements (the input's size (0, 3)), got size (2, 3)"),
    ('ModuleFromCriterion', 'rank'): (
        "tensor 0 of the input table with one dimension fewer: (2, 3) -> (3,): ValueError does not name the "
        "module: MSECriterion: expected a target of 3 elements (the input's size (3,)), got size (2, 3)"),
    ('ModuleFromCriterion', 'size'): (
        "tensor 0 of the input table of size (1, 3) instead of (2, 3): ValueError does not name the module: "
        "MSECriterion: expected a target of 3 elements (the input's size (1, 3)), got size (2, 3)"),
    ('MultiCriterion', 'device'): DEVICE,
    ('MultiCriterion', 'dtype'): (
        "the input as a DoubleTensor (was legonn.FloatTensor): TypeError does not name the module: "
        "MSECriterion: expected a legonn.DoubleTensor target (the module's type), got legonn.FloatTensor"),
    ('MultiCriterion', 'empty'): (
        "the input with an empty first dimension (0, 3): ValueError does not name the module: MSECriterion: "
        "expected a target of 0 elements (the input's size (0, 3)), got size (2, 3)"),
    ('MultiCriterion', 'rank'): (
        "the input with one dimension fewer: (2, 3) -> (3,): ValueError does not name the module: "
        "MSECriterion: expected a target of 3 elements (the input's size (3,)), got size (2, 3)"),
    ('MultiCriterion', 'size'): (
        "the input of size (1, 3) instead of (2, 3): ValueError does not name the module: MSECriterion: "
        "expected a target of 3 elements (the input's size (1, 3)), got size (2, 3)"),
    ('MultiCriterion', 'target-device'): (
        "a target on the GPU (CudaTensor type) for a CPU input: TypeError does not name the module: "
        "MSECriterion: expected a legonn.FloatTensor target (the module's type), got legonn.CudaTensor"),
    ('MultiLabelMarginCriterion', 'device'): DEVICE,
    ('MultiMarginCriterion', 'device'): DEVICE,
    ('NarrowTable', 'device'): DEVICE,
    ('Normalize', 'dtype'): INTEGER,
    ('PairwiseDistance', 'device'): DEVICE,
    ('Parallel', 'device'): DEVICE,
    ('ParallelCriterion', 'device'): DEVICE,
    ('ParallelCriterion', 'dtype'): (
        "several failures: the inner MSECriterion's TypeError is not prefixed with this criterion's name, and "
        "an integer input crashes in a float ufunc"),
    ('ParallelCriterion', 'empty'): (
        "tensor 0 of the input table with an empty first dimension (0, 3): ValueError does not name the "
        "module: MSECriterion: expected a target of 0 elements (the input's size (0, 3)), got size (2, 3)"),
    ('ParallelCriterion', 'rank'): (
        "tensor 0 of the input table with one dimension fewer: (2, 3) -> (3,): ValueError does not name the "
        "module: MSECriterion: expected a target of 3 elements (the input's size (3,)), got size (2, 3)"),
    ('ParallelCriterion', 'size'): (
        "tensor 0 of the input table of size (1, 3) instead of (2, 3): ValueError does not name the module: "
        "MSECriterion: expected a target of 3 elements (the input's size (1, 3)), got size (2, 3)"),
    ('ParallelTable', 'device'): DEVICE,
    ('ParallelTable', 'dtype'): INTEGER,
    ('Select', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError without expected/got: Select(1, 1): '
        'strides is incompatible with shape of requested array and size of buffer'),
    ('SelectTable', 'device'): DEVICE,
    ('Sigmoid', 'dtype'): INTEGER,
    ('SoftMax', 'dtype'): INTEGER,
    ('SpatialAdaptiveMaxPooling', 'empty'): (
        'the input with an empty first dimension (0, 2, 5, 5): ValueError without expected/got: '
        'SpatialAdaptiveMaxPooling(2x2): cannot reshape array of size 0 into shape (0,newaxis)'),
    ('SpatialAveragePooling', 'dtype'): INTEGER,
    ('SpatialBatchNormalization', 'empty'): (
        'the input with an empty first dimension (0, 2, 3, 3): ValueError without expected/got: '
        'SpatialBatchNormalization (4D) (2): cannot reshape array of size 0 into shape (0,2,newaxis)'),
    ('SpatialClassNLLCriterion', 'device'): DEVICE,
    ('SpatialClassNLLCriterion', 'target-device'): DEVICE,
    ('SpatialConvolution', 'device'): DEVICE,
    ('SpatialConvolution', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialConvolution(2 -> 3, 3x3): cannot reshape array of size 0 into shape (0)'),
    ('SpatialConvolutionLocal', 'device'): DEVICE,
    ('SpatialConvolutionLocal', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialConvolutionLocal(2 -> 3, 4x4, 3x3): cannot reshape array of size 0 into shape (0,4)'),
    ('SpatialConvolutionMM', 'device'): DEVICE,
    ('SpatialConvolutionMM', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialConvolutionMM(2 -> 3, 3x3): cannot reshape array of size 0 into shape (0)'),
    ('SpatialConvolutionMap', 'device'): DEVICE,
    ('SpatialConvolutionMap', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialConvolutionMap(2 -> 3, 2x2, 1,1): cannot reshape array of size 0 into shape (0)'),
    ('SpatialCrossMapLRN', 'dtype'): INTEGER,
    ('SpatialDepthWiseConvolution', 'device'): DEVICE,
    ('SpatialDepthWiseConvolution', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialDepthWiseConvolution(2 -> 2, 3x3): cannot reshape array of size 0 into shape (0)'),
    ('SpatialDilatedConvolution', 'device'): DEVICE,
    ('SpatialDilatedConvolution', 'empty'): (
        'the input with an empty first dimension (0, 2, 4, 4): ValueError without expected/got: '
        'SpatialDilatedConvolution(2 -> 3, 2x2, 2,2): cannot reshape array of size 0 into shape (0)'),
    ('SpatialFractionalMaxPooling', 'empty'): (
        'the input with an empty first dimension (0, 2, 5, 5): ValueError without expected/got: '
        'SpatialFractionalMaxPooling(2x2, 2,2): cannot reshape array of size 0 into shape (0,2,newaxis)'),
    ('SpatialFullConvolution', 'device'): DEVICE,
    ('SpatialFullConvolution', 'empty'): (
        'the input with an empty first dimension (0, 2, 3, 3): ValueError without expected/got: '
        'SpatialFullConvolution(2 -> 3, 3x3): cannot reshape array of size 0 into shape (0,2,newaxis)'),
    ('SpatialFullConvolutionMap', 'device'): DEVICE,
    ('SpatialLPPooling', 'dtype'): INTEGER,
    ('SpatialSubSampling', 'device'): DEVICE,
    ('SplitTable', 'empty'): (
        'the input with an empty first dimension (0, 3): ValueError does not name the module: strides is '
        'incompatible with shape of requested array and size of buffer'),
    ('Tanh', 'dtype'): INTEGER,
    ('TemporalConvolution', 'device'): DEVICE,
    ('TemporalRowConvolution', 'device'): DEVICE,
    ('TemporalSubSampling', 'device'): DEVICE,
    ('VolumetricBatchNormalization', 'empty'): (
        'the input with an empty first dimension (0, 2, 2, 2, 2): ValueError without expected/got: '
        'VolumetricBatchNormalization (5D) (2): cannot reshape array of size 0 into shape (0,2,newaxis)'),
    ('VolumetricFullConvolution', 'device'): DEVICE,
    ('VolumetricFullConvolution', 'empty'): (
        'the input with an empty first dimension (0, 2, 2, 2, 2): ValueError without expected/got: '
        'VolumetricFullConvolution(2 -> 2, 2x2x2): cannot reshape array of size 0 into shape (0,2,newaxis)'),
    ('ZipTable', 'device'): DEVICE,
    ('ZipTableOneToMany', 'device'): DEVICE,
}
