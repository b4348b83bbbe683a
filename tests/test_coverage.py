"""Every class of torch/nn, of Element-Research's rnn and of its companion dpnn, of nnx and of stnbhwd exists in
legonn.nn, every class of imagine-nn in legonn.inn and of fbnn in legonn.fbnn, or docs/coverage.md says why not:
one table per package, under its own heading.

TORCH_NN lists the classes torch/nn's init.lua loads (its last revision), in its order;
init.lua's non-class entries (THNN, utils, ErrorMessages, hessian, test) are left out. RNN and DPNN list
the classes (``torch.class``) of the rnn and dpnn packages' Lua files at their last revisions; their
files that only add methods to nn's classes (Module.lua, Dropout.lua, Container.lua, ...) are not classes.
NNX, INN, FBNN and STN list the classes nnx's, imagine-nn's, fbnn's and stnbhwd's init.lua files load, in
their order.
"""
import pathlib
import re

import pytest

from legonn import fbnn, inn, nn

TORCH_NN = """
Module Container Concat Parallel Sequential DepthConcat Decorator Bottle WeightNorm DontCast NaN Profile
Linear LinearWeightNorm Bilinear PartialLinear SparseLinear IndexLinear Reshape View Contiguous Select Narrow
Index Squeeze Unsqueeze Replicate Transpose BatchNormalization LayerNormalization Padding GradientReversal
MaskedSelect Copy Min Max Sum Mean CMul Mul MulConstant CAdd Add AddConstant Constant Dropout SpatialDropout
VolumetricDropout WhiteNoise OneHot PrintSize ZeroGrad CAddTable CDivTable CMulTable CSubTable CMaxTable
CMinTable CAddTensorTable Euclidean WeightedEuclidean PairwiseDistance CosineDistance DotProduct Normalize
Cosine Kmeans Exp Log HardTanh Clamp LogSigmoid LogSoftMax Sigmoid SoftMax SoftMin SoftPlus SoftSign Tanh
TanhShrink Abs Power Square Sqrt HardShrink SoftShrink Threshold Maxout ReLU ReLU6 PReLU CReLU LeakyReLU
SpatialSoftMax SpatialLogSoftMax RReLU ELU GatedLinearUnit LookupTable SpatialConvolution
SpatialConvolutionLocal SpatialFullConvolution SpatialFullConvolutionMap SpatialConvolutionMM
SpatialDepthWiseConvolution SpatialConvolutionMap SpatialDilatedConvolution SpatialSubSampling
SpatialMaxPooling SpatialDilatedMaxPooling SpatialMaxUnpooling SpatialFractionalMaxPooling SpatialLPPooling
SpatialAveragePooling SpatialAdaptiveMaxPooling SpatialAdaptiveAveragePooling TemporalConvolution
TemporalSubSampling TemporalMaxPooling TemporalDynamicKMaxPooling TemporalRowConvolution
SpatialSubtractiveNormalization SpatialDivisiveNormalization SpatialContrastiveNormalization
SpatialCrossMapLRN SpatialZeroPadding SpatialReflectionPadding SpatialReplicationPadding
SpatialUpSamplingNearest SpatialUpSamplingBilinear SpatialBatchNormalization UpSampling VolumetricConvolution
VolumetricFullConvolution VolumetricDilatedConvolution VolumetricMaxPooling VolumetricDilatedMaxPooling
VolumetricFractionalMaxPooling VolumetricMaxUnpooling VolumetricAveragePooling VolumetricBatchNormalization
VolumetricReplicationPadding FeatureLPPooling GPU ParallelTable Identity ConcatTable SplitTable JoinTable
SelectTable MixtureTable CriterionTable FlattenTable NarrowTable MapTable ZipTable ZipTableOneToMany Collapse
Convert Criterion MSECriterion SpatialAutoCropMSECriterion SmoothL1Criterion MarginCriterion
SoftMarginCriterion AbsCriterion ClassNLLCriterion SpatialClassNLLCriterion ClassSimplexCriterion
DistKLDivCriterion MultiCriterion L1HingeEmbeddingCriterion HingeEmbeddingCriterion CosineEmbeddingCriterion
MarginRankingCriterion MultiMarginCriterion MultiLabelMarginCriterion MultiLabelSoftMarginCriterion L1Cost
L1Penalty WeightedMSECriterion BCECriterion CrossEntropyCriterion ParallelCriterion DistanceRatioCriterion
ModuleCriterion PixelShuffle StochasticGradient MM MV Jacobian SparseJacobian
""".split()

RNN = """
AbstractRecurrent AbstractSequencer BiSequencer BiSequencerLM CopyGrad ExpandAs FastLSTM GRU LSTM LinearNoBias
LookupTableMaskZero MaskZero MaskZeroCriterion MuFuRu NormStabilizer Padding Recurrence Recurrent
RecurrentAttention Recursor Repeater RepeaterCriterion SAdd SeqBRNN SeqGRU SeqLSTM SeqLSTMP SeqReverseSequence
Sequencer SequencerCriterion TrimZero ZeroGrad
""".split()

DPNN = """
ArgMax BinaryClassReward BinaryLogisticRegression CategoricalEntropy Clip FireModule Inception NCECriterion
NCEModule PCAColorTransform Reinforce ReinforceBernoulli ReinforceCategorical ReinforceGamma ReinforceNormal
ReverseTable Serial SimpleColorTransform SpatialBinaryConvolution SpatialBinaryLogisticRegression
SpatialFeatNormalization SpatialGlimpse SpatialRegionDropout SpatialUniformCrop TotalDropout VRClassReward
""".split()

NNX = """
Probe Tic Toc SpatialLinear SpatialClassifier SpatialNormalization SpatialPadding SpatialReSamplingEx
SpatialUpSampling SpatialDownSampling SpatialReSampling SpatialRecursiveFovea SpatialFovea SpatialPyramid
SpatialGraph SpatialMatching SpatialRadialMatching SpatialMaxSampling SpatialColorTransform PixelSort
FunctionWrapper SaturatedLU Minus SoftMaxTree SoftMaxForest MultiSoftMax Balance PushTable PullTable
QDRiemaNNLinear SuperCriterion DistNLLCriterion DistMarginCriterion TreeNLLCriterion CTCCriterion DataSet
DataList DataSetLabelMe DataSetSamplingPascal
""".split()

FBNN = """
Dropout UnfoldedTemporalConvolution TemporalConvolutionTBC NestedDropout IndividualDropout CachingLookupTable Optim
Probe TrueNLLCriterion ProjectiveGradientNormalization ClassNLLCriterionWithUNK Upsample DataSetLabelMe LeakyReLU
Constant SpatialFoveaCuda SoftPlusLSECriterion SoftPlusLSEMinusLSECriterion ClassHierarchicalNLLCriterion
CrossMapNormalization GroupKMaxPooling HSM KMaxPooling LinearNB LaplacianOfGaussian DifferenceOfGaussian
LinearNoBackprop LocallyConnected L2Normalize NormalizedLinearNoBias SequentialCriterion WeightedLookupTable
FasterLookup SparseNLLCriterion SparseLinear SegSparseLinear SparseThreshold SparseConverter SparseKmax
SparseLookupTable SparseSum
""".split()

STN = "AffineTransformMatrixGenerator AffineGridGeneratorBHWD BilinearSamplerBHWD".split()

SPY = ["ScaleBHWD"]

INN = """
SpatialMaxPooling SpatialAveragePooling SpatialStochasticPooling SpatialCrossResponseNormalization
MeanSubtraction SpatialPyramidPooling SpatialSameResponseNormalization ROIPooling ConstAffine
""".split()

# the heading of each package's table in docs/coverage.md, its class list and the namespace its classes live in
PACKAGES = {'torch/nn': ('# Coverage of torch/nn and the packages around it', TORCH_NN, nn),
            'rnn': ('## Element-Research rnn', RNN, nn), 'dpnn': ('## Element-Research dpnn', DPNN, nn),
            'nnx': ('## nnx', NNX, nn), 'inn': ('## imagine-nn (inn)', INN, inn), 'fbnn': ('## fbnn', FBNN, fbnn),
            'stn': ('## stnbhwd (stn)', STN, nn),
            'spy': ('## spynet\'s spy (extras/spybhwd)', SPY, nn)}
COVERAGE = pathlib.Path(__file__).resolve().parents[1] / 'docs' / 'coverage.md'
STATUSES = ('present', 'planned', 'out of scope')


def table_rows(package):
    """{class: (status, note)} from the markdown table under ``package``'s heading in docs/coverage.md."""
    heading = PACKAGES[package][0]
    rows, inside = {}, False
    for line in COVERAGE.read_text().splitlines():
        if line.startswith('#'):
            inside = line.strip() == heading
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if inside and len(cells) == 3 and re.fullmatch(r'`?[A-Za-z0-9]+`?', cells[0]) and cells[0] != 'class':
            rows[cells[0].strip('`')] = (cells[1], cells[2])
    return rows


def test_the_class_lists_have_no_duplicates():
    assert len(TORCH_NN) == len(set(TORCH_NN)) == 192
    assert len(RNN) == len(set(RNN)) == 32 and len(DPNN) == len(set(DPNN)) == 26
    assert len(NNX) == len(set(NNX)) == 39 and len(INN) == len(set(INN)) == 9
    assert len(FBNN) == len(set(FBNN)) == 41 and len(STN) == len(set(STN)) == 3
    assert len(SPY) == len(set(SPY)) == 1


@pytest.mark.parametrize('package', sorted(PACKAGES))
def test_coverage_table_lists_every_class_once_with_a_known_status(package):
    rows, names = table_rows(package), PACKAGES[package][1]
    assert set(rows) == set(names), (sorted(set(names) - set(rows)), sorted(set(rows) - set(names)))
    bad = {name: status for name, (status, _) in rows.items() if status not in STATUSES}
    assert not bad, f"unknown statuses (use one of {STATUSES}): {bad}"
    # an out-of-scope class needs its reason written down
    assert all(note for status, note in rows.values() if status == 'out of scope')


@pytest.mark.parametrize('package', sorted(PACKAGES))
def test_rows_marked_present_are_present(package):
    rows = table_rows(package)
    space = PACKAGES[package][2]
    claimed = [name for name, (status, _) in rows.items() if status == 'present' and not hasattr(space, name)]
    assert not claimed, f"docs/coverage.md marks these present but {space.__name__} lacks them: {claimed}"


@pytest.mark.parametrize('package', sorted(PACKAGES))
def test_rows_not_marked_present_are_absent(package):
    rows = table_rows(package)
    space = PACKAGES[package][2]
    stale = [name for name, (status, _) in rows.items() if status != 'present' and hasattr(space, name)]
    assert not stale, f"docs/coverage.md marks these planned or out of scope but {space.__name__} has them: {stale}"


@pytest.mark.parametrize('package', sorted(PACKAGES))
def test_every_class_is_in_legonn_or_has_a_reason(package):
    rows, (_, names, space) = table_rows(package), PACKAGES[package]
    present = [name for name in names if hasattr(space, name)]
    missing = [name for name in names if not hasattr(space, name)]
    unexplained = [name for name in missing if rows.get(name, ('', ''))[0] != 'out of scope']
    share = 100.0 * len(present) / len(names)
    print(f"{space.__name__} has {len(present)} of {len(names)} {package} classes ({share:.1f}%); "
          f"{len(missing) - len(unexplained)} out of scope; missing: {unexplained}")
    if unexplained:
        pytest.fail(f"{len(present)}/{len(names)} {package} classes present ({share:.1f}%); missing from "
                    f"{space.__name__} without a reason in docs/coverage.md: {unexplained}")
