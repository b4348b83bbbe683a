"""The import graph points down: importing a package never changes another package's classes,
and serialization imports nothing above it (the packages register into it)."""
import ast
import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

import legonn

# each package after those it may import, so the import of each one is what changes or not the classes before it
PACKAGES = ['tensor', 'serialization', 'modules', 'criterions', 'containers', 'threads', 'optim', 'graph', 'tools',
            'distributed', 'ipc', 'nn', 'autograd', 'cudnn', 'cutorch', 'image', 'paths', 'xlua', 'dataload', 'hdf5',
            'tds', 'inn',
            'loadcaffe', 'torchnet', 'nninit', 'torch_sys', 'csvigo', 'cjson', 'optnet', 'gnuplot', 'mnist', 'lfs',
            'pl', 'fbnn', 'trepl', 'ffi', 'dok', 'audio', 'totem',
            'matio']

_PROBE = textwrap.dedent('''
    import importlib, inspect, json, sys
    import legonn

    def package_of(name):
        parts = name.split('.')
        return parts[1] if len(parts) > 1 and parts[0] == 'legonn' else None

    def classes():
        found = {}
        for name, module in list(sys.modules.items()):
            if package_of(name) is None or module is None:
                continue
            for cls in vars(module).values():
                if inspect.isclass(cls) and cls.__module__ == name:
                    found[(name, cls.__qualname__)] = (cls, dict(vars(cls)))
        return found

    changed = []
    for package in PACKAGES:
        before = classes()
        try:
            importlib.import_module('legonn.' + package)
        except ImportError as err:   # an optional extra (mpi4py) that is not installed
            changed.append([package, 'skipped', str(err)])
            continue
        for (name, qualname), (cls, attrs) in before.items():
            if package_of(name) == package:
                continue
            now = vars(cls)
            diff = sorted(k for k in set(attrs) | set(now) if k not in now or k not in attrs or now[k] is not attrs[k])
            if diff:
                changed.append([package, name + '.' + qualname, diff])
    print(json.dumps(changed))
''')


@pytest.fixture(scope='module')
def import_report():
    code = f"PACKAGES = {PACKAGES!r}\n" + _PROBE
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_package_changes_another_packages_classes_on_import(import_report):
    changes = [entry for entry in import_report if entry[1] != 'skipped']
    assert changes == [], f"importing a package changed classes of another: {changes}"
    skipped = {entry[0] for entry in import_report if entry[1] == 'skipped'}
    assert skipped <= {'distributed'}, import_report


def test_the_probe_sees_a_patch():
    """The probe itself: a package that patched Criterion on import would be reported."""
    code = "PACKAGES = ['criterions', 'graph']\n" + _PROBE.replace(
        "        importlib.import_module('legonn.' + package)\n",
        "        importlib.import_module('legonn.' + package)\n"
        "        if package == 'graph':\n"
        "            from legonn.criterions.criterion import Criterion\n"
        "            Criterion.__call__ = lambda self, *args: None\n")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"graph", "legonn.criterions.criterion.Criterion", ["__call__"]' in done.stdout


def test_serialization_imports_nothing_above_it():
    """Its code names only tensor and the module contract (modules.base.typed's registry), never by a string."""
    root = pathlib.Path(legonn.__file__).parent
    reached = set()
    for path in (root / 'serialization').rglob('*.py'):
        package = path.relative_to(root).parts[:-1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (package[:len(package) - node.level + 1] + tuple((node.module or '').split('.')))
                reached.add('.'.join(target[:3]) if target[0] == 'modules' else target[0])
            elif isinstance(node, ast.Import):
                reached.update(alias.name for alias in node.names if alias.name in ('importlib', 'legonn'))
    assert reached == {'serialization', 'tensor', 'modules.base.typed'}, reached


def test_a_file_loads_before_nn_is_imported(tmp_path):
    path = tmp_path / 'net.legonn'
    code = ("import legonn as lg\n"
            "from legonn import nn, graph, optim\n"
            f"lg.save({str(path)!r}, [nn.Linear(2, 3), graph.Node(nn.Identity(), []), optim.ConfusionMatrix(2)])\n")
    subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, check=True)
    code = ("import sys, legonn as lg\n"
            "assert 'legonn.nn' not in sys.modules\n"
            f"print([type(x).__name__ for x in lg.load({str(path)!r})])\n")
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['Linear', 'Node', 'ConfusionMatrix']"


def test_layer_files_import_only_the_base_and_tensor():
    """A layer file of legonn.modules imports from ``modules.base`` and ``tensor`` (and the standard
    library or NumPy), never from another layer file: shared machinery lives in the base."""
    root = pathlib.Path(legonn.__file__).parent / 'modules'
    reached = {}
    for path in root.glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = ('modules.' if node.level == 1 else '') + (node.module or '')
                if not target.startswith(('modules.base', 'tensor')) and path.name != '__init__.py':
                    reached.setdefault(path.name, []).append(target)
    assert reached == {}, reached
    assert any(root.glob('base/*.py'))


# what legonn.autograd may import (besides the top-level namespace it traces, `legonn` itself); serialization for
# its registry, which AutoModule's classes register into for lg.save/lg.load as every package's classes do
AUTOGRAD_MAY_IMPORT = {'tensor', 'modules', 'containers', 'criterions', 'nn', 'optim', 'serialization', 'autograd'}


def _legonn_imports(path, root):
    """The legonn packages a file's imports name (``legonn.x`` or relative), and whether it imports ``legonn``."""
    package = path.relative_to(root).parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            target = package[:len(package) - node.level + 1] + tuple(filter(None, (node.module or '').split('.')))
            names = [alias.name for alias in node.names]
            yield from ((target + (n,))[0] for n in names) if not target else [target[0]]
        elif isinstance(node, ast.ImportFrom) and (node.module or '').startswith('legonn'):
            parts = node.module.split('.')
            yield from [parts[1]] if len(parts) > 1 else [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split('.')
                if parts[0] == 'legonn':
                    yield parts[1] if len(parts) > 1 else 'legonn'


def test_autograd_imports_only_what_it_may():
    root = pathlib.Path(legonn.__file__).parent
    reached = {name for path in (root / 'autograd').rglob('*.py') for name in _legonn_imports(path, root)}
    assert reached - AUTOGRAD_MAY_IMPORT - {'legonn'} == set(), reached


def test_nothing_imports_autograd():
    """Only the top-level package reaches legonn.autograd (lazily, as lg.autograd)."""
    root = pathlib.Path(legonn.__file__).parent
    importers = []
    for path in root.rglob('*.py'):
        relative = path.relative_to(root)
        if relative.parts[0] == 'autograd' or relative == pathlib.Path('__init__.py'):
            continue
        if 'autograd' in set(_legonn_imports(path, root)):
            importers.append(str(relative))
    assert importers == []
