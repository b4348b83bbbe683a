"""test.lua: gvnn's nn.Jacobian tests (``gvnntest``, run by ``test(tests)``, the Lua's ``gvnn.test``).

Edits:

* ``torch.random(a, b)`` draws a .. b; ``lg.random(a, b)`` stops before ``b`` (docs/porting.md's Indices row
  on ``random(a, b)``): ``lg.random(a, b + 1)``.
* ``nn.X`` of gvnn's own classes is ``gvnn.X`` (this package, see its docstring); nn.AffineGridGeneratorBHWD,
  nn.BilinearSamplerBHWD and nn.AffineTransformMatrixGenerator are legonn's.
* The tests that replace a module's methods (``module._updateOutput = module.updateOutput`` then ``function
  module:updateOutput(input) ... end``) set instance attributes, functions of ``input`` closing over
  ``module``: Lua's ``self`` is the module they are set on.
* ``print('\\n')`` prints Lua's string, a newline (Python's print adds a second one, as Lua's does).
* ``function gvnn.test(tests)`` sets a field of the global ``gvnn``, which nothing defines (init.lua returns
  ``nn`` and sets no global): the function is this module's ``test``. ``math.randomseed(os.time())`` seeds
  Lua's generator, which no test draws from: ``random.seed(int(time.time()))``. The Lua's last line runs
  ``gvnn.test("Disparity1D_single")``; the port runs nothing at import (tests/porting/test_gvnn.py runs each).
* ``mytester`` rethrows failed assertions (``setRethrowErrors(True)``), so that pytest reports them.
"""
import random
import time

import legonn as lg
from legonn import nn

from . import (DenseAffineOpticFlowBHWD, Disparity1DBHWD, NonRigidPerPixelSE3, NonRigidRotationSO3,
               NonRigidSE2BHWD, OpticalFlow2DBHWD, PinHoleCameraProjectionBHWD, Transform3DPoints_depth,
               Transform3DPoints_R, Transform3DPoints_Rt, TransformationMatrix3x4SO3, TransformationRotationSO3)

mytester = lg.Tester()
mytester.setRethrowErrors(True)
jac = None
sjac = None

precision = 1e-5
expprecision = 1e-4

gvnntest = {}


def AffineGridGeneratorBHWD_batch():
    nframes = lg.random(2, 11)
    height = lg.random(2, 6)
    width = lg.random(2, 6)
    input = lg.zeros(nframes, 2, 3).uniform()
    module = nn.AffineGridGeneratorBHWD(height, width)

    err = jac.testJacobian(module, input)

    print('\n')
    print(err)
    print('\n')
    print('\n')
    print('\n')
    print('\n')
    print('\n')

    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, input)

    print(ferr)

    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['AffineGridGeneratorBHWD_batch'] = AffineGridGeneratorBHWD_batch


def AffineGridGeneratorBHWD_single():
    height = lg.random(2, 6)
    width = lg.random(2, 6)
    input = lg.zeros(2, 3).uniform()
    module = nn.AffineGridGeneratorBHWD(height, width)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['AffineGridGeneratorBHWD_single'] = AffineGridGeneratorBHWD_single


def _per_pixel_test(cls, depth):
    """The body test.lua repeats for DenseAffineOpticFlowBHWD_single, Disparity1D_single, OpticalFlow2D_single
    and NonRigidSE2_single (only the class and the last input size differ)."""
    height = lg.random(2, 6)
    width = lg.random(2, 6)
    input = lg.zeros(1, height, width, depth).uniform()

    module = cls(height, width)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['DenseAffineOpticFlowBHWD_single'] = lambda: _per_pixel_test(DenseAffineOpticFlowBHWD, 6)
gvnntest['Disparity1D_single'] = lambda: _per_pixel_test(Disparity1DBHWD, 1)
gvnntest['OpticalFlow2D_single'] = lambda: _per_pixel_test(OpticalFlow2DBHWD, 2)
gvnntest['NonRigidSE2_single'] = lambda: _per_pixel_test(NonRigidSE2BHWD, 3)


def _non_rigid_test(cls, depth):
    """NonRigidRotationSO3_single and NonRigidPerPixelSE3_single (the same body, 3 or 6 parameters)."""
    height = 3  # torch.random(2,5)
    width = 4  # torch.random(2,5)

    input = lg.zeros(2, height, width, depth).uniform()

    module = cls()

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['NonRigidRotationSO3_single'] = lambda: _non_rigid_test(NonRigidRotationSO3, 3)
gvnntest['NonRigidPerPixelSE3_single'] = lambda: _non_rigid_test(NonRigidPerPixelSE3, 6)


def Transform3DPoints_R_single():
    height = lg.random(2, 6)
    width = lg.random(2, 6)
    input = lg.zeros(3, 3, 3).uniform()

    fx = 10
    fy = 10
    u0 = 2
    v0 = 2

    module = Transform3DPoints_R(height, width, fx, fy, u0, v0)

    err = jac.testJacobian(module, input)
    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, input)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['Transform3DPoints_R_single'] = Transform3DPoints_R_single


def Transform3DPoints_depth_single():
    height = 3  # torch.random(2,5)
    width = 3  # torch.random(2,5)
    depth = lg.zeros(4, 3, 3).uniform()

    fx = 1
    fy = 1
    u0 = 0
    v0 = 0

    module = Transform3DPoints_depth(height, width, fx, fy, u0, v0)

    err = jac.testJacobian(module, depth)
    mytester.assertlt(err, precision, 'error on state ')

    # IO
    ferr, berr = jac.testIO(module, depth)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err ')


gvnntest['Transform3DPoints_depth_single'] = Transform3DPoints_depth_single


def Transform3DPoints_Rt_single():
    height = 3  # torch.random(2,5)
    width = 3  # torch.random(2,5)
    batchsize = 4
    inputMatrix = lg.Tensor(batchsize, 3, 4).uniform()

    fx = 1
    fy = 1
    u0 = 0
    v0 = 0

    depth = lg.Tensor(batchsize, height, width).uniform()
    module = Transform3DPoints_Rt(height, width, fx, fy, u0, v0)

    module._updateOutput = module.updateOutput

    def updateOutput(input):
        return module._updateOutput([input, depth])
    module.updateOutput = updateOutput

    module._updateGradInput = module.updateGradInput

    def updateGradInput(input, gradOutput):
        module._updateGradInput([input, depth], gradOutput)
        return module.gradInput[0]
    module.updateGradInput = updateGradInput

    errInputMatrix = jac.testJacobian(module, inputMatrix)
    mytester.assertlt(errInputMatrix, precision, 'error on state ')

    # test grids (second element of input table)
    def updateOutput(input):
        return module._updateOutput([inputMatrix, input])
    module.updateOutput = updateOutput

    def updateGradInput(input, gradOutput):
        module._updateGradInput([inputMatrix, input], gradOutput)
        return module.gradInput[1]
    module.updateGradInput = updateGradInput

    err = jac.testJacobian(module, depth)
    mytester.assertlt(err, precision, 'error on state ')


gvnntest['Transform3DPoints_Rt_single'] = Transform3DPoints_Rt_single


def _bilinear_sampler_test(*leading):
    """BilinearSamplerBHWD_single (no leading size) and BilinearSamplerBHWD_batch (``nframes``): the same body."""
    height = lg.random(1, 6)
    width = lg.random(1, 6)
    channels = lg.random(1, 7)
    inputImages = lg.zeros(*leading, height, width, channels).uniform()
    grids = lg.zeros(*leading, height, width, 2).uniform()
    module = nn.BilinearSamplerBHWD()

    # test input images (first element of input table)
    module._updateOutput = module.updateOutput

    def updateOutput(input):
        return module._updateOutput([input, grids])
    module.updateOutput = updateOutput

    module._updateGradInput = module.updateGradInput

    def updateGradInput(input, gradOutput):
        module._updateGradInput([input, grids], gradOutput)
        return module.gradInput[0]
    module.updateGradInput = updateGradInput

    errImages = jac.testJacobian(module, inputImages)
    mytester.assertlt(errImages, precision, 'error on state ')

    # test grids (second element of input table)
    def updateOutput(input):
        return module._updateOutput([inputImages, input])
    module.updateOutput = updateOutput

    def updateGradInput(input, gradOutput):
        module._updateGradInput([inputImages, input], gradOutput)
        return module.gradInput[1]
    module.updateGradInput = updateGradInput

    errGrids = jac.testJacobian(module, grids)
    mytester.assertlt(errGrids, precision, 'error on state ')


gvnntest['BilinearSamplerBHWD_single'] = lambda: _bilinear_sampler_test()
gvnntest['BilinearSamplerBHWD_batch'] = lambda: _bilinear_sampler_test(lg.random(2, 11))


def _affine_transform_matrix_generator_test(batched):
    """AffineTransformMatrixGenerator_batch (``batched``: (nframes, n) parameters) and _single ((n,))."""
    # test all possible transformations
    for useRotation in [True, False]:
        for useScale in [True, False]:
            for useTranslation in [True, False]:
                currTest = ''
                if useRotation:
                    currTest = currTest + 'rotation '
                if useScale:
                    currTest = currTest + 'scale '
                if useTranslation:
                    currTest = currTest + 'translation'
                if currTest == '':
                    currTest = 'full'

                nbNeededParams = 0
                if useRotation:
                    nbNeededParams = nbNeededParams + 1
                if useScale:
                    nbNeededParams = nbNeededParams + 1
                if useTranslation:
                    nbNeededParams = nbNeededParams + 2
                if nbNeededParams == 0:
                    nbNeededParams = 6  # full affine case

                if batched:
                    nframes = lg.random(2, 11)
                    params = lg.zeros(nframes, nbNeededParams).uniform()
                else:
                    params = lg.zeros(nbNeededParams).uniform()
                module = nn.AffineTransformMatrixGenerator(useRotation, useScale, useTranslation)

                err = jac.testJacobian(module, params)
                mytester.assertlt(err, precision, 'error on state for test ' + currTest)

                # IO
                ferr, berr = jac.testIO(module, params)
                mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for test ' + currTest)
                mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for test ' + currTest)


gvnntest['AffineTransformMatrixGenerator_batch'] = lambda: _affine_transform_matrix_generator_test(True)
gvnntest['AffineTransformMatrixGenerator_single'] = lambda: _affine_transform_matrix_generator_test(False)


def PHCP_single():
    n_batches = 1  # torch.random(2,3)
    height = 10  # torch.random(2,5)
    width = 15  # torch.random(2,5)

    module = PinHoleCameraProjectionBHWD(height, width)

    params = lg.Tensor(n_batches, height, width, 3).uniform() - 0.5

    err = jac.testJacobian(module, params)
    mytester.assertlt(err, precision, 'error on state for test ')

    # IO
    ferr, berr = jac.testIO(module, params)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for test ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for test ')


gvnntest['PHCP_single'] = PHCP_single


def TransformationRotationSO3_single():
    height = 30
    width = 40
    fx = 30
    fy = 30
    u0 = 20
    v0 = 15

    module = nn.Sequential()
    module.add(TransformationRotationSO3())
    module.add(Transform3DPoints_R(height, width, fx, fy, u0, v0))
    module.add(PinHoleCameraProjectionBHWD(height, width, fx, fy, u0, v0))

    params = lg.Tensor(1, 3).zero()  # uniform()*0.001

    err = jac.testJacobian(module, params)
    mytester.assertlt(err, precision, 'error on state for test')

    # IO
    ferr, berr = jac.testIO(module, params)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for test ')
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for test ')


gvnntest['TransformationRotationSO3_single'] = TransformationRotationSO3_single


def TransformationMatrix3x4GeneratorSO3_single():
    currTest = 'T3x4'

    params = lg.Tensor(10, 6).uniform()

    print(params)

    module = TransformationMatrix3x4SO3(True, False, True)

    err = jac.testJacobian(module, params)
    mytester.assertlt(err, precision, 'error on state for test ' + currTest)

    # IO
    ferr, berr = jac.testIO(module, params)
    mytester.asserteq(ferr, 0, lg.typename(module) + ' - i/o forward err for test ' + currTest)
    mytester.asserteq(berr, 0, lg.typename(module) + ' - i/o backward err for test ' + currTest)


gvnntest['TransformationMatrix3x4GeneratorSO3_single'] = TransformationMatrix3x4GeneratorSO3_single


mytester.add(gvnntest)

jac = nn.Jacobian
sjac = nn.SparseJacobian


def test(tests):
    """``gvnn.test(tests)``: runs the named tests of ``gvnntest`` (all for None) and returns the Tester."""
    # randomize stuff
    print('')
    print('Testing nn with type = cuda')
    print('')
    random.seed(int(time.time()))
    mytester.run(tests)
    return mytester
