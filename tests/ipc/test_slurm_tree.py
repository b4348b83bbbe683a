"""torch-ipc's SlurmTree.lua (it has no test of its own): the tasks of a Slurm job, here processes on this machine
given the variables srun sets (SLURM_PROCID, SLURM_NTASKS, SLURM_JOB_NUM_NODES, SLURM_JOBID) as
examples/allreduce.slurm's ``srun th allreduce_slurm.lua`` would, build the tree and allReduce over it; and the
tree's shape and ``gpu`` as SlurmTree.lua computes them (0-based)."""
import json
import os
import subprocess
import sys

import pytest

from legonn import ipc
from legonn.ipc.tree import slurmBuildTree

# one task of the job: examples/allreduce_slurm.lua's tree and one allReduce of a tensor
TASK = """
import json, sys
import legonn as torch
from legonn import ipc
ipc.DEFAULT_TIMEOUT = 20.0
fn = sys.argv[1] or None
tree = ipc.SlurmTree(fn, int(sys.argv[2]))
t0 = torch.Tensor(5).fill(tree.nodeIndex + 1)
t = tree.allReduce(t0, lambda a, b: a.add(b))[0]
print(json.dumps({'node': tree.nodeIndex, 'numNodes': tree.numNodes, 'gpu': tree.gpu, 'sum': t.tolist()}))
tree.close()
"""


def _srun(tmp_path, ntasks, nnodes, fn, tasksPerGpu=1, jobid='4242'):
    """Start ``ntasks`` processes as srun would over ``nnodes`` hosts (all of them this one), return their
    outputs by SLURM_PROCID."""
    procs = []
    for procid in range(ntasks):
        env = dict(os.environ, SLURM_PROCID=str(procid), SLURM_NTASKS=str(ntasks),
                   SLURM_JOB_NUM_NODES=str(nnodes), SLURM_JOBID=jobid, HOME=str(tmp_path),
                   PYTHONPATH=os.pathsep.join(sys.path))
        procs.append(subprocess.Popen([sys.executable, '-c', TASK, fn or '', str(tasksPerGpu)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def test_four_tasks_on_two_hosts_allreduce_through_the_file_in_home_dot_torch(tmp_path):
    outs = _srun(tmp_path, 4, 2, None)
    assert (tmp_path / '.torch' / 'slurm.4242.server').exists()
    assert [o['node'] for o in outs] == [0, 1, 2, 3]
    for o in outs:
        assert o['numNodes'] == 4
        assert o['sum'] == [1.0 + 2 + 3 + 4] * 5
    # two tasks a host, one GPU a task: each host's tasks on its GPUs 0 and 1
    assert [o['gpu'] for o in outs] == [0, 1, 0, 1]


def test_an_uneven_job_and_tasks_sharing_a_gpu(tmp_path):
    """3 tasks on 2 hosts: 2 on the first, 1 on the second (tasksPerHost = ceil(3 / 2)); the Lua links a 4th,
    missing task under the second host's and waits for it for ever (docs/porting.md)."""
    outs = _srun(tmp_path, 3, 2, str(tmp_path / 'shared'), tasksPerGpu=2, jobid='7')
    assert (tmp_path / 'shared' / 'slurm.7.server').exists()
    assert [o['sum'] for o in outs] == [[6.0] * 5] * 3
    assert [o['gpu'] for o in outs] == [0, 0, 0]


def test_one_task_is_a_null_tree_with_its_gpu(tmp_path, monkeypatch):
    for k, v in (('SLURM_PROCID', '0'), ('SLURM_NTASKS', '1'), ('SLURM_JOB_NUM_NODES', '1'), ('SLURM_JOBID', '1')):
        monkeypatch.setenv(k, v)
    tree = ipc.SlurmTree(str(tmp_path))
    assert isinstance(tree, ipc.NullTree)
    assert tree.gpu == 0
    assert tree.allReduce(3, lambda a, b: a + b) == (3, 1)


def test_outside_a_slurm_job_the_error_names_the_variable(monkeypatch):
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    with pytest.raises(ValueError, match='SlurmTree.*SLURM_PROCID.*integer.*None'):
        ipc.SlurmTree()
    for k, v in (('SLURM_PROCID', '0'), ('SLURM_NTASKS', '2'), ('SLURM_JOB_NUM_NODES', '1')):
        monkeypatch.setenv(k, v)
    monkeypatch.delenv('SLURM_JOBID', raising=False)
    with pytest.raises(ValueError, match='SlurmTree.*SLURM_JOBID.*set'):
        ipc.SlurmTree()


def _edges(ntasks, nnodes):
    edges = []
    tasksPerHost = -(-ntasks // nnodes)
    maxDepth = (ntasks - 1).bit_length()   # Tree's ceil(log(numNodes) / log(2))
    slurmBuildTree(tasksPerHost)(2, ntasks, 0, maxDepth - 1, lambda to, frm, d: edges.append((to, frm)))
    return edges


def test_the_shape_is_slurm_tree_luas():
    """SlurmTree.lua's buildTree (1-based there): a tree over each host's tasks, then one over the hosts' first
    tasks; only the latter cross hosts."""
    assert _edges(4, 2) == [(0, 1), (2, 3), (0, 2)]
    assert _edges(8, 2) == [(0, 2), (4, 6), (0, 1), (4, 5), (2, 3), (6, 7), (0, 4)]
    assert _edges(8, 4) == [(0, 1), (2, 3), (4, 5), (6, 7), (0, 4), (0, 2), (4, 6)]
    # uneven: hosts of 3, 2 tasks; the Lua's link (3, 5) to a task that does not exist is left out
    assert _edges(5, 2) == [(0, 2), (0, 1), (3, 4), (0, 3)]
    assert _edges(3, 2) == [(0, 1), (0, 2)]
