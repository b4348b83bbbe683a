"""torch-ipc's test/test_cliser.lua, line by line (the client runs in an ``ipc.map`` worker as there; Lua's
``assert`` inside a callback is Python's). testSlowStart's port is the OS's (0: a free one), not 8080."""
import random
import time

import pytest

import legonn as torch
from legonn import ipc


def _testCSN(numClients, callbackS, callbackC, extra=None):
    server, port = ipc.server()

    def worker(port, callbackC, extra, mapid):
        client = ipc.client(port)
        callbackC(client, extra)
        assert client.recv() == "bye"
        client.close()
        return True
    clients = ipc.map(numClients, worker, port, callbackC, extra)
    callbackS(server)
    server.broadcast("bye")
    ret = clients.join()
    server.close()
    assert ret == (True,) * numClients


def _testCS(callbackS, callbackC, extra=None):
    return _testCSN(1, callbackS, callbackC, extra)


def _testT(t0, t1):
    def serve(server):
        def check(client):
            assert not torch.all(torch.eq(t0, t1)), "should not match before recv"
            client.recv(t1)
            assert torch.all(torch.eq(t0, t1)), "should match after recv"
        server.clients(1, check)
    _testCS(serve, lambda client, t2: client.send(t2), t0.float() if t0.type() == 'torch.CudaTensor' else t0)


def _testTF(t0, t1):
    def serve(server):
        def check(client):
            with pytest.raises(ValueError, match='expected a tensor of sizes'):
                client.recv(t1)
        server.clients(1, check)
    _testCS(serve, lambda client, t0: client.send(t0), t0)


def test_listen_and_connect():
    def serve(server):
        def check(client):
            tag = client.recv()
            client.tag(tag)
            assert client.tag() == "hi"
            id = client.recv()
            client.id(id)
            assert client.id() == 42
        server.clients(1, check)

    def talk(client, extra):
        client.send("hi")
        client.send(42)
    _testCS(serve, talk)


def test_slow_start():
    probe, port = ipc.server('127.0.0.1')
    probe.close()    # a port nothing listens on, until the server below
    m = ipc.map(1, lambda port, mapid: ipc.client('127.0.0.1', port), port)
    time.sleep(0.3)
    server = ipc.server('127.0.0.1', port)[0]
    client, = m.join()
    server.clients(1, lambda client: None)
    client.close()
    server.close()


def test_ping_pong():
    def serve(server):
        def check(client):
            m0 = client.recv()
            assert m0 == "ping", "expected a ping"
            client.send("pong")
        server.clients(1, check)

    def talk(client, extra):
        client.send("ping")
        m1 = client.recv()
        assert m1 == "pong", "expected a pong, saw: " + m1
    _testCS(serve, talk)


def test_ping_pong_async():
    def serve(server):
        def check(client):
            m0 = client.recv()
            assert m0 == "ping", "expected a ping"
            time.sleep(0.3)
            client.send("pong")
        server.clients(1, check)

    def talk(client, extra):
        client.send("ping")
        x = 0
        while True:
            m1 = client.recvAsync()
            if m1 is not None:
                assert m1 == "pong", "expected a pong, saw: " + m1
                assert x > 0, "expected some delay"
                break
            x = x + 1
            time.sleep(0.01)   # Lua spins; a pause keeps the server thread running
    _testCS(serve, talk)


def test_broadcast():
    def serve(server):
        def check(client):
            tag = client.recv()
            client.tag(tag)
        server.clients(10, check)
        server.broadcast({'x': "2"}, "2")
        server.broadcast({'x': "3"}, "3")
        server.broadcast({'x': "1"}, "1")
        server.broadcast("bye")

    def talk(client, extra):
        tag = str(random.randint(1, 2))
        client.send(tag)
        msg1 = client.recv()
        assert msg1['x'] == tag
        msg2 = client.recv()
        assert msg2 == "bye"
    _testCSN(10, serve, talk)


def test_recv_any():
    def serve(server):
        server.clients(10, lambda client: None)
        for i in range(10):
            msg, _ = server.recvAny()
            assert msg == "hi"
        server.broadcast("bye")

    def talk(client, extra):
        client.send("hi")
        msg = client.recv()
        assert msg == "bye"
    _testCSN(10, serve, talk)


def test_storage_ping_pong():
    def serve(server):
        def check(client):
            s0 = torch.ByteStorage(4)
            client.recv(s0)
            assert s0.string() == "ping", "expected a ping"
            client.send(torch.ByteStorage().string("pong"))
        server.clients(1, check)

    def talk(client, extra):
        s0 = torch.ByteStorage().string("ping")
        client.send(s0)
        s1 = torch.ByteStorage(4)
        client.recv(s1)
        assert s1.string() == "pong", "expected a pong"
    _testCS(serve, talk)


def test_storage_size_mismatch():
    def serve(server):
        def check(client):
            s0 = torch.ByteStorage(3)
            with pytest.raises(ValueError, match='expected a storage of 3 elements, got a storage of 4'):
                client.recv(s0)
        server.clients(1, check)
    _testCS(serve, lambda client, extra: client.send(torch.ByteStorage().string("ping")))


def test_tensor():
    _testT(torch.randn(5, 6, 7), torch.randn(5, 6, 7))


def test_noncontiguous_tensor_easy():
    _testT(torch.randn(5, 6)[1:4, 1:5], torch.randn(5, 6)[1:4, 1:5])


def test_noncontiguous_tensor_medium():
    _testT(torch.randn(5, 6, 7)[1:4, 1:5, 1:6], torch.randn(5, 6, 7)[1:4, 1:5, 1:6])


def test_noncontiguous_tensor_hard():
    _testT(torch.randn(5, 6, 7, 8)[1:4], torch.randn(5, 6, 7, 8)[1:4])


@pytest.mark.gpu
def test_cuda_tensor():
    _testT(torch.randn(3, 4, 5).cuda(), torch.randn(3, 4, 5).cuda())


@pytest.mark.gpu
def test_noncontiguous_cuda_tensor():
    _testT(torch.randn(8, 7, 6).cuda()[1:7], torch.randn(8, 7, 6).cuda()[1:7])


@pytest.mark.gpu
def test_cuda_storage_ping_pong():
    t0 = torch.randn(3, 3).float()
    t1 = torch.randn(3, 3).cuda()

    def serve(server):
        def check(client):
            assert not torch.all(torch.eq(t0.cuda(), t1))
            client.recv(t1.storage())
            assert torch.all(torch.eq(t0.cuda(), t1)), "should match after recv"
        server.clients(1, check)
    _testCS(serve, lambda client, t0: client.send(t0.storage()), t0)


def test_tensor_zero_sized():
    t0 = torch.randn(0)

    def serve(server):
        def check(client):
            t1 = torch.randn(0)
            client.recv(t1)
            assert t0.nDimension() == t1.nDimension(), "should match after recv"
        server.clients(1, check)
    _testCS(serve, lambda client, t0: client.send(t0), t0)


def test_tensor_num_dimensions_mismatch():
    _testTF(torch.randn(3, 4), torch.randn(3, 5, 6))


def test_tensor_dimension_size_mismatch():
    _testTF(torch.randn(3, 4, 5), torch.randn(3, 5, 5))


def test_serialize():
    server, port = ipc.server()
    t = ipc.map(1, lambda port, mapid: ipc.client(port), port)
    server.clients(1, lambda client: None)
    client, = t.join()
    client.send('hi')
    msg, _ = server.recvAny()
    assert msg == 'hi'
    client.close()
    server.close()


def test_net_stats():
    server, port = ipc.server()
    t = ipc.map(1, lambda port, mapid: ipc.client(port), port)
    server.clients(1, lambda client: None)
    client, = t.join()
    client.send('hi')
    server.recvAny()
    assert client.netStats()['tx']['calls'] == 1 and server.netStats()['rx']['calls'] == 1
    assert client.netStats()['tx']['bytes'] == server.netStats()['rx']['bytes'] > 0
    client.close()
    server.close()


# legonn's own checks


def test_values_round_trip_and_a_tensor_comes_back_as_its_type():
    def serve(server):
        def check(client):
            assert client.recv() == {'q': 'address', 'nodeIndex': 2, 'port': None, 'list': [1, 2.5, True]}
            t = client.recv()
            assert t.type() == 'torch.LongTensor' and t.tolist() == [[1, 2], [3, 4]]
        server.clients(1, check)

    def talk(client, extra):
        client.send({'q': 'address', 'nodeIndex': 2, 'port': None, 'list': [1, 2.5, True]})
        client.send(torch.LongTensor([[1, 2], [3, 4]]))
    _testCS(serve, talk)


def test_a_closed_peer_a_closed_end_and_a_silent_peer_raise(monkeypatch):
    server, port = ipc.server()
    client = ipc.client(port)
    server.clients(1, lambda c: None)
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 0.2)
    with pytest.raises(TimeoutError, match='no message within 0.2 s'):
        ipc.client(port).recv()
    client.close()
    client.close()   # again is harmless
    with pytest.raises(ValueError, match='closed connection'):
        client.send(1)
    with pytest.raises(ConnectionError, match='peer closed'):
        server.clients(lambda c: c.recv())
    server.close()
    assert server.sock is None


def test_clients_order_by_id_and_invert():
    server, port = ipc.server()
    ends = [ipc.client(port) for _ in range(3)]
    order = []
    try:
        server.clients(3, lambda c: None)
        for k, c in enumerate(server._clients):
            c.id(10 - k)
        server.clients(lambda c: order.append(c.id()))
        server.clients(lambda c: order.append(c.id()), 1)
        assert order == [8, 9, 10, 10, 9, 8]
        with pytest.raises(TypeError, match=r'expected \(n, fn\)'):
            server.clients(3)
    finally:
        for end in ends:
            end.close()
        server.close()


def test_a_port_in_use_an_unknown_host_and_a_refused_connect_say_where(monkeypatch):
    server, port = ipc.server('127.0.0.1')
    try:
        with pytest.raises(OSError, match=f'legonn.ipc.server: cannot listen on 127.0.0.1:{port}'):
            ipc.server('127.0.0.1', port)
        with pytest.raises(OSError, match='legonn.ipc.client: cannot connect to no-such-host.invalid:1'):
            ipc.client('no-such-host.invalid', 1)
    finally:
        server.close()
    monkeypatch.setattr(ipc, 'DEFAULT_TIMEOUT', 0.1)
    with pytest.raises(TimeoutError, match=f'nothing listened on 127.0.0.1:{port} within 0.1 s'):
        ipc.client('127.0.0.1', port)
