"""legonn.tensor.shared_memory: the shm_open + mmap helper behind Torch7's sharedMem storages and legonn.threads'
segments, under each of its three rules."""
import os
import secrets

import pytest

from legonn.tensor import shared_memory
from legonn.tensor.shared_memory import map_shared_memory, unlink_shared_memory

pytestmark = pytest.mark.skipif(not shared_memory.AVAILABLE, reason='no POSIX shared memory on this platform')


@pytest.fixture
def name():
    shm_name = f'/legonn_test_{os.getpid()}_{secrets.token_hex(4)}'
    yield shm_name
    unlink_shared_memory(shm_name)


def _exists(shm_name):
    """Whether the name is there, asked of shm_open itself (an attach that fails when it is not)."""
    try:
        map_shared_memory(shm_name, rule='attach', caller='probe').close()
    except FileNotFoundError:
        return False
    except ValueError:   # there, but empty
        return True
    return True


def _open_fds():
    return len(os.listdir('/proc/self/fd')) if os.path.isdir('/proc/self/fd') else None


def test_create_makes_a_new_object_of_the_size_that_attach_then_shares(name):
    mm = map_shared_memory(name, 16, rule='create', caller='t')
    assert len(mm) == 16 and _exists(name)
    other = map_shared_memory(name, rule='attach', caller='t')      # 0: the whole object
    mm[3] = 7
    assert len(other) == 16 and other[3] == 7
    part = map_shared_memory(name, 8, rule='attach', caller='t')
    assert len(part) == 8 and part[3] == 7


def test_create_refuses_a_name_that_exists_and_leaves_that_object_alone(name):
    first = map_shared_memory(name, 8, rule='create', caller='t')
    first[0] = 42
    with pytest.raises(FileExistsError):
        map_shared_memory(name, 8, rule='create', caller='t')
    assert _exists(name) and map_shared_memory(name, rule='attach', caller='t')[0] == 42


def test_attach_needs_an_existing_object_that_holds_the_size_asked_and_never_unlinks_it(name):
    with pytest.raises(FileNotFoundError):
        map_shared_memory(name, rule='attach', caller='t')
    assert not _exists(name)
    map_shared_memory(name, 8, rule='create', caller='t')
    with pytest.raises(ValueError, match=r"^t: the shared-memory object .* holds 8 bytes, 12 asked for"):
        map_shared_memory(name, 12, rule='attach', caller='t')
    assert _exists(name)        # not this call's object: a failed attach leaves it


def test_open_or_create_creates_extends_and_maps_whole_units(name):
    mm = map_shared_memory(name, 8, rule='open_or_create', caller='t')
    assert len(mm) == 8
    mm[0] = 5
    longer = map_shared_memory(name, 20, rule='open_or_create', caller='t')      # extended, contents kept
    assert len(longer) == 20 and longer[0] == 5 and len(map_shared_memory(name, rule='attach', caller='t')) == 20
    shorter = map_shared_memory(name, 4, rule='open_or_create', caller='t')      # never shrunk
    assert len(shorter) == 4 and len(map_shared_memory(name, rule='attach', caller='t')) == 20
    # the whole object, down to whole 8-byte units: 20 bytes hold two
    assert len(map_shared_memory(name, rule='open_or_create', caller='t', unit=8)) == 16


def test_an_empty_object_without_a_size_is_refused_and_unlinked(name):
    with pytest.raises(ValueError, match=r"^S\('x'\): cannot map an empty shared-memory object without a size"):
        map_shared_memory(name, rule='open_or_create', caller="S('x')")
    assert not _exists(name)
    # an object shorter than one unit leaves nothing either
    map_shared_memory(name, 3, rule='create', caller='t')
    with pytest.raises(ValueError, match='empty'):
        map_shared_memory(name, rule='open_or_create', caller='t', unit=4)
    assert not _exists(name)


@pytest.mark.parametrize('rule, unlinked', [('create', True), ('open_or_create', True), ('attach', False)])
def test_a_failed_mapping_closes_its_descriptor_and_unlinks_only_what_it_may_have_created(name, rule, unlinked,
                                                                                          monkeypatch):
    if rule == 'attach':
        map_shared_memory(name, 8, rule='create', caller='t')

    def fail(fd, nbytes):
        raise OSError('mmap failed')
    monkeypatch.setattr(shared_memory.mmap, 'mmap', fail)
    before = _open_fds()
    with pytest.raises(OSError, match='mmap failed'):
        map_shared_memory(name, 8, rule=rule, caller='t')
    assert _open_fds() == before
    monkeypatch.undo()
    assert _exists(name) is not unlinked


def test_errors_name_the_caller_for_an_unknown_rule_and_a_platform_without_shm_open(name, monkeypatch):
    with pytest.raises(ValueError, match=r"^DoubleStorage\('x'\): rule must be one of .*, got 'exclusive'"):
        map_shared_memory(name, 8, rule='exclusive', caller="DoubleStorage('x')")
    assert not _exists(name)
    monkeypatch.setattr(shared_memory, 'AVAILABLE', False)
    with pytest.raises(OSError, match=r'^legonn.threads: shm_open is unavailable on this platform'):
        map_shared_memory(name, 8, rule='create', caller='legonn.threads')


def test_unlink_says_whether_the_name_was_there(name):
    map_shared_memory(name, 8, rule='create', caller='t')
    assert unlink_shared_memory(name) is True
    assert unlink_shared_memory(name) is False and not _exists(name)
