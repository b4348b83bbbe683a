"""CI's share of the file fuzzer (file_fuzz.py): 60 to 150 seeded mutations per reader of untrusted files,
each run in a worker process under a memory limit and a timeout, must all end loaded or refused with a
ValueError naming the reader: no crash, hang, runaway allocation or foreign exception. The campaign runner
(``python -m tests.robustness.file_fuzz``) runs thousands."""
import pytest

from .file_fuzz import READERS, Worker, campaign

# cases per reader: the prototxt's crafted cases nest 100,000 braces and the Torch7 ones up to 25,000 tables,
# each a few tens of milliseconds
CASES = {'prototxt': 60, 't7': 100}


@pytest.fixture(scope='module')
def worker():
    w = Worker()
    yield w
    w.stop()


@pytest.mark.parametrize('reader', sorted(READERS))
def test_seeded_mutations_are_loaded_or_refused_cleanly(reader, worker):
    tally = campaign(reader, cases=CASES.get(reader, 150), seed=0, worker=worker)
    assert tally.findings == {}, f"{reader}: {tally.counts}"
    assert tally.counts['refused'] > 0 and tally.cases == tally.counts['loaded'] + tally.counts['refused']


def test_every_seed_loads(worker):
    # unmutated seeds load (but the Torch7 fixtures holding Lua functions, refused by design): the refusals
    # counted above come from the mutations, not from a broken seed or reader
    for name, spec in READERS.items():
        for data in spec.seeds():
            outcome, detail = worker.case(name, data)
            assert outcome == 'loaded' or (name == 't7' and 'holds a Lua function' in detail), (name, detail)


@pytest.mark.parametrize('what, outcome, detail', [
    (b'segv', 'crash', 'killed by SIGSEGV'), (b'hang', 'hang', 'no answer'), (b'alloc', 'memory', 'MemoryError'),
    (b'raise', 'raw', 'KeyError'), (b'refuse', 'refused', 'probe: a clean refusal'), (b'', 'loaded', '')])
def test_the_harness_names_each_failure(worker, what, outcome, detail):
    got, said = worker.case('probe', what, timeout=1)
    assert got == outcome and detail in said
    assert worker.case('probe', b'refuse')[0] == 'refused'   # and the worker is back after a crash or a hang

