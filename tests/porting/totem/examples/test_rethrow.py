"""totem's examples/test_rethrow.lua: what ``--rethrow`` changes (run it with ``main(['--rethrow'])``).

Edits: the global ``b`` the file never sets is read as nil: ``None`` is written where it is read (docs/porting.md's
"a global the file never sets" row); ``test = {}``, a plain table, is a dict its tests are stored in (Tester.lua
warns of it, as lg.Tester does); the file's globals (``test``, ``tester``, ``concatenate``) are made by ``main``,
so that each run has its own."""
from legonn import totem


def main(arg=None):
    test = {}

    tester = totem.Tester()

    def concatenate(a, b):
        return a + ' ' + b

    def A():
        a = 'Hello'
        b = 'World'
        tester.asserteq(concatenate(a, b), 'Hello World', 'Error in concatenation')
    test['A'] = A

    def B():
        a = 'Hello'

        def f():
            return concatenate(a, None)
        # assertError works similarly when using the command line parameter --rethrow
        tester.assertError(f, 'Error not caught')
    test['B'] = B

    def C():
        a = 'Hello'
        # This assert will produce an error while trying to concatenate a nil value
        # The command line parameter --rethrow makes the program crash with this
        # error with the correct information in the stack.
        tester.asserteq(concatenate(a, None), 'Hello World', 'Error in concatenation')
    test['C'] = C

    return tester.add(test).run(arg=arg)
