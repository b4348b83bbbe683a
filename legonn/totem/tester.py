"""totem's Tester.lua: ``totem.Tester``, lg.Tester with deepmind's changes."""
from ..pl import lapp
from ..tensor.tester import Tester as TorchTester

# Tester.lua's command-line options, read by ``run`` from the arguments it is given
CLoptions = '''
    --list print the names of the available tests instead of running them.
    --log-output (optional file-out) redirect compact test results to file.
        This contains one line per test in the following format:
        name #passed-assertions #failed-assertions #exceptions
    --summary print only pass/fail status rather than full error messages.
    --early-abort (optional boolean) abort execution on first error.
    --rethrow (optional boolean) errors make the program crash and propagate up
        the stack.
'''


class Tester(TorchTester):
    """``totem.Tester()``: lg.Tester whose ``assertTensorEq`` finds tensors of other dimensions unequal (Tester.lua
    keeps ``{{1}} == {1}`` only for torch's own Tester), whose ``eq``/``ne`` take a fifth argument ``ret``
    (true: return the outcome without counting an assertion, totem's backwards compatibility), with
    ``assertStorageEq``/``assertStorageNe``, and whose ``run`` reads Tester.lua's options (``--list``,
    ``--summary``, ``--early-abort``, ``--rethrow``, ``--log-output FILE``, test names) from ``arg``."""
    lua_package = 'totem'
    CLoptions = CLoptions

    def __init__(self):
        super().__init__()
        self._assertTensorEqIgnoresDims = False
        self._ret = None
        self._assertSubCalled = None
        self.extraOutputFile = None

    def _assert_sub(self, condition, message):
        # with ``ret`` the outcome is returned and no assertion is counted
        self._assertSubCalled = True
        if not self._ret:
            return super()._assert_sub(condition, message)
        return condition

    def _wrapFunctionForRet(self, ret, f, *args):
        self._ret = ret
        try:
            result = f(*args)
            assert self._assertSubCalled, 'totem.Tester: the comparison made no assertion'
        finally:
            self._ret = None
            self._assertSubCalled = None
        return result

    def eq(self, got, expected, message=None, tolerance=None, ret=None):
        """lg.Tester's ``eq`` (deep equality); with ``ret`` true, only return whether it holds."""
        return self._wrapFunctionForRet(ret, super().eq, got, expected, message, tolerance)

    def ne(self, got, expected, message=None, tolerance=None, ret=None):
        """lg.Tester's ``ne``; with ``ret`` true, only return whether it holds."""
        return self._wrapFunctionForRet(ret, super().ne, got, expected, message, tolerance)

    def assertStorageEq(self, sa, sb, tolerance=None, message=None):
        """Two storages of one type and size differ elementwise by at most ``tolerance``."""
        return super().eq(sa, sb, tolerance, message)

    def assertStorageNe(self, sa, sb, tolerance=None, message=None):
        """The negation of ``assertStorageEq``."""
        return super().ne(sa, sb, tolerance, message)

    def _listTests(self, tests):
        for name in tests:
            print(name)

    def run(self, testNames=None, arg=None):
        """Run the tests, as lg.Tester's ``run``. Tester.lua reads the script's command line (Lua's global
        ``arg``); here the options come from ``arg``, a list of strings (``sys.argv[1:]`` in a script), and
        are not read when it is None, so a test runner's own arguments are never taken for them. Test names
        there replace ``testNames``; ``--list`` prints the names and returns 0 without running."""
        if arg is not None:
            usage = ('Run tests\n\nUsage:\n\n  script [options] [test1 [test2...] ]\n\nOptions:\n\n' + CLoptions +
                     '\nIf any test names are specified only the named tests are run. Otherwise\n'
                     'all the tests are run.\n\n')
            args = lapp(usage, list(arg))
            names = [args[i] for i in range(len(arg)) if i in args]
            if names:
                testNames = names
            if args['list']:
                self._listTests(self._getTests(testNames))
                return 0
            if args['summary']:
                self.setSummaryOnly(True)
            if args['early_abort']:
                self.setEarlyAbort(True)
            if args['rethrow']:
                self.setRethrowErrors(True)
            if args['log_output']:
                self.extraOutputFile = args['log_output']
        return super().run(testNames)

    def _run(self, tests):
        super()._run(tests)
        if self.extraOutputFile:
            self._logExtraOutput(tests)

    def _logExtraOutput(self, tests):
        """One line per test, ``name #passed #failed #errors``, and a ``[total]`` line, into the file."""
        f = self.extraOutputFile
        npasses = nfails = nerrors = 0
        for name in tests:
            npasses += self.assertionPass[name]
            nfails += self.assertionFail[name]
            nerrors += self.testError[name]
            f.write(f'{name} {self.assertionPass[name]} {self.assertionFail[name]} {self.testError[name]}\n')
        f.write(f'[total] {npasses} {nfails} {nerrors}\n')
        f.close()
