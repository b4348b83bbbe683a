"""What Element-Research/rnn's test/test.lua sets up for its tests (line 3's ``precision``, ``mytester`` set to
raise as ``rnn.test`` runs it) and its global ``checkgrad`` (lines 6535-6556), shared by the
test_rnn_testlua_*.py ports. Its header, two of its tests and the ``rnn.test`` runner are also ported as they run
under torch.Tester, in tests/porting/test_rnn_tester_port.py. ``rnn.test`` runs in Torch7's default type,
DoubleTensor: the ports turn on the ``double_default`` fixture."""
import legonn as lg

precision = 1e-5
mytester = lg.Tester()
mytester.setRethrowErrors(True)


def checkgrad(opfunc, x, eps=None):
    """test.lua lines 6535-6556: ``opfunc``'s gradient at the 1-D ``x`` against central differences; returns the
    relative error ``|dC - dC_est| / |dC + dC_est|``, the gradient and its estimate."""
    # compute true gradient:
    _, dC = opfunc(x)
    dC.resize(x.size())
    dC = dC.clone()

    # compute numeric approximations to gradient:
    eps = eps or 1e-7
    dC_est = lg.DoubleTensor(dC.size())
    for i in range(dC.size(0)):
        x[i] = x[i] + eps
        C1 = opfunc(x)[0]
        x[i] = x[i] - 2 * eps
        C2 = opfunc(x)[0]
        x[i] = x[i] + eps
        dC_est[i] = (C1 - C2) / (2 * eps)

    # estimate error of gradient:
    diff = lg.norm(dC - dC_est) / lg.norm(dC + dC_est)
    return diff, dC, dC_est
