"""docs/internals.md's walkthroughs work as written: their code blocks are executed here, so the
document and this test cannot drift apart.

Each ```python block of the document whose first line is a ``# path`` comment is that file's
addition: a ``legonn/...`` block runs as the module of that path (its classes register as a real
file's would), a ``tests/...`` block's test functions run here, and a ``tests/robustness/catalog.py``
block holds catalog entries. The new classes then go through what every class meets: the robustness
sweep, validateState, None-means-the-default and a save/load round trip. Everything is undone after
each test, so the rest of the suite never sees the walkthrough's classes."""
import ast
import pathlib
import re
import types

import pytest

from legonn import nn
from legonn.modules.base.convolution import Convolution2d
from legonn.modules.base.elementwise import _Elementwise
from legonn.modules.base.typed import registry
from tests.modules import test_validate_state
from tests.porting import test_nil_defaults
from tests.robustness import catalog, test_sweep
from tests.robustness.perturb import KINDS
from tests.serialization import test_roundtrip

DOC = pathlib.Path(__file__).resolve().parents[1] / 'docs' / 'internals.md'
CATALOG_PATH = 'tests/robustness/catalog.py'


def file_blocks():
    """[(path, source)] of the document's python blocks that start with a ``# path`` line, in order."""
    blocks = re.findall(r'^```python\n(.*?)^```$', DOC.read_text(), flags=re.S | re.M)
    found = []
    for block in blocks:
        first, _, rest = block.partition('\n')
        match = re.fullmatch(r'# ((?:legonn|tests)/\S+\.py)', first.strip())
        if match:
            found.append((match.group(1), rest))
    return found


BLOCKS = file_blocks()
MODULE_BLOCKS = [(p, src) for p, src in BLOCKS if p.startswith('legonn/')]
CATALOG_BLOCKS = [src for p, src in BLOCKS if p == CATALOG_PATH]
TEST_BLOCKS = [(p, src) for p, src in BLOCKS if p.startswith('tests/') and p != CATALOG_PATH]


def _is_gpu_mark(decorator):
    return ast.unparse(decorator) == 'pytest.mark.gpu'


def walkthrough_tests():
    """pytest params (block index, function name) for the tests the document's test blocks define, read
    without running them (they need the walkthrough's classes); GPU tests keep their marker."""
    params = []
    for index, (path, source) in enumerate(TEST_BLOCKS):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith('test_'):
                marks = [pytest.mark.gpu] if any(_is_gpu_mark(d) for d in node.decorator_list) else []
                params.append(pytest.param(index, node.name, id=f'{path}::{node.name}', marks=marks))
    return params


def _run_as_file(path, source):
    """Execute ``source`` as the module at ``path`` (relative imports resolve from its package)."""
    name = path[:-len('.py')].replace('/', '.')
    module = types.ModuleType(name)
    module.__package__ = name.rpartition('.')[0]
    exec(compile(source, f'{DOC} ({path})', 'exec'), module.__dict__)
    return {k: v for k, v in vars(module).items() if isinstance(v, type) and v.__module__ == name}


@pytest.fixture
def walkthrough(monkeypatch):
    """{name: class} of the walkthrough's modules, registered, in ``nn`` and in the catalog; all undone after."""
    classes = {}
    try:
        for path, source in MODULE_BLOCKS:
            classes.update(_run_as_file(path, source))
        for name, cls in classes.items():
            monkeypatch.setattr(nn, name, cls, raising=False)
        for source in CATALOG_BLOCKS:
            for name, entry in eval('{' + source + '}', vars(catalog)).items():
                monkeypatch.setitem(catalog.MODULES, name, entry)
        yield classes
    finally:
        for name, cls in classes.items():
            if registry.get(name) is cls:
                del registry[name]


def test_the_document_has_both_walkthroughs_with_tests_and_catalog_entries():
    assert [p for p, _ in MODULE_BLOCKS] == ['legonn/modules/smooth_activations.py',
                                             'legonn/modules/spatial_mirror_convolution.py']
    assert len(TEST_BLOCKS) == 2 and len(CATALOG_BLOCKS) == 2 and len(walkthrough_tests()) >= 4


def test_the_new_classes_register_with_a_catalog_entry_and_use_the_bases(walkthrough):
    assert set(walkthrough) == {'Swish', 'SpatialMirrorConvolution'}
    for name, cls in walkthrough.items():
        assert registry[name] is cls and name in catalog.concrete_names() and name in catalog.MODULES
    assert issubclass(walkthrough['Swish'], _Elementwise)
    assert issubclass(walkthrough['SpatialMirrorConvolution'], Convolution2d)
    # what test_catalog_covers_the_registry checks, with the walkthrough's classes in the registry
    test_roundtrip.test_catalog_covers_the_registry()


@pytest.mark.parametrize('block, function', walkthrough_tests())
def test_the_walkthrough_tests_pass(walkthrough, block, function):
    path, source = TEST_BLOCKS[block]
    namespace = {'__name__': path[:-len('.py')].replace('/', '.')}
    exec(compile(source, f'{DOC} ({path})', 'exec'), namespace)
    test = namespace[function]
    # called bare: a block's test takes no arguments (no fixtures, no parametrize: loop inside instead)
    assert [m.name for m in getattr(test, 'pytestmark', [])] in ([], ['gpu']), f"{function} needs pytest to run"
    test()


@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')
@pytest.mark.parametrize('kind', KINDS)
def test_the_new_classes_pass_the_robustness_sweep(walkthrough, kind):
    for name in walkthrough:
        try:
            test_sweep.test_bad_input(name, kind)
        except pytest.skip.Exception:   # the sweep's own "does not apply" (a wrong device for Swish)
            assert kind == 'device' and name == 'Swish'


def test_the_new_classes_save_load_and_validate(walkthrough, tmp_path, monkeypatch):
    for name, cls in walkthrough.items():
        test_roundtrip.test_every_class_gives_identical_results_after_loading(tmp_path, name)
        test_validate_state.test_every_module_is_valid_as_built_used_and_converted(name)
        test_nil_defaults.test_none_means_the_default(monkeypatch, name)
        for attr in cls.positive_ints:
            for bad in (0, -3, 1.5):
                test_validate_state.test_every_declared_hyper_parameter_refuses_hostile_values(name, attr, bad)
