"""Fused element-wise regions of a gModule (legonn/graph/fusion.py): which nodes fuse and in what schedule, the
generated CUDA compiled by nvcc and NVRTC without a GPU, and on a GPU (or the CuPy simulator) a fused run that
leaves every node and module as the node-by-node run does, gradients checked by finite differences."""
import copy
import shutil
import subprocess

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.graph import fusion, fusion_code
from legonn.graph.gmodule import gModule
from legonn.tensor import cuda_kernels
from legonn.tools import instance_hooks
from tests.cuda_sources import nvrtc_compile, nvrtc_library, standalone_cuda
from tests.checks import on_gpu


def lstm_cell(n_in=6, hidden=5):
    """char-rnn's LSTM cell: {x, prev_c, prev_h} -> {next_c, next_h}."""
    x, prev_c, prev_h = nn.Identity()(), nn.Identity()(), nn.Identity()()
    sums = nn.CAddTable()([nn.Linear(n_in, 4 * hidden)(x), nn.Linear(hidden, 4 * hidden)(prev_h)])
    n1, n2, n3, n4 = nn.SplitTable(1)(nn.Reshape(4, hidden)(sums)).split(4)
    in_gate, forget_gate, out_gate = nn.Sigmoid()(n1), nn.Sigmoid()(n2), nn.Sigmoid()(n3)
    next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, nn.Tanh()(n4)])])
    next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
    return gModule([x, prev_c, prev_h], [next_c, next_h])


def test_the_gates_of_an_lstm_cell_make_one_region_in_a_valid_schedule():
    cell = lstm_cell()
    schedule, regions, _ = fusion.plan(cell.forwardnodes)
    assert len(regions) == 1
    region = regions[0]
    assert sorted(t.__name__ for t in region.types) == ['CAddTable', 'CMulTable', 'CMulTable', 'CMulTable',
                                                        'Sigmoid', 'Sigmoid', 'Sigmoid', 'Tanh', 'Tanh']
    assert len(region.outside) == 5   # the four gate pre-activations and prev_c
    # the first CAddTable (sums of two Linears) is fusible but alone among fusible neighbours: not a region
    done = set()
    for step in schedule:
        nodes = step.members if isinstance(step, fusion.Region) else [step]
        for node in nodes:
            assert all(id(p) in done or p in nodes for p in node.inputs)
        done.update(id(n) for n in nodes)
    assert done == {id(n) for n in cell.forwardnodes}


def test_a_group_that_a_path_leaves_and_reenters_is_not_fused():
    a = nn.Identity()()
    s = nn.Sigmoid()(a)
    total = nn.CAddTable()([s, nn.Linear(3, 3)(s)])   # s -> Linear -> CAddTable: the group is not convex
    assert fusion.plan(gModule([a], [total]).forwardnodes) is None
    b = nn.Identity()()
    chain = nn.Tanh()(nn.ReLU(True)(b))   # an in-place node fuses with nothing
    assert fusion.plan(gModule([b], [chain]).forwardnodes) is None


def gated_relu():
    """A region with a parametrised twin: Threshold(0.1, -2)(a) * Sigmoid(b) + a."""
    a, b = nn.Identity()(), nn.Identity()()
    out = nn.CAddTable()([nn.CMulTable()([nn.Threshold(0.1, -2)(a), nn.Sigmoid()(b)]), a])
    return gModule([a, b], [out])


def hooked_calls(module):
    """Hooks on ``module``'s updateOutput and updateGradInput (tools.instance_hooks, as optimizeMemory's tracer
    and the NaN watch install theirs) that record each call's number of arguments: (that list, the hooks)."""
    calls = []

    def around(_module, call_next, *args):
        calls.append(len(args))
        return call_next(*args)
    return calls, [instance_hooks.install(module, name, around) for name in ('updateOutput', 'updateGradInput')]


def recorded_steps(monkeypatch, runner):
    """What ``runner``'s (fusion's or cpu_regions') forward and backward answered, in order: ('forward', ran),
    ('backward', ran)."""
    answers = []
    for which in ('forward', 'backward'):
        def recording(region, run=getattr(runner, which), which=which):
            ran = run(region)
            answers.append((which, ran))
            return ran
        monkeypatch.setattr(runner, which, recording)
    return answers


def kernel_sources():
    """The generated kernels of the LSTM cell's region and of gated_relu's, with one gradient from outside reaching
    each graph output."""
    sources = []
    for name, graph in (('lstm', lstm_cell()), ('gated', gated_relu())):
        region = fusion.plan(graph.forwardnodes)[1][0]
        outputs = {id(n) for n in graph.outputnodes}
        counts = tuple(int(id(n) in outputs) for n in region.members)
        sources += [(f'{name}_forward', fusion_code.cuda_source(fusion_code.forward_program(region))),
                    (f'{name}_backward', fusion_code.cuda_source(fusion_code.backward_program(region, counts)))]
    return sources


@pytest.mark.skipif(shutil.which('nvcc') is None, reason='nvcc is not installed')
@pytest.mark.parametrize('ctype', ['float', 'double'])
def test_the_generated_kernels_compile_with_nvcc(tmp_path, ctype):
    source = tmp_path / 'fused.cu'
    source.write_text(f'typedef {ctype} T;\n' + ''.join(standalone_cuda(f'fused_{which}', *parts)
                                                        for which, parts in kernel_sources()))
    done = subprocess.run(['nvcc', '-c', '-arch=sm_90', '-Werror', 'all-warnings', str(source), '-o',
                           str(tmp_path / 'fused.o')], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize('ctype', ['float', 'double'])
def test_nvrtc_compiles_the_generated_kernels_as_cupy_will(ctype):
    library = nvrtc_library()
    if library is None:
        pytest.skip('NVRTC is not installed (pip install nvidia-cuda-nvrtc, part of the test extra on x86-64 Linux)')
    kernels = ''.join(standalone_cuda(f'fused_{which}', *parts) for which, parts in kernel_sources())
    result, log = nvrtc_compile(library, f'typedef {ctype} T;\n{kernels}')
    assert result == 0, log[-3000:]


# --- on a GPU ---------------------------------------------------------------------------------------------------

@pytest.fixture
def fused_builds(monkeypatch):
    """The names of the fused kernels built (each build of cuda_kernels.elementwise is recorded; fusion's own
    cache starts empty)."""
    names, build = [], cuda_kernels.elementwise
    monkeypatch.setattr(fusion, '_made', {})

    def recording(name, *parts):
        if name.startswith('fused_'):
            names.append(name)
        return build(name, *parts)
    monkeypatch.setattr(cuda_kernels, 'elementwise', recording)
    return names


def cell_inputs(dtype, batch=3, n_in=6, hidden=5, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal((batch, n)) for n in (n_in, hidden, hidden)]
    grads = [rng.standard_normal((batch, hidden)) for _ in range(2)]
    as_cuda = [on_gpu(lg.from_numpy(v).type(f'legonn.{dtype}Tensor')) for v in values + grads]
    return as_cuda[:3], as_cuda[3:]


def node_state(cell):
    """Every node's and module's tensors after a run, on the host."""
    def host(value):
        if isinstance(value, list):
            return [host(v) for v in value]
        return None if value is None else value.cpu().numpy().copy()
    state = []
    for node in cell.forwardnodes:
        state.append([host(getattr(node, name)) for name in ('input', 'output', 'gradOutput', 'gradInput')])
        if node.module is not None:
            state.append([host(node.module.output), host(node.module.gradInput)])
    return state


def assert_same_state(a, b, tol):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_state(x, y, tol)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', ['Float', 'Double'])
def test_a_fused_cell_leaves_every_node_as_the_node_by_node_run(monkeypatch, fused_builds, dtype):
    cell = lstm_cell().type(f'legonn.{dtype}Tensor')
    plain = copy.deepcopy(cell)
    inputs, grads = cell_inputs(dtype)

    def run(graph):
        on_gpu(graph)
        for _ in range(2):   # the second run reuses every buffer (and the built kernels)
            graph.zeroGradParameters()
            out = [t.cpu().numpy() for t in graph.forward(inputs)]
            grad_in = [t.cpu().numpy() for t in graph.backward(inputs, grads)]
        return out, grad_in
    out, grad_in = run(cell)
    assert len(fused_builds) == 2 and fused_builds[0].startswith('fused_forward_')
    fused_state = node_state(cell)
    monkeypatch.setattr(gModule, '_fused_plan', lambda self: None)
    want, want_grad = run(plain)
    tol = 1e-6 if dtype == 'Float' else 1e-13
    assert_same_state(out, want, tol)
    assert_same_state(grad_in, want_grad, tol)
    assert_same_state(fused_state, node_state(plain), tol)
    np.testing.assert_allclose(cell.getParameters()[1].cpu().numpy(), plain.getParameters()[1].cpu().numpy(),
                               rtol=tol, atol=tol)


@pytest.mark.gpu
def test_a_region_with_a_parametrised_twin_equals_the_node_by_node_run(monkeypatch, fused_builds):
    rng = np.random.default_rng(2)
    inputs = [lg.from_numpy(rng.standard_normal((4, 3))).cudaDouble() for _ in range(2)]
    inputs[0][0][0] = 0.1   # at the threshold: no gradient passes, as in Threshold's own backward
    grad = lg.from_numpy(rng.standard_normal((4, 3))).cudaDouble()
    graph = gated_relu().double()
    plain = copy.deepcopy(graph)

    def run(g):
        g.cudaDouble()
        return [g.forward(inputs).cpu().numpy()] + [t.cpu().numpy() for t in g.backward(inputs, grad)]
    got = run(graph)
    assert len(fused_builds) == 2
    state = node_state(graph)
    monkeypatch.setattr(gModule, '_fused_plan', lambda self: None)
    assert_same_state(got, run(plain), 1e-13)
    assert_same_state(state, node_state(plain), 1e-13)


@pytest.mark.gpu
def test_finite_differences_agree_with_the_fused_backward():
    cell = lstm_cell(n_in=3, hidden=2).cudaDouble()
    inputs, grads = cell_inputs('Double', batch=2, n_in=3, hidden=2)
    cell.forward(inputs)
    analytic = [t.cpu().numpy() for t in cell.backward(inputs, grads)]
    assert cell._fusion is not None
    weights = [g.cpu().numpy() for g in grads]
    eps = 1e-6
    for which, x in enumerate(inputs):
        values = x.cpu().numpy()
        numeric = np.zeros_like(values)
        for index in np.ndindex(values.shape):
            loss = []
            for sign in (1, -1):
                shifted = values.copy()
                shifted[index] += sign * eps
                moved = list(inputs)
                moved[which] = lg.from_numpy(shifted).cudaDouble()
                loss.append(sum(float((o.cpu().numpy() * w).sum()) for o, w in zip(cell.forward(moved), weights)))
            numeric[index] = (loss[0] - loss[1]) / (2 * eps)
        np.testing.assert_allclose(analytic[which], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.gpu
def test_a_cell_that_stops_being_fusible_runs_node_by_node(monkeypatch, fused_builds):
    cell = lstm_cell().cuda()
    inputs, grads = cell_inputs('Float')
    want = [t.cpu().numpy() for t in cell.forward(inputs)]
    built = len(fused_builds)
    gate = next(n.module for n in cell.forwardnodes if isinstance(n.module, nn.Sigmoid))
    gate.inplace = True   # the plan was made without it: the region now runs node by node
    got = [t.cpu().numpy() for t in cell.forward(inputs)]
    cell.backward(inputs, grads)
    assert len(fused_builds) == built
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    gate.inplace = False
    monkeypatch.setenv('LEGONN_GENERIC_KERNELS', '1')
    assert cell._fused_plan() is None
    cell.clearState()
    assert '_fusion' not in vars(cell)


@pytest.mark.gpu
def test_a_hooked_member_runs_node_by_node_on_the_gpu_and_its_hook_sees_every_call(monkeypatch):
    # optimizeMemory's tracer and the NaN watch shadow a module's methods on the instance: a fused kernel
    # would run past them, so a region with such a member runs node by node (as on the CPU)
    cell = lstm_cell().cuda()
    inputs, grads = cell_inputs('Float')
    fused = recorded_steps(monkeypatch, fusion)
    gate = next(n.module for n in cell.forwardnodes if isinstance(n.module, nn.Tanh))
    calls, hooks = hooked_calls(gate)
    want = [t.cpu().numpy() for t in cell.forward(inputs)]
    cell.backward(inputs, grads)
    assert fused == [('forward', False), ('backward', False)] and calls == [1, 2]
    for hook in hooks:
        instance_hooks.uninstall(hook)
    fused.clear()
    got = [t.cpu().numpy() for t in cell.forward(inputs)]
    cell.backward(inputs, grads)
    assert fused == [('forward', True), ('backward', True)] and calls == [1, 2]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_twin_whose_formula_compares_joins_a_region():
    # Threshold's twins read 'x <= threshold ? val : x' and 'x > threshold ? go : 0': a comparison is no second
    # assignment, so the Threshold fuses with its element-wise neighbours
    assert fusion_code.twin_formula(nn.Threshold.cuda_forward, 'y') == 'x <= threshold ? val : x'
    assert fusion_code.twin_formula('y = x; z = 1', 'y') is None and fusion_code.twin_formula('y = a = 1', 'y') is None
    region = fusion.plan(gated_relu().forwardnodes)[1][0]
    assert [t.__name__ for t in region.types] == ['Threshold', 'Sigmoid', 'CMulTable', 'CAddTable']
