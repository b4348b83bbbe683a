"""The examples as a newcomer runs them: options documented with their defaults, output fit for a log
file when redirected (no progress-bar redraws), no "curve: None", a resumed char_lstm run continuing
its train.log, and no sys.path tricks (legonn comes from the installed package)."""
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, 'examples')
SCRIPTS = ['mnist', 'lenet', 'char_lstm', 'donkeys', 'hogwild']


def run(script, *args, cwd):
    """Run an example with stdout and stderr redirected to a pipe (not a terminal), as `make demo > log` does."""
    done = subprocess.run([sys.executable, os.path.join(EXAMPLES, f'{script}.py'), *args], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert done.returncode == 0, done.stdout
    return done.stdout


@pytest.mark.parametrize('script', SCRIPTS)
def test_help_shows_every_default(script, tmp_path):
    text = run(script, '--help', cwd=tmp_path)
    options = re.split(r'\n  (?=-)', text.split('options:', 1)[1])
    valued = [o for o in options if re.match(r'--[\w-]+ [A-Z_]+', o)]
    assert valued
    for option in valued:
        assert '(default:' in option or 'None:' in option, option


@pytest.mark.parametrize('script', SCRIPTS)
def test_no_sys_path_insert(script):
    with open(os.path.join(EXAMPLES, f'{script}.py'), encoding='utf-8') as f:
        assert 'sys.path' not in f.read()


def test_char_lstm_redirected_run_and_resume_continue_the_log(tmp_path):
    (tmp_path / 'small.txt').write_text('the quick brown fox jumps over the lazy dog. ' * 200)
    common = ['--text', 'small.txt', '--layers', '1', '--rnn-size', '8', '--embed', '4', '--seq-length', '8',
              '--batch', '4', '--eval-every', '5', '--val-chunks', '2', '--sample-length', '10']
    first = run('char_lstm', *common, '--max-iters', '10', cwd=tmp_path)
    second = run('char_lstm', *common, '--max-iters', '20', '--resume', 'out/char_lstm/checkpoint.lg', cwd=tmp_path)
    for out in (first, second):
        assert '\r' not in out and 'None' not in out      # no bar redraws; no "loss curve: None"
        assert 'loss curve: out/char_lstm/train.log.svg' in out
        assert len(out) < 2000
    assert '10 chunks' in first and '20 chunks' in second
    rows = (tmp_path / 'out' / 'char_lstm' / 'train.log').read_text().splitlines()
    assert rows[0].split('\t')[:2] == ['train loss', 'validation loss']
    assert len(rows) == 1 + 4                              # 2 evaluations per run, the first run's kept


def run_on_a_terminal(script, *args, cwd):
    """Run an example with stderr (where tqdm draws) on a pseudo-terminal 100 columns wide; its output."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, os.path.join(EXAMPLES, f'{script}.py'), *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:      # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=600) == 0
    return b''.join(chunks).decode(errors='replace')


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='pseudo-terminal set-up is Linux-specific')
def test_char_lstm_progress_bar_counts_to_the_minutes_budget(tmp_path):
    (tmp_path / 'small.txt').write_text('the quick brown fox jumps over the lazy dog. ' * 200)
    out = run_on_a_terminal('char_lstm', '--text', 'small.txt', '--layers', '1', '--rnn-size', '8', '--embed', '4',
                            '--seq-length', '8', '--batch', '4', '--val-chunks', '2', '--sample-length', '10',
                            '--minutes', '0.05', cwd=tmp_path)
    frames = [f for f in out.split('\r') if f.startswith('training')]
    assert frames and all('/3 s' in f for f in frames), frames[-3:]    # 0.05 minutes, not 100000 chunks
    assert '100000' not in out


def test_mnist_one_epoch_prints_its_one_point_curve(tmp_path):
    out = run('mnist', '--epochs', '1', '--hidden', '16', '--log-dir', 'log', cwd=tmp_path)
    assert 'None' not in out and '\r' not in out
    assert 'training curve: log/train.log.svg' in out and (tmp_path / 'log' / 'train.log.svg').exists()
    assert len(out) < 5000


@pytest.mark.gpu
@pytest.mark.parametrize('script, args, last_words', [
    ('mnist', ('--epochs', '1', '--hidden', '16'), 'checkpoint: log/checkpoint.lg'),
    ('lenet', ('--epochs', '1', '--donkeys', '2'), 'checkpoint: log/checkpoint.lg'),
    ('char_lstm', ('--minutes', '0.05', '--max-iters', '3'), 'validation loss'),
])
def test_each_example_trains_on_the_gpu(tmp_path, script, args, last_words):
    """--cuda: the examples' whole GPU path (data to the device, training, evaluation, checkpoint)."""
    out = run(script, '--cuda', '--log-dir', 'log', *args, cwd=tmp_path)
    assert last_words in out and 'Traceback' not in out, out[-2000:]
