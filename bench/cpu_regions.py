"""The framework's own cost in a char-rnn training step on the CPU: compare.py's W3 step (the nngraph LSTM
cell cloned per time step, forward, backward and sgd) at tiny sizes (vocab = hidden = 8, batch 2), where the
array work is next to nothing and what is left is legonn's per-module and per-node Python.

Prints, for the tree it runs in: ms per step, wall-clock and this process's CPU time (median of timed
blocks: on a machine shared with other jobs the CPU time is the steadier of the two), and Python calls per
step (cProfile's ``total_calls`` around one step after warm-up), with gModule's element-wise regions run as one step and,
in alternating blocks of the same process, node by node (``LEGONN_NODE_BY_NODE=1``; a tree without the
switch runs both the same way); then PyTorch's unrolled LSTMCell at the same sizes, in a process of its own
(as compare.py runs each framework).

    PYTHONPATH=$PWD python bench/cpu_regions.py [--blocks 7] [--steps 20]
"""
import argparse
import cProfile
import importlib.util
import os
import pstats
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, '..', 'shared', 'bench', 'compare.py')
SWITCH = 'LEGONN_NODE_BY_NODE'


def tiny_compare():
    """compare.py loaded as a module, with W3 at vocab = hidden = 8 and batch 2."""
    spec = importlib.util.spec_from_file_location('compare', COMPARE)
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    compare.VOCAB, compare.HIDDEN, compare.BATCH3 = 8, 8, 2
    return compare


def block_ms(step, steps):
    """(wall-clock, process CPU) ms per step over ``steps`` steps."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    return (time.perf_counter() - wall) / steps * 1e3, (time.process_time() - cpu) / steps * 1e3


def summary(blocks):
    wall, cpu = (statistics.median(b[i] for b in blocks) for i in (0, 1))
    return f"{wall:6.2f} ms/step wall (blocks {min(b[0] for b in blocks):.2f}-{max(b[0] for b in blocks):.2f}), " \
        f"{cpu:6.2f} ms/step CPU"


def calls(step):
    profile = cProfile.Profile()
    profile.enable()
    step()
    profile.disable()
    return pstats.Stats(profile).total_calls


def legonn_figures(blocks, steps):
    import legonn  # noqa: F401  before NumPy, as compare.py's legonn worker does
    compare = tiny_compare()
    x, y, _ = compare.char_batch()
    step = compare.w3_legonn(compare.w3_init(), x, y, False)
    modes = {'regions': '0', 'node by node': '1'}
    times = {mode: [] for mode in modes}
    for value in modes.values():   # warm-up, each way
        os.environ[SWITCH] = value
        for _ in range(3):
            step()
    for _ in range(blocks):
        for mode, value in modes.items():
            os.environ[SWITCH] = value
            times[mode].append(block_ms(step, steps))
    for mode, value in modes.items():
        os.environ[SWITCH] = value
        step()
        print(f"legonn tiny W3, {mode:12s}: {summary(times[mode])}, {calls(step):,} Python calls/step")
    os.environ.pop(SWITCH)


def torch_figure(blocks, steps):
    compare = tiny_compare()
    x, y, _ = compare.char_batch()
    step = compare.w3_torch_cell(compare.w3_init(), x, y, False)
    for _ in range(3):
        step()
    print(f"torch LSTMCell tiny W3:       {summary([block_ms(step, steps) for _ in range(blocks)])}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--blocks', type=int, default=7)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--torch', action='store_true', help='(internal) the PyTorch figure only')
    args = parser.parse_args()
    if args.torch:
        torch_figure(args.blocks, args.steps)
        return
    legonn_figures(args.blocks, args.steps)
    subprocess.run([sys.executable, __file__, '--torch', '--blocks', str(args.blocks), '--steps', str(args.steps)],
                   check=True)


if __name__ == '__main__':
    main()
