"""Training resumed from a checkpoint continues exactly as the uninterrupted run (CPU, fixed seed):
examples/mnist.py and examples/lenet.py --resume, and a local loop with optim state and the RNG states
saved mid-way.
Also: two runs with one seed give bitwise-identical parameters."""
import importlib.util
import os
import sys

import numpy as np

import legonn as lg
from legonn import nn, optim

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', 'examples')


def example(name):
    sys.path.insert(0, EXAMPLES)  # the examples import their helpers as siblings
    try:
        spec = importlib.util.spec_from_file_location(f'{name}_example', os.path.join(EXAMPLES, f'{name}.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(EXAMPLES)
    return module


def assert_resume_reproduces(example, common, tmp_path, capsys):
    """Two epochs in one run == one epoch, then a run resumed from its checkpoint (bitwise)."""
    whole = example.main(common + ['--epochs', '2', '--log-dir', str(tmp_path / 'whole')])
    ckpt = str(tmp_path / 'part' / 'ckpt.lg')
    first = example.main(common + ['--epochs', '1', '--log-dir', str(tmp_path / 'part'), '--checkpoint', ckpt])
    resumed = example.main(common + ['--epochs', '2', '--log-dir', str(tmp_path / 'part'), '--checkpoint', ckpt,
                                     '--resume', ckpt])
    assert len(whole) == 2 and first == whole[:1]
    assert resumed == whole            # bitwise: floats compared with ==
    assert 'resumed from' in capsys.readouterr().out
    assert lg.load(ckpt)['epoch'] == 2


def test_mnist_example_resume_reproduces_the_uninterrupted_loss_curve(tmp_path, capsys):
    assert_resume_reproduces(example('mnist'), ['--hidden', '8', '--batch-size', '250', '--seed', '3'], tmp_path,
                             capsys)


def test_lenet_example_resume_reproduces_the_uninterrupted_loss_curve(tmp_path, capsys):
    common = ['--batch-size', '250', '--seed', '3', '--structure', str(tmp_path / 'structure.txt')]
    assert_resume_reproduces(example('lenet'), common, tmp_path, capsys)


def _problem():
    lg.manualSeed(11)
    model = nn.Sequential().add(nn.Linear(6, 8)).add(nn.Tanh()).add(nn.Dropout(0.3)).add(nn.Linear(8, 3))
    model.add(nn.LogSoftMax())
    x, y = lg.rand(16, 6), lg.LongTensor(np.arange(16) % 3)
    return model, x, y


def _train(model, state, x, y, steps, algorithm):
    params, grads = model.getParameters()
    crit = nn.ClassNLLCriterion()
    losses = []
    for _ in range(steps):
        def feval(_):
            grads.zero()
            out = model.forward(x)
            loss = crit.forward(out, y)
            model.backward(x, crit.backward(out, y))
            return loss, grads
        losses.append(algorithm(feval, params, state)[1][0])
    return losses


def test_optim_state_resumes_identically(tmp_path):
    for algorithm, config in ((optim.adam, {'learningRate': 0.01}), (optim.sgd, {'learningRate': 0.1,
                                                                                  'momentum': 0.9})):
        model, x, y = _problem()
        whole = _train(model, dict(config), x, y, 10, algorithm)
        model, x, y = _problem()
        state = dict(config)
        first = _train(model, state, x, y, 4, algorithm)
        lg.save(tmp_path / 'ckpt.lg', {'model': model, 'state': state, 'rng': lg.getRNGState()})
        _train(model, state, x, y, 3, algorithm)   # the interrupted run goes on a little, then is lost
        saved = lg.load(tmp_path / 'ckpt.lg')
        lg.setRNGState(saved['rng'])
        rest = _train(saved['model'], saved['state'], x, y, 6, algorithm)
        assert first + rest == whole


def test_two_runs_with_one_seed_are_bitwise_identical():
    finals = []
    for _ in range(2):
        model, x, y = _problem()
        _train(model, {'learningRate': 0.1, 'momentum': 0.9}, x, y, 20, optim.sgd)
        finals.append(model.getParameters()[0].numpy().copy())
    assert finals[0].tobytes() == finals[1].tobytes()


def test_char_lstm_example_resume_reproduces_the_uninterrupted_parameters(tmp_path):
    text = tmp_path / 'text.txt'
    text.write_text('the quick brown fox jumps over the lazy dog. ' * 40)
    common = ['--text', str(text), '--layers', '1', '--rnn-size', '8', '--embed', '4', '--seq-length', '5',
              '--batch', '2', '--eval-every', '2', '--val-chunks', '2', '--sample-length', '5',
              '--svg', str(tmp_path / 'cell'), '--log-dir', str(tmp_path / 'log')]
    lstm = example('char_lstm')
    lstm.main(common + ['--max-iters', '4', '--checkpoint', str(tmp_path / 'whole.lg')])
    lstm.main(common + ['--max-iters', '2', '--checkpoint', str(tmp_path / 'part.lg')])
    part = str(tmp_path / 'part.lg')
    lstm.main(common + ['--max-iters', '4', '--checkpoint', part, '--resume', part])
    whole, resumed = lg.load(str(tmp_path / 'whole.lg')), lg.load(part)
    assert whole['iterations'] == resumed['iterations'] == 4
    assert resumed['params'].equal(whole['params'])    # bitwise
