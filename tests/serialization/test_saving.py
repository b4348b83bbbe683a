"""Saving to a path: a save killed mid-write leaves the previous checkpoint intact and its temporary file is
removed by the next save to that path (but a live writer's is not); files get the umask's mode; a
symlink's target is written and the link stays a link."""
import fcntl
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import legonn as lg
from legonn.serialization.atomic import remove_stale_temporaries

pytestmark = pytest.mark.skipif(sys.platform == 'win32', reason='POSIX file semantics (flock, umask, symlinks)')


def temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith('.tmp'))


def kill_mid_save(path, elements):
    """Start a process saving ``elements`` floats to ``path``, SIGKILL it once their array is written
    (it blocks there, before the archive is finished), and return once it is dead."""
    script = textwrap.dedent(f"""
        import sys, time
        import numpy as np
        import legonn as lg
        write_array = np.lib.format.write_array

        def write_then_hang(member, array, **kwargs):
            write_array(member, array, **kwargs)
            if array.size == {elements}:
                print('writing', flush=True)
                time.sleep(600)

        np.lib.format.write_array = write_then_hang
        lg.save({str(path)!r}, {{'epoch': 2, 'w': lg.ones({elements}), 'v': lg.ones(10)}})
    """)
    child = subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == 'writing\n'
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


def test_a_killed_save_leaves_the_old_checkpoint_and_the_next_save_removes_its_temporary(tmp_path):
    path = tmp_path / 'ckpt.lg'
    lg.save(path, {'epoch': 1, 'w': lg.zeros(5)})
    kill_mid_save(path, elements=4_000_000)     # 16 MB of floats
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith('.ckpt.lg.')
    assert os.path.getsize(tmp_path / left[0]) > 16_000_000     # the kill came mid-save, data written
    old = lg.load(path)
    assert old['epoch'] == 1 and old['w'].sum() == 0            # the previous checkpoint is intact
    lg.save(path, {'epoch': 3})
    assert temporaries(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ['ckpt.lg']
    assert lg.load(path) == {'epoch': 3}


def test_a_live_writers_temporary_and_other_files_are_left_alone(tmp_path):
    path = tmp_path / 'ckpt.lg'
    busy = tmp_path / '.ckpt.lg.0123456789abcdef.tmp'
    stale = tmp_path / '.ckpt.lg.fedcba9876543210.tmp'
    unrelated = ['.ckpt.lg.b.0123456789abcdef.tmp', '.ckpt.lg.0123.tmp', 'ckpt.lg.0123456789abcdef.tmp',
                 '.other.lg.0123456789abcdef.tmp']
    for name in [busy.name, stale.name] + unrelated:
        (tmp_path / name).write_bytes(b'x')
    with open(busy, 'rb') as held:
        fcntl.flock(held, fcntl.LOCK_EX)       # what a save in progress holds
        lg.save(path, [1])
        assert busy.exists() and not stale.exists()
    assert all((tmp_path / name).exists() for name in unrelated)
    remove_stale_temporaries(str(path))        # the writer is gone now: its file goes too
    assert not busy.exists()


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_saved_files_get_the_umasks_mode(tmp_path, umask):
    path = tmp_path / 'a.lg'
    umask(0o022)
    lg.save(path, 1)
    assert mode(path) == 0o644
    umask(0o077)
    lg.save(tmp_path / 'b.lg', 1)
    assert mode(tmp_path / 'b.lg') == 0o600
    # an existing 0644 checkpoint, saved again under another umask, takes that umask's mode (never 0600 forced)
    umask(0o027)
    lg.save(path, 2)
    assert mode(path) == 0o640 and lg.load(path) == 2


def test_saving_through_a_symlink_writes_its_target(tmp_path):
    real = tmp_path / 'runs' / 'ckpt-0001.lg'
    real.parent.mkdir()
    lg.save(real, {'epoch': 1})
    link = tmp_path / 'latest.lg'
    link.symlink_to(os.path.relpath(real, tmp_path))
    lg.save(link, {'epoch': 2, 'w': np.arange(3)})
    assert link.is_symlink() and os.readlink(link) == os.path.join('runs', 'ckpt-0001.lg')
    assert lg.load(real)['epoch'] == 2 and lg.load(link)['epoch'] == 2
    assert temporaries(tmp_path) == [] and temporaries(real.parent) == []
    # a dangling link: its target is created
    dangling = tmp_path / 'next.lg'
    dangling.symlink_to('runs/ckpt-0002.lg')
    lg.save(dangling, 3)
    assert dangling.is_symlink() and lg.load(real.parent / 'ckpt-0002.lg') == 3


def test_concurrent_saves_to_one_path_never_lose_each_others_temporaries(tmp_path):
    """Three processes each save 30 times to one path: every save succeeds (no writer's temporary file is
    removed under it by another's clean-up), the file always loads, and no temporary file is left."""
    path = tmp_path / 'shared.lg'
    script = textwrap.dedent(f"""
        import sys
        import legonn as lg
        for k in range(30):
            lg.save({str(path)!r}, {{'writer': int(sys.argv[1]), 'k': k, 'w': lg.ones(20000)}})
    """)
    writers = [subprocess.Popen([sys.executable, '-c', script, str(n)], stderr=subprocess.PIPE, text=True)
               for n in range(3)]
    for writer in writers:
        _, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    final = lg.load(path)
    assert final['k'] == 29 and final['w'].sum() == 20000
    assert temporaries(tmp_path) == []


def test_torch7_mode_and_referenced_arguments(tmp_path):
    """torch7 File.lua: torch.save(filename, object, mode, referenced), torch.load(filename, mode, referenced),
    torch.serialize(object, mode) and torch.deserialize(str, mode) take the encoding ('binary' or 'ascii')
    second or third, positionally. Ported calls run and load what was saved; a mode Torch7 refuses is refused,
    and referenced=false (shared objects written as copies) is refused rather than ignored."""
    from legonn import nn
    model = nn.Sequential().add(nn.Linear(2, 3))
    model.forward(lg.randn(4, 2))
    path = tmp_path / 'model.t7'
    lg.save(path, model, 'binary')
    back = lg.load(path, 'binary')
    np.testing.assert_array_equal(back.get(0).weight.numpy(), model.get(0).weight.numpy())
    assert back.output.nElement() == 0                       # saved as clearState leaves it, as without mode
    lg.save(path, model, 'ascii', True)
    assert lg.load(path, 'ascii', True).get(0).bias.size() == (3,)
    clone = lg.deserialize(lg.serialize(model, 'binary'), 'binary')
    np.testing.assert_array_equal(clone.get(0).bias.numpy(), model.get(0).bias.numpy())
    for call in (lambda: lg.save(path, model, 'text'), lambda: lg.load(path, 'b16'),
                 lambda: lg.serialize(model, True), lambda: lg.deserialize(b'', 'cuda')):
        with pytest.raises(ValueError, match='mode must be one of'):
            call()
    with pytest.raises(ValueError, match='referenced=False'):
        lg.save(tmp_path / 'other.t7', model, 'binary', False)
    assert not (tmp_path / 'other.t7').exists()
    assert lg.load(path, device='cpu').get(0).weight.size() == (3, 2)


def test_a_name_of_up_to_255_bytes_saves_and_its_stale_temporary_is_removed(tmp_path):
    """Torch7 writes the target itself, so any name the file system takes saves (jzbontar/mc-cnn's main.lua names
    its network after every command-line argument: tests/porting/test_mccnn.py); the temporary file's name, the
    target's with 22 bytes more, is cut to fit in 255 bytes."""
    for n in (233, 240, 255):
        path = tmp_path / ('n' * (n - 3) + '.t7')
        lg.save(str(path), lg.FloatTensor([float(n)]))
        assert lg.load(str(path))[0] == n
        assert temporaries(tmp_path) == []
    stale = tmp_path / ('.' + 'n' * 233 + '.0123456789abcdef.tmp')
    stale.write_bytes(b'left by a killed save')
    lg.save(str(tmp_path / ('n' * 252 + '.t7')), lg.FloatTensor([1.0]))
    assert temporaries(tmp_path) == []
