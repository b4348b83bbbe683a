"""ipc.channel after torch-ipc's test/test_channel.lua, case by case (``channelClosedWhileProducersWaiting``
sleeps 0.2 s, not 5 s, before closing). Every worker is joined within the conftest's ipc.DEFAULT_TIMEOUT;
blocking reads happen in workers only, or once the items are known to be there. Failed before legonn had
``ipc.channel`` (an AttributeError)."""
import pickle
import threading
import time

import pytest

import legonn as torch
from legonn import ipc
from legonn import threads


def test_status_enums_set():
    assert type(ipc.channel.OPEN) == int
    assert type(ipc.channel.CLOSED) == int
    assert type(ipc.channel.DRAINED) == int
    assert ipc.channel.OPEN != ipc.channel.CLOSED
    assert ipc.channel.CLOSED != ipc.channel.DRAINED
    expectedMethods = ['read', 'write', 'num_items', 'close', 'closed', 'drained']
    ch = ipc.channel()
    for x in expectedMethods:
        assert getattr(ch, x, None) is not None and callable(getattr(ch, x))


def test_open_read_write_same_thread():
    c = ipc.channel()
    data = 10
    status = c.write(data)
    assert status == ipc.channel.OPEN
    assert c.num_items() == 1, 'number of items in channel is incorrect'
    nonblocking = True
    status, readData = c.read(nonblocking)
    assert status == ipc.channel.OPEN
    assert c.num_items() == 0, 'number of items in channel is incorrect'
    assert data == readData
    # writing nil should work
    status = c.write(None)
    assert status == ipc.channel.OPEN
    assert c.num_items() == 1, 'number of items in channel is incorrect'
    status, readData = c.read(nonblocking)
    assert status == ipc.channel.OPEN
    assert c.num_items() == 0, 'number of items in channel is incorrect'
    assert None is readData
    # and an empty channel read without blocking gives no item at once (doc/channel.md's caveat 3: the same
    # as reading a None)
    assert c.read(True) == (ipc.channel.OPEN, None)


def test_open_read_multi_write_same_thread():
    c = ipc.channel()
    data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    status = c.write(*data)
    assert status == ipc.channel.OPEN
    assert c.num_items() == 12, 'number of items in channel is incorrect'
    nonblocking = True
    for i in range(len(data)):
        status, readData = c.read(nonblocking)
        assert status == ipc.channel.OPEN
        assert readData == i + 1


def test_open_read_write_different_thread():
    c = ipc.channel()
    items = [True, 10, 'foo']

    def produce(c, items, mapid):
        for x in items:
            status = c.write(x)
            assert status == ipc.channel.OPEN
    producer = ipc.map(1, produce, c, items)
    producer.join()
    assert c.num_items() == len(items), 'number of items in channel is incorrect'

    def consume(c, items, mapid):
        nonblocking = False
        for i in range(len(items)):
            status, item = c.read(nonblocking)
            assert status == ipc.channel.OPEN
            assert items[i] == item
    consumer = ipc.map(1, consume, c, items)
    consumer.join()


def test_flags_on_closed_channel():
    # empty channel
    c = ipc.channel()
    c.close()
    c.close()  # repeated close()s are ok
    assert c.closed()
    assert c.drained()

    # channel with stuffz
    c = ipc.channel()
    status = c.write('foo')
    assert status == ipc.channel.OPEN
    assert c.num_items() == 1
    c.close()
    status = c.write('bar')
    assert status == ipc.channel.CLOSED
    assert c.num_items() == 1
    status, item = c.read()
    assert status == ipc.channel.CLOSED
    assert item == 'foo'
    status, item = c.read()
    assert status == ipc.channel.DRAINED
    assert item is None
    status = c.write('bar')
    assert status == ipc.channel.DRAINED
    assert c.num_items() == 0


def test_send_channel_in_channel():
    ca = ipc.channel()
    cb = ipc.channel()
    items = [True, 10, 'foo']
    ca.write(cb)
    for x in items:
        ca.write(x)
    ca.write('STOP')
    assert cb.num_items() == 0, 'number of items in channel is incorrect'
    assert ca.num_items() == len(items) + 2, 'number of items in channel is incorrect'

    def echo_fn(ca, mapid):
        nonblocking = False
        status, cb = ca.read(nonblocking)
        assert status == ipc.channel.OPEN
        while True:
            status, input = ca.read(nonblocking)
            assert status == ipc.channel.OPEN
            if input == 'STOP':
                break
            else:
                cb.write(input)
    echo = ipc.map(1, echo_fn, ca)
    echo.join()
    assert ca.num_items() == 0, 'number of items in channel is incorrect'
    assert cb.num_items() == len(items), 'number of items in channel is incorrect'
    for i in range(len(items)):
        nonblocking = True
        status, item = cb.read(nonblocking)
        assert status == ipc.channel.OPEN
        assert items[i] == item


def test_channel_closed_while_producers_waiting():
    c = ipc.channel()

    def work(c, mapid):
        while True:
            status, data = c.read(False)
            if status == ipc.channel.DRAINED:
                break
            else:
                assert False, 'should not put anything on channel'
    workers = ipc.map(10, work, c)
    time.sleep(0.2)  # allow workers to start and block on read
    c.close()
    # this should not block indefinitely. workers should exit on drained channel.
    workers.join()


def test_channels_as_work_queue():
    toWorkqueue = ipc.channel()  # used to send items to workers
    fromWorkers = ipc.channel()  # used to receive results back from workers
    nItems = 100
    items = []
    for i in range(1, nItems + 1):
        items.append(i)
    # multiple threads can send items to workers
    nWorkloadGenerators = 10

    def generate(toWorkqueue, items, mapid):
        for x in items:
            status = toWorkqueue.write(x)
            assert status == ipc.channel.OPEN
    workloadGenerators = ipc.map(nWorkloadGenerators, generate, toWorkqueue, items)
    # multiple threads can act as workers
    nWorkers = 5

    def work(toWorkqueue, fromWorkers, mapid):
        while True:
            nonblocking = False  # use blocking reads to avoid busy-waiting
            status, item = toWorkqueue.read(nonblocking)
            if status == ipc.channel.DRAINED:
                break
            status = fromWorkers.write(item)
            if status != ipc.channel.OPEN:
                break
    workers = ipc.map(nWorkers, work, toWorkqueue, fromWorkers)
    workloadGenerators.join()
    toWorkqueue.close()
    workers.join()
    assert toWorkqueue.drained()
    assert toWorkqueue.num_items() == 0
    nReturnedItems = nItems * nWorkloadGenerators
    assert fromWorkers.num_items() == nReturnedItems
    fromWorkers.close()
    returnedItems = []
    while True:
        nonblocking = True
        status, item = fromWorkers.read(nonblocking)
        if status == ipc.channel.DRAINED:
            break
        else:
            returnedItems.append(item)
    assert fromWorkers.closed()
    assert fromWorkers.drained()
    assert fromWorkers.num_items() == 0
    assert len(returnedItems) == nReturnedItems
    counts = {}
    for x in returnedItems:
        counts[x] = (counts.get(x) or 0) + 1
    for i in range(1, nItems + 1):
        assert counts[i] == nWorkloadGenerators


def test_ping_pong():
    # 1:1 synchronization between two threads
    c = ipc.channel()
    output = ipc.channel()
    npings = 10

    def ping(c, npings, mapid):
        for i in range(npings):
            c.write('ping?')
        c.close()
    pinger = ipc.map(1, ping, c, npings)

    def pong(c, o, mapid):
        while True:
            nonblocking = False
            status, item = c.read(nonblocking)
            if status == ipc.channel.DRAINED:
                break
            elif item == 'ping?':
                o.write('pong!')
    ponger = ipc.map(1, pong, c, output)
    pinger.join()
    ponger.join()
    output.close()
    outputList = []
    while True:
        nonblocking = True
        status, item = output.read(nonblocking)
        if status == ipc.channel.DRAINED:
            break
        else:
            outputList.append(item)
    assert len(outputList) == npings
    for x in outputList:
        assert x == 'pong!'


# --- what the Lua tests leave implicit -------------------------------------------------------------------

def test_items_are_copies_tables_copied_tensors_shared():
    c = ipc.channel()
    t = torch.zeros(3)
    item = {'list': [1, 2], 't': t}
    c.write(item)
    item['list'].append(3)                    # after the write: the queued copy does not see it
    _, got = c.read(True)
    assert got is not item and got['list'] == [1, 2]
    assert got['t'] is t                      # a tensor (userdata) is shared, as torch-ipc's pointer


def test_a_closure_is_refused_as_channel_c_writes_without_upvalues():
    c = ipc.channel()
    upval = 6
    with pytest.raises(ValueError, match=r'legonn.ipc.channel.write: attempt to serialize closure .* upval'):
        c.write(lambda: upval)
    assert c.num_items() == 0
    c.write(len)                              # a function with no upvalues goes through
    assert c.read(True) == (ipc.channel.OPEN, len)


def test_read_waits_without_spinning_and_wakes_on_write():
    c = ipc.channel()
    got = []
    reader = threading.Thread(target=lambda: got.append(c.read()))
    reader.start()
    time.sleep(0.1)
    assert reader.is_alive() and not got      # blocked in read
    c.write('x')
    reader.join(10)
    assert got == [(ipc.channel.OPEN, 'x')]


def test_a_threads_pool_shares_a_channel_and_a_process_pool_is_refused_by_name():
    c = ipc.channel()
    pool = threads.Threads(3)
    try:
        for i in range(6):
            pool.addjob(lambda i=i: c.write(i * i))
        pool.synchronize(timeout=20)
    finally:
        pool.terminate()
    assert sorted(c.read(True)[1] for _ in range(6)) == [0, 1, 4, 9, 16, 25]
    with pytest.raises(TypeError, match=r'legonn.ipc.channel: cannot be sent to another process'):
        pickle.dumps(c)


@pytest.mark.gpu
def test_a_cuda_tensor_passes_by_reference_through_a_channel_and_a_sharedtable():
    t = torch.randn(4).cuda()
    c = ipc.channel()

    def add_one(c, mapid):
        _, x = c.read()
        x.add(1)                              # in the worker, on the shared CUDA tensor
    worker = ipc.map(1, add_one, c)
    before = t.float().clone()
    c.write(t)
    worker.join()
    assert ((t.float() - before) - 1).abs().max() < 1e-6
    st = ipc.sharedtable({'t': t})
    assert st['t'] is t
