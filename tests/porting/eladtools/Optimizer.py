"""eladhoffer/eladtools' Optimizer.lua (MIT licence) ported line by line: ``dok.unpack`` of its options,
``optimize`` with L1, clipping, renorm and rescale of the gradients, and ``updateRegime``, which applies a model
file's regime table."""
import legonn as lg
from legonn import dok, xlua


class Optimizer:
    typename = 'Optimizer'

    def __init__(self, *args, **kwargs):
        xlua.require('torch', True)
        xlua.require('nn', True)
        args = dok.unpack(
            args or kwargs,
            'Optimizer', 'Initialize an optimizer',
            {'arg': 'Model', 'type': 'table', 'help': 'Optimized model', 'req': True},
            {'arg': 'Loss', 'type': 'function', 'help': 'Loss function', 'req': True},
            {'arg': 'Regime', 'type': 'table', 'help': 'Training Regime Table', 'default': None},
            {'arg': 'L1Coeff', 'type': 'number', 'help': 'L1 Regularization coeff', 'default': 0},
            {'arg': 'GradClip', 'type': 'number', 'help': 'Gradient clipping value. zero for off', 'default': 0},
            {'arg': 'GradRenorm', 'type': 'number', 'help': 'Gradient renorm value. zero for off', 'default': 0},
            {'arg': 'GradRescale', 'type': 'number', 'help': 'Gradient rescale value. zero for off', 'default': 0},
            {'arg': 'Parameters', 'type': 'table', 'help': 'Model parameters - weights and gradients', 'req': False},
            {'arg': 'OptFunction', 'type': 'function', 'help': 'Optimization function', 'req': True},
            {'arg': 'OptState', 'type': 'table', 'help': 'Optimization configuration', 'default': {}, 'req': False},
            {'arg': 'HookFunction', 'type': 'function', 'help': 'Hook function of type fun(y,yt,err)', 'req': False},
        )[0]
        for x, val in args.items():
            if isinstance(x, str):      # pairs(args) also sets the positions, which a Lua table holds as keys
                setattr(self, x, val)
        if self.Parameters is None:
            self.Parameters = {}
            self.Weights, self.Gradients = self.Model.getParameters()
        else:
            self.Weights, self.Gradients = self.Parameters[0], self.Parameters[1]

    def optimize(self, x, yt):
        y = err = value = None

        def f_eval(_):
            nonlocal y, err, value
            self.Model.zeroGradParameters()
            y = self.Model.forward(x)
            err = self.Loss.forward(y, yt)
            dE_dy = self.Loss.backward(y, yt)
            self.Model.backward(x, dE_dy)
            if self.HookFunction is not None:
                value = self.HookFunction(y, yt, err)

            if self.L1Coeff > 0:
                self.Gradients.add(lg.sign(self.Weights).mul(self.L1Coeff))

            if self.GradClip > 0:
                self.Gradients.clamp(-self.GradClip, self.GradClip)

            if self.GradRenorm > 0:
                norm = self.Gradients.norm()
                if norm > self.GradRenorm:
                    shrink = self.GradRenorm / norm
                    self.Gradients.mul(shrink)

            if self.GradRescale > 0:
                norm = max(self.Gradients.max(), -self.Gradients.min())
                if norm > self.GradRescale:
                    shrink = self.GradRescale / norm
                    self.Gradients.mul(shrink)

            return err, self.Gradients

        opt_value = self.OptFunction(f_eval, self.Weights, self.OptState)
        return y, err, value, opt_value

    def updateRegime(self, epoch, verbose=None):
        if self.Regime is not None:
            if self.Regime.get('epoch') is not None:
                for epochNum, epochVal in enumerate(self.Regime['epoch']):
                    if epochVal == epoch:
                        for optValue in self.Regime:
                            # Lua's ``if self.OptState[optValue] then``: a weightDecay of 0 is set, hence not ``if``
                            if self.OptState.get(optValue) is not None:
                                if verbose:
                                    print(optValue, ': ', self.OptState[optValue], ' -> ',
                                          self.Regime[optValue][epochNum])
                                self.OptState[optValue] = self.Regime[optValue][epochNum]
