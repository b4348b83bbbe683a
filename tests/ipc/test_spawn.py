"""ipc.spawn after torch-ipc's test/test_spawn.lua, case by case (``sys.sleep`` is ``time.sleep``,
``collectgarbage()`` is ``gc.collect()``, ``pcall`` is ``pytest.raises``). Every child here ends by itself
within a second or is signalled. Failed before legonn had ``ipc.spawn`` (an AttributeError)."""
import gc
import os
import time

import pytest

from legonn import ipc


def _reaped(pid):
    """True when ``pid`` is no child of this process any more (waited for: no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_stdout_all():
    p = ipc.spawn({
        'file': 'echo',
        'args': [
            'what',
            'up',
            'dawg',
        ],
    })
    assert type(p.stdoutFileId()) == int
    assert p.stdout('*all') == 'what up dawg\n'
    assert p.stdout('*all') is None
    assert p.wait() == 0


def test_stdout_line():
    p = ipc.spawn({
        'file': 'echo',
        'args': [
            'what',
            'up',
            'dawg',
        ],
    })
    assert p.stdout('*line') == 'what up dawg'
    assert p.stdout('*line') is None
    assert p.wait() == 0


def test_stdout_number():
    p = ipc.spawn({
        'file': 'echo',
        'args': [
            'what',
            'up',
            'dawg',
        ],
    })
    assert p.stdout(256) == 'what up dawg\n'
    assert p.stdout(256) is None
    assert p.wait() == 0


def test_stdin():
    p = ipc.spawn({
        'file': 'tee',
    })
    p.stdin('a\n')
    p.stdin('b\n')
    p.stdin('c\n')
    p.stdin('d')
    p.stdin()
    assert p.stdout('*line') == 'a'
    assert p.stdout('*line') == 'b'
    assert p.stdout('*line') == 'c'
    assert p.stdout('*line') == 'd'
    assert p.stdout() is None
    assert p.wait() == 0


def test_env():
    p = ipc.spawn({
        'file': 'printenv',
        'args': [
            'SOME_VAR',
        ],
        'env': [
            'SOME_VAR=42',
        ],
    })
    assert p.stdout('*all') == '42\n'
    assert p.wait() == 0


def test_signal_kill():
    p = ipc.spawn({
        'file': 'sleep',
        'args': [
            100,
        ]
    })
    assert p.wait("KILL") == 0


def test_signal_term():
    p = ipc.spawn({
        'file': 'sleep',
        'args': [
            100,
        ]
    })
    assert p.wait("TERM") == 0


def test_exit_code():
    p = ipc.spawn({
        'file': 'bash',
        'args': [
            '-c',
            'ls /this/will/never/exist/so/crazy 2> /dev/null',
        ]
    })
    assert p.wait() != 0


def test_running():
    p = ipc.spawn({
        'file': 'sleep',
        'args': [
            1,
        ],
    })
    i = 0
    while p.running():
        i = i + 1
        time.sleep(0.2)
    assert 3 < i < 7    # fuzzy
    assert p.wait() == 0


def test_collect_garbage(capfd):
    ipc.spawn({
        'file': 'echo',
        'args': [
            'good',
        ],
    }).wait()
    gc.collect()
    p = ipc.spawn({
        'file': 'echo',
        'args': [
            'bad',
        ],
    })
    pid = p.pid()
    p = None
    gc.collect()
    assert _reaped(pid)
    assert 'garbage collected before wait was called, sending SIGTERM' in capfd.readouterr().err


def test_errors(capfd):
    pids = []

    def run():
        p = ipc.spawn({
            'file': 'sleep',
            'args': [
                100,
            ],
        })
        pids.append(p.pid())
        raise RuntimeError("die before waiting")
        p.wait()
    with pytest.raises(RuntimeError, match='die before waiting'):
        run()
    gc.collect()
    assert _reaped(pids[0])                      # SIGTERM, then waited for
    assert 'sending SIGTERM' in capfd.readouterr().err


def test_misuse():
    with pytest.raises(TypeError, match="expected a table"):
        ipc.spawn({
            'file': 'echo',
            'args': 'what',  # should be a table
        })

    with pytest.raises(TypeError, match="expected a string"):
        ipc.spawn({
            'file': lambda: 'echo',  # should be a string
        })


# --- what the Lua tests leave implicit -------------------------------------------------------------------

def test_wait_closes_the_handle_and_its_pipes():
    p = ipc.spawn({'file': 'cat'})
    fd = p.stdoutFileId()
    p.stdin('unread output\n')
    assert p.running()
    assert p.wait() == 0                         # stdin closed, the output read and dropped, the child reaped
    with pytest.raises(OSError):
        os.fstat(fd)
    with pytest.raises(RuntimeError, match=r'legonn.ipc.spawn.pid: spawn was already closed'):
        p.pid()
    with pytest.raises(ValueError, match=r"legonn.ipc.spawn.wait: unknown signal 'HUP'"):
        ipc.spawn({'file': 'true'}).wait('HUP')


def test_a_missing_program_and_a_bad_env_are_refused_by_name():
    with pytest.raises(OSError, match=r"legonn.ipc.spawn: cannot run 'no-such-program-legonn'"):
        ipc.spawn({'file': 'no-such-program-legonn'})
    with pytest.raises(ValueError, match=r"legonn.ipc.spawn: env\[0\]: expected 'NAME=VALUE'"):
        ipc.spawn({'file': 'true', 'env': ['NOEQUALS']})


def test_children_of_map_workers():
    def work(mapid):
        p = ipc.spawn({'file': 'sh', 'args': ['-c', 'echo $0 $PPID', mapid]})
        out = p.stdout('*l')
        return out, p.wait()
    results = ipc.map(3, work).join()
    assert [results[2 * i].split()[0] for i in range(3)] == ['0', '1', '2']
    assert {int(results[2 * i].split()[1]) for i in range(3)} == {ipc.getpid()}
    assert results[1::2] == (0, 0, 0)
