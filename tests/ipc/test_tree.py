"""torch-ipc's test/test_Tree.lua, line by line (node and job indices 0-based: the root is job 0, a worker's
``jobid = mapid + 1``; ``makeValue(jobid)`` gets the Lua's 1-based job number, ``jobid + 1``, so the sums are
the Lua's), and legonn's own checks of the tree's shapes and errors."""
import pytest

import legonn as torch
from legonn import ipc
from legonn.ipc import Tree
from legonn.ipc.tree import rcsvAllPairs


def _testAllReduce(njobs, base, makeValue, reduce):
    server, port = ipc.server('127.0.0.1')

    def worker(njobs, base, port, makeValue, reduce, mapid):
        client = ipc.client('127.0.0.1', port)
        jobid = mapid + 1
        tree = Tree(jobid, njobs, base, None, client, '127.0.0.1')
        value = makeValue(jobid + 1)
        value = tree.allReduce(value, reduce)[0]
        return value
    m = ipc.map(njobs - 1, worker, njobs, base, port, makeValue, reduce)
    server.clients(njobs - 1, lambda client: None)
    tree = Tree(0, njobs, base, server, None, '127.0.0.1', port)
    value = makeValue(1)
    final = tree.allReduce(value, reduce)[0]
    ret = [*m.join()]
    ret.insert(0, final)
    server.close()
    return ret


def test_tree_numbers_base2():
    ret = _testAllReduce(8, 2, lambda jobid: jobid, lambda a, b: a + b)
    assert len(ret) == 8
    for rv in ret:
        assert rv == 36


def test_tree_numbers_array_base2():
    ret = _testAllReduce(4, 2, lambda jobid: [jobid, 2 * jobid], lambda a, b: a + b)
    assert len(ret) == 4
    for rv in ret:
        assert rv[0] == 10
        assert rv[1] == 20


def _fill_add(a, b):
    a.add(b)
    return a


@pytest.mark.parametrize('njobs, base, reduce', [(2, 2, _fill_add), (8, 4, lambda a, b: a.add(b)),
                                                 (8, 8, lambda a, b: a + b)])
def test_tree_tensors(njobs, base, reduce):
    ret = _testAllReduce(njobs, base, lambda jobid: torch.Tensor(10).fill(jobid), reduce)
    assert len(ret) == njobs
    for rv in ret:
        assert rv.sum() == 10 * njobs * (njobs + 1) / 2


def test_uneven_number_of_steps():
    def expected(n, ni):
        c = 0
        for i in range(1, ni + 1):
            for j in range(i, n + 1):
                c = c + j
        return c

    def reduce(a, b):
        return a + b

    def zero(_, i):   # tree.allReduce calls zero(value, i): Lua's `function() return 0 end` ignores both
        return 0

    def loop(njobs, jobid, tree, reduce, zero):
        value = 0
        for i in range(1, jobid + 1 + 1):
            value = value + tree.allReduce(jobid + 1, reduce)[0]
        value = value + tree.allReduce(None, reduce, zero)[0]
        return value
    njobs = 4
    base = 2
    server, port = ipc.server('127.0.0.1')

    def worker(njobs, base, port, reduce, zero, loop, mapid):
        client = ipc.client('127.0.0.1', port)
        jobid = mapid + 1
        tree = Tree(jobid, njobs, base, None, client, '127.0.0.1')
        return loop(njobs, jobid, tree, reduce, zero)
    m = ipc.map(njobs - 1, worker, njobs, base, port, reduce, zero, loop)
    server.clients(njobs - 1, lambda client: None)
    tree = Tree(0, njobs, base, server, None, '127.0.0.1')
    final = loop(njobs, 0, tree, reduce, zero)
    ret = [*m.join()]
    ret.insert(0, final)
    server.close()
    assert len(ret) == njobs
    for i, rv in enumerate(ret):
        e = expected(njobs, i + 1)
        assert rv == e, f'expected final value of {e}, not {rv}'


def test_tree_multiple_tensors():
    ret = _testAllReduce(8, 2, lambda jobid: [torch.Tensor(10).fill(jobid), torch.Tensor(10).fill(jobid - 1)],
                         _fill_add)
    assert len(ret) == 8
    for rv in ret:
        assert rv[0].sum() == 360
        assert rv[1].sum() == 280


def test_scatter():
    njobs = 4
    base = 2
    server, port = ipc.server('127.0.0.1')

    def worker(njobs, base, port, mapid):
        client = ipc.client('127.0.0.1', port)
        jobid = mapid + 1
        tree = Tree(jobid, njobs, base, None, client, '127.0.0.1')
        return tree.scatter(jobid)
    m = ipc.map(njobs - 1, worker, njobs, base, port)
    server.clients(njobs - 1, lambda client: None)
    tree = Tree(0, njobs, base, server, None, '127.0.0.1')
    final = tree.scatter(0)
    ret = [*m.join()]
    ret.insert(0, final)
    server.close()
    assert ret == [0] * njobs


# legonn's own checks


def test_the_default_shape_is_tree_luas_with_nodes_from_0():
    """Tree.lua's rcsvAllPairs over 8 nodes in base 2 links 1-5, 1-3, 1-2, 3-4, 5-7, 5-6, 7-8 (1-based)."""
    edges = []
    rcsvAllPairs(2, 8, 0, 2, lambda to, frm, depth: edges.append((to, frm)))
    assert edges == [(0, 4), (0, 2), (0, 1), (2, 3), (4, 6), (4, 5), (6, 7)]
    edges.clear()
    rcsvAllPairs(2, 5, 0, 2, lambda to, frm, depth: edges.append((to, frm)))
    assert edges == [(0, 4), (0, 2), (0, 1), (2, 3)]


def test_a_tree_of_one_node_and_allreduce_results():
    tree = ipc.NullTree()
    t = torch.Tensor(3).fill(2)
    assert tree.allReduce(t, lambda a, b: a.add(b)) == (t, 1)
    assert tree.scatter(5) == 5


def test_walk_table_visits_leaves_in_sorted_key_order_and_replaces_returned_values():
    seen = []
    t = {'b': [1, 2], 'a': 3, 'c': {'y': 4, 'x': 5}}

    def visit(v):
        seen.append(v)
        return v * 10 if v != 4 else None
    ipc.walkTable(t, visit)
    assert seen == [3, 1, 2, 5, 4]
    assert t == {'b': [10, 20], 'a': 30, 'c': {'y': 4, 'x': 50}}


def test_bad_tree_arguments_are_refused():
    with pytest.raises(ValueError, match='one of them'):
        Tree(0, 2, 2)
    server, port = ipc.server()
    try:
        with pytest.raises(ValueError, match='nodeIndex 2, numNodes 2'):
            Tree(2, 2, 2, server)
        with pytest.raises(TypeError, match='numNodes'):
            Tree(0, 2.5, 2, server)
    finally:
        server.close()


def test_a_missing_node_times_out_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 0.3)
    server, port = ipc.server()
    try:
        with pytest.raises(TimeoutError, match='0 of 1 clients connected within 0.3 s'):
            Tree(0, 2, 2, server, None, '127.0.0.1', port)
    finally:
        server.close()


def test_localhost_tree_finds_its_root_through_the_parent_pid_file(tmp_path, monkeypatch):
    """distlearn's examples: ``ipc.LocalhostTree(opt.nodeIndex, opt.numNodes)`` in every process of one parent."""
    monkeypatch.setattr('tempfile.tempdir', str(tmp_path))

    def node(mapid):
        tree = ipc.LocalhostTree(mapid, 3, ppid=4242)
        try:
            return tree.allReduce(torch.Tensor(2).fill(mapid + 1), lambda a, b: a.add(b))[0].sum()
        finally:
            tree.close()
    assert ipc.map(3, node).join() == (12, 12, 12)
    assert (tmp_path / '4242.localhost').read_text().startswith('127.0.0.1:')
    assert isinstance(ipc.LocalhostTree(0, 1), ipc.NullTree)


def test_allreduce_of_nil_after_a_keyed_table_returns_nil():
    """distlearn's AllReduceSGD ends an epoch with ``tree.allReduce(nil, add, zero)`` after reducing a keyed
    table of gradients: Lua's ``finalValue[1]`` of that table is nil (legonn raised a KeyError)."""
    def node(tree):
        grads = {'w': torch.Tensor(2).fill(tree.nodeIndex + 1)}
        tree.allReduce(grads, lambda a, b: a.add(b))
        return [tree.allReduce(None, lambda a, b: a.add(b), lambda a, i: a.fill(0)), grads['w'].tolist()]
    server, port = ipc.server('127.0.0.1')
    m = ipc.map(1, lambda mapid: node(Tree(1, 2, 2, None, ipc.client('127.0.0.1', port), '127.0.0.1')))
    ret = [node(Tree(0, 2, 2, server, None, '127.0.0.1', port)), *m.join()]
    server.close()
    assert ret == [[(None, 0), [0.0, 0.0]]] * 2


def test_a_zero_callback_of_one_argument_is_refused_as_python_refuses_it():
    """Lua calls ``zero(value, i)`` and a ``function() return 0 end`` ignores both; a Python function must take
    them (docs/porting.md's ipc.Tree row): one of none fails on every node before anything is sent."""
    server, port = ipc.server('127.0.0.1')

    def node(tree):
        tree.allReduce(1, lambda a, b: a + b)
        return tree.allReduce(None, lambda a, b: a + b, lambda: 0)
    m = ipc.map(1, lambda mapid: node(Tree(1, 2, 2, None, ipc.client('127.0.0.1', port), '127.0.0.1')))
    try:
        with pytest.raises(TypeError, match='positional argument'):
            node(Tree(0, 2, 2, server, None, '127.0.0.1', port))
        with pytest.raises(ipc.MapError, match='TypeError'):
            m.join()
    finally:
        server.close()
