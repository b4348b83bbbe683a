"""code/module/rmsprop.lua: RMSprop whose mean square starts at zero (the Lua replaces ``optim.rmsprop``; the
port's model/Switch.py calls this function instead of patching legonn's optim for every other user)."""
import legonn as lg


def rmsprop(opfunc, x, config=None, state=None):
    # (0) get/update state
    config = config if config is not None else {}
    state = state if state is not None else config
    lr = config.get('learningRate') or 1e-2
    alpha = config.get('alpha') or 0.99
    epsilon = config.get('epsilon') or 1e-8
    wd = config.get('weightDecay') or 0

    # (1) evaluate f(x) and df/dx
    fx, dfdx = opfunc(x)

    # (2) weight decay
    if wd != 0:
        dfdx.add(wd, x)

    # (3) initialize mean square values and square gradient storage
    if state.get('m') is None:
        # This line kills the performance
        # state.m = torch.Tensor():typeAs(x):resizeAs(dfdx):fill(1)
        state['m'] = lg.Tensor().typeAs(x).resizeAs(dfdx).zero()
        state['tmp'] = lg.Tensor().typeAs(x).resizeAs(dfdx)

    # (4) calculate new (leaky) mean squared values
    state['m'].mul(alpha)
    state['m'].addcmul(1.0 - alpha, dfdx, dfdx)

    # (5) perform update
    state['tmp'].sqrt(state['m']).add(epsilon)
    x.addcdiv(-lr, dfdx, state['tmp'])

    # return x*, f(x) before optimization
    return x, [fx]
