"""mylib/myoptimizer.lua of chuanli11/CNNMRF, ported line by line: ``mylbfgs``, optim.lbfgs (fixed step, no line
search) with each gradient multiplied by ``mask`` ("add by chris"). Lua's 1-based history tables are lists here
(``old_dirs[i]`` for ``i`` from 0), and the buffers ``q``, ``r``, ``al``, ``be``, ``ro`` are indexed from 0."""
import legonn as lg


# ----------------------------------------------------------------------
# mylbfgs
# ----------------------------------------------------------------------
def mylbfgs(opfunc, x, config=None, state=None, mask=None):
    # get/update state
    config = config or {}
    state = state or config
    maxIter = float(config.get('maxIter') or 20)
    maxEval = float(config['maxEval']) if config.get('maxEval') is not None else maxIter * 1.25
    tolFun = config.get('tolFun') if config.get('tolFun') is not None else 1e-5
    tolX = config.get('tolX') if config.get('tolX') is not None else 1e-9
    nCorrection = config.get('nCorrection') or 100
    lineSearch = config.get('lineSearch')
    lineSearchOpts = config.get('lineSearchOptions')
    learningRate = config.get('learningRate') or 1
    isverbose = config.get('verbose') or False

    state['funcEval'] = state.get('funcEval') or 0
    state['nIter'] = state.get('nIter') or 0

    # verbose function
    def verbose(*args):
        if isverbose:
            print('<mylbfgs> ', *args)

    # import some functions
    zeros = lg.zeros
    append = list.append
    abs_ = abs
    min_ = min

    # evaluate initial f(x) and df/dx
    f, g = opfunc(x)
    g.cmul(mask)  # add by chris
    f_hist = [f]
    currentFuncEval = 1
    state['funcEval'] = state['funcEval'] + 1

    # check optimality of initial point
    state['tmp1'] = state['abs_g'] if state.get('abs_g') is not None else zeros(g.size())
    tmp1 = state['tmp1']
    tmp1.copy(g).abs()
    if tmp1.sum() <= tolFun:
        # optimality condition below tolFun
        verbose('optimality condition below tolFun')
        return x, f_hist

    # variables cached in state (for tracing)
    d = state.get('d')
    t = state.get('t')
    old_dirs = state.get('old_dirs')
    old_stps = state.get('old_stps')
    Hdiag = state.get('Hdiag')
    g_old = state.get('g_old')
    f_old = state.get('f_old')

    # optimize for a max of maxIter iterations
    nIter = 0
    while nIter < maxIter:
        # keep track of nb of iterations
        nIter = nIter + 1
        state['nIter'] = state['nIter'] + 1
        ############################################################
        # compute gradient descent direction
        ############################################################
        if state['nIter'] == 1:
            d = g.clone().mul(-1)  # -g
            old_dirs = []
            old_stps = []
            Hdiag = 1
        else:
            # do lbfgs update (update memory)
            y = g.clone().add(-1, g_old)  # g - g_old
            s = d.clone().mul(t)  # d*t
            ys = y.dot(s)  # y*s

            if ys > 1e-10:
                # updating memory
                if len(old_dirs) == nCorrection:
                    # shift history by one (limited-memory)
                    prev_old_dirs = old_dirs
                    prev_old_stps = old_stps
                    old_dirs = []
                    old_stps = []
                    for i in range(1, len(prev_old_dirs)):
                        append(old_dirs, prev_old_dirs[i])
                        append(old_stps, prev_old_stps[i])

                # store new direction/step
                append(old_dirs, s)
                append(old_stps, y)

                # update scale of initial Hessian approximation
                Hdiag = ys / y.dot(y)  # (y*y)

            # compute the approximate (L-BFGS) inverse Hessian
            # multiplied by the gradient
            p = g.size(0)
            k = len(old_dirs)

            state['ro'] = state['ro'] if state.get('ro') is not None else zeros(nCorrection)
            ro = state['ro']
            for i in range(k):
                ro[i] = 1 / old_stps[i].dot(old_dirs[i])

            state['q'] = state['q'] if state.get('q') is not None else zeros(nCorrection + 1, p).typeAs(g)
            q = state['q']
            state['r'] = state['r'] if state.get('r') is not None else zeros(nCorrection + 1, p).typeAs(g)
            r = state['r']
            state['al'] = state['al'] if state.get('al') is not None else zeros(nCorrection).typeAs(g)
            al = state['al']
            state['be'] = state['be'] if state.get('be') is not None else zeros(nCorrection).typeAs(g)
            be = state['be']

            q[k] = g.clone().mul(-1)  # -g

            for i in range(k - 1, -1, -1):
                al[i] = old_dirs[i].dot(q[i + 1]) * ro[i]
                q[i] = q[i + 1]
                q[i].add(-al[i], old_stps[i])

            # multiply by initial Hessian
            r[0] = q[0].clone().mul(Hdiag)  # q[1] * Hdiag

            for i in range(k):
                be[i] = old_stps[i].dot(r[i]) * ro[i]
                r[i + 1] = r[i]
                r[i + 1].add((al[i] - be[i]), old_dirs[i])

            # final direction:
            d.copy(r[k])

        g_old = g.clone()
        f_old = f

        ############################################################
        # compute step length
        ############################################################
        # directional derivative
        gtd = g.dot(d)  # g * d

        # check that progress can be made along that direction
        if gtd > -tolX:
            break

        # reset initial guess for step size
        if state['nIter'] == 1:
            tmp1.copy(g).abs()
            t = min_(1, 1 / tmp1.sum()) * learningRate
        else:
            t = learningRate

        # optional line search: user function
        lsFuncEval = 0
        if lineSearch and callable(lineSearch):
            # perform line search, using user function
            f, g, x, t, lsFuncEval = lineSearch(opfunc, x, t, d, f, g, gtd, lineSearchOpts)
            append(f_hist, f)
        else:
            # no line search, simply move with fixed-step
            x.add(t, d)
            if nIter != maxIter:
                # re-evaluate function only if not in last iteration
                # the reason we do this: in a stochastic setting,
                # no use to re-evaluate that function here
                f, g = opfunc(x)
                g.cmul(mask)  # add by chris
                lsFuncEval = 1
                append(f_hist, f)

        # update func eval
        currentFuncEval = currentFuncEval + lsFuncEval
        state['funcEval'] = state['funcEval'] + lsFuncEval

        ############################################################
        # check conditions
        ############################################################
        if nIter == maxIter:
            # no use to run tests
            verbose('reached max number of iterations')
            break

        if currentFuncEval >= maxEval:
            # max nb of function evals
            verbose('max nb of function evals')
            break

        tmp1.copy(g).abs()
        if tmp1.sum() <= tolFun:
            # check optimality
            verbose('optimality condition below tolFun')
            break

        tmp1.copy(d).mul(t).abs()
        if tmp1.sum() <= tolX:
            # step size below tolX
            verbose('step size below tolX')
            break

        if abs_(f - f_old) < tolX:
            # function value changing less than tolX
            verbose('function value changing less than tolX')
            break

    # save state
    state['old_dirs'] = old_dirs
    state['old_stps'] = old_stps
    state['Hdiag'] = Hdiag
    state['g_old'] = g_old
    state['f_old'] = f_old
    state['t'] = t
    state['d'] = d

    # return optimal x, and history of f(x)
    return x, f_hist, currentFuncEval
