"""tests/test_kwrap.lua: the repository's totem tests of kWrap, kModule and split_transfer, a script; ``main()``
runs its main chunk and returns the tester. Penlight's ``Map{...}``, which legonn's Penlight lacks, is a dict (an
array entry of it under key 0); ``Om{uu='stuff'}`` a dict given to OrderedMap; ``{[id_nn]=...}`` a one-pair dict
keyed by the module. ``tester:asserteq`` of two tables compares them by ``==``, as totem's does by value."""
import legonn as torch
from legonn import nn, totem
from legonn.pl.List import List
from legonn.pl.OrderedMap import OrderedMap

from ..kwrap.kModule import kModule
from ..kwrap.kWrap import kWrap
from ..kwrap.split_transfer import st

Om = OrderedMap
Map = dict

test = torch.TestSuite()
tester = totem.Tester()


@test
def kwrap_submap():
    tester.assert_(kWrap(None, None, None).submap(Om([{'a': 1}, {'b': 2}, {'c': 3}]), {'a': 5, 'b': 6, 'c': 1, 'd': 1},
                                                  'keys'))
    tester.assert_(kWrap(None, None, None).submap(Om([{'a': 1}, {'b': 2}, {'c': 3}]), {'a': 5, 'b': 6, 'c': 1}, 'keys'))
    tester.assert_(not kWrap(None, None, None).submap(Om([{'a': 1}, {'b': 2}, {'c': 3}]), 1, 'keys'))
    tester.assert_(not kWrap(None, None, None).submap(Om([{'a': 1}, {'b': 2}, {'c': 3}]), {'a': 5, 'b': 6}, 'keys'))
    tester.assert_(not kWrap(None, None, None).submap(
        Om([{'b': Om({'bb': 1})}, {'a': Om({'aa': 1})}, {'c': Om({'cc': 'hello'})}]),
        {'a': 5, 'b': 6, 'c': 1, 'd': 1}, 'keys'))
    tester.assert_(kWrap(None, None, None).submap(
        Om([{'b': Om({'bb': 1})}, {'a': Om({'aa': 1})}, {'c': Om({'cc': 'hello'})}]),
        {'a': Om({'aa': 5}), 'b': Om({'bb': 6}), 'c': Om({'cc': 1})}, 'keys'))


@test
def kwrap_split_input():
    kmod = kWrap(None, Om([{'a': 1}, {'b': 2}, {'c': 3}]), None)
    tester.asserteq(kmod.merge_inputs({'a': 5, 'b': 6, 'c': 1}), List([5, 6, 1]))
    kmod = kWrap(None, Om([{'a': Om({'aa': 1})}, {'b': Om({'bb': 1})}, {'c': Om({'cc': 'hello'})}]), None)
    tester.asserteq(kmod.merge_inputs({'a': {'aa': 5}, 'b': {'bb': 6}, 'c': {'cc': 1}}), List([5, 6, 1]))
    kmod = kWrap(None, Om([{'b': Om({'bb': 1})}, {'a': Om({'aa': 1})}, {'c': Om({'cc': 'hello'})}]), None)
    tester.asserteq(kmod.merge_inputs({'a': Om({'aa': 5}), 'b': Om({'bb': 6}), 'c': Om({'cc': 1})}), List([6, 5, 1]))
    kmod = kWrap(None, Om([{'b': Om({'bb': 1})}, {'c': Om({'cc': 'hello'})}, {'a': Om({'aa': 1})}]), None)
    tester.asserteq(kmod.merge_inputs({'a': {'aa': 5}, 'b': {'bb': 6}, 'c': {'cc': 1}}), List([6, 1, 5]))

    # extraneous input
    kmod = kWrap(None, Om([{'a': 'shit'}]), None)
    tester.asserteq(kmod.merge_inputs({'a': 1, 'b': 2, 'c': 3}), List([1]))
    kmod = kWrap(None, Om([{'aa': 'h'}, {'a1': 'foo'}, {'a2': 'bar'}]), None)
    tester.asserteq(kmod.merge_inputs({'aa': 1, 'a1': 2, 'a2': 0, 'c': 8}), List([1, 2, 0]))

    # complex
    kmod = kWrap(None, Om([{'a': List(['aa', 'a1', 'a2'])}, {'b': 'bb'}, {'c': 'cc'}]), None)
    tester.asserteq(kmod.merge_inputs({'a': [0, -1, 'hell'], 'b': 'owo', 'c': 'xyz'}),
                    List([0, -1, 'hell', 'owo', 'xyz']))

    kmod = kWrap(None, Om([{'a': List(['aa', 'a1', 'a2'])},
                           {'b': Om([{'b1': 'b11'},
                                     {'b2': List(['bb', 'bbb', 'bbbb'])}])},
                           {'c': 'cc'}]), None)
    tester.asserteq(kmod.merge_inputs({'a': [0, -1, 'hell'],
                                       'b': {'b1': 9,
                                             'b2': [-2, -3, -9]},
                                       'c': 111}),
                    List([0, -1, 'hell', 9, -2, -3, -9, 111]))


@test
def kwrap_collect_output():
    kmod = kWrap(nn.JoinTable(0), List(['aa', 'a1', 'a2']), Om({'uu': 'stuff'}))
    tester.asserteq(kmod.collect_outputs([1]), Om({'uu': 1}))

    kmod = kWrap(nn.JoinTable(0), List(['aa', 'a1', 'a2']), Om({'uu': 'stuff'}))
    tester.assertError(lambda: kmod.collect_outputs([1, 2, 3, 4]))

    kmod = kWrap(None,
                 Om([{'a': List(['aa', 'a1', 'a2'])}, {'b': 'bb'}, {'c': 'cc'}]),
                 Om([{'x': 'xx'}, {'y': List(['y1', 'y2'])}]))
    tester.asserteq(kmod.collect_outputs([1, 2, 3]),
                    Om([{'x': 1}, {'y': List([2, 3])}]))
    kmod = kWrap(None,
                 Om([{'a': List(['aa', 'a1', 'a2'])}, {'b': 'bb'}, {'c': 'cc'}]),
                 Om([{'x': 'xx'},
                     {'y': List(['y1', 'y2'])},
                     {'z': Om([{'z1': 'zz'},
                               {'z2': Om({'u': List([0, 1, 2])})}])}]))
    tester.asserteq(kmod.collect_outputs([1, 2, 3, 4, 5, 6, 7]),
                    Om([{'x': 1},
                        {'y': List([2, 3])},
                        {'z': Om([{'z1': 4},
                                  {'z2': Om({'u': List([5, 6, 7])})}])}]))


def _transfer_table():
    id_nn = nn.Identity()
    tanh_nn = nn.Tanh()
    transfer_tbl = Om([
        {id_nn: List([3, 5, 1])},
        {tanh_nn: Om([{'u': Om([
            {'hello': 4},
            {'world': 9}
        ])},
            {'v': 6}])}
    ])
    return id_nn, tanh_nn, transfer_tbl


def _expected(id_nn, tanh_nn, input):
    return Om([{id_nn: List([input.narrow(1, 0, 3), input.narrow(1, 3, 5), input.narrow(1, 8, 1)])},
               {tanh_nn: Om([{'u': Om([{'hello': nn.Tanh().forward(input.narrow(1, 9, 4))},
                                       {'world': nn.Tanh().forward(input.narrow(1, 13, 9))}])},
                             {'v': nn.Tanh().forward(input.narrow(1, 22, 6))}])}])


def compare(a, b):
    return torch.max(torch.abs(torch.add(a, -1, b))) < 1e-8


@test
def kwrap_forward():
    kmod = kWrap(nn.JoinTable(0),
                 Om([{'aa': 0}, {'a1': 0}, {'a2': 0}]),
                 Om({'uu': 0}))
    m = Om({'aa': torch.rand(2, 3), 'a1': torch.rand(5, 3), 'a2': torch.rand(5, 3), 'd': 3})
    fd = kmod.forward(m)
    tester.assertTensorEq(fd['uu'], torch.cat([m['aa'], m['a1'], m['a2']], 0), 1e-9)
    tester.asserteq(fd.keys(), List(['uu']))

    # split_transfer
    id_nn, tanh_nn, transfer_tbl = _transfer_table()
    in_ = nn.Identity()()
    outs = st.split_transfer(in_, 1, transfer_tbl)
    net = nn.gModule([in_], st.flatten_values(outs))

    total_size = st.get_total_size(transfer_tbl)
    input = torch.rand(2, total_size)
    kmod = kWrap(net, Om({'all': 0}), transfer_tbl)
    out_om = _expected(id_nn, tanh_nn, input)
    net_out = kmod.forward(Om({'all': input}))
    tester.assert_(kmod.submap(out_om, net_out, compare))
    tester.assert_(kmod.submap(net_out, out_om, compare))
    net_out = kmod.forward(List([input]))
    tester.assert_(kmod.submap(out_om, net_out, compare))
    tester.assert_(kmod.submap(net_out, out_om, compare))


@test
def kwrap_backward():
    id_nn, tanh_nn, transfer_tbl = _transfer_table()
    in_ = nn.Identity()()
    outs = st.split_transfer(in_, 1, transfer_tbl)
    net = nn.gModule([in_], st.flatten_values(outs))

    total_size = st.get_total_size(transfer_tbl)
    input = torch.rand(2, total_size)
    kmod = kWrap(net, Om({'all': 0}), transfer_tbl)
    out_om = _expected(id_nn, tanh_nn, input)
    net_out = kmod.forward(Om({'all': input}))
    tester.assert_(kmod.submap(out_om, net_out, compare))
    tester.assert_(kmod.submap(net_out, out_om, compare))
    gradin = kmod.backward(List([input]), net_out)

    merged_outs = torch.cat(kmod.merge(kmod.output_map, net_out), 1)
    tanh_part = merged_outs.narrow(1, 9, 19)

    tanh_back = (torch.ones(2, 19) - torch.pow(tanh_part, 2)).cmul(tanh_part)
    gradin_c = torch.cat([input.narrow(1, 0, 9),
                          tanh_back], 1)
    tester.assertTensorEq(gradin_c, gradin['all'], 1e-9)


@test
def st_split_sizes_constants():
    tester.asserteq(st.get_split_sizes(Om(
        [
            {'aa':
                Map({
                    'a': Om([
                        {'u': 3},
                        {'v': -1}
                    ]),
                    'b': 2
                })},
            {'bb':
                Map({'c': 5, 'u': 9})},
            {'cc': Map({'h': 3})}])
    ),
        OrderedMap([{'aa': 4}, {'bb': 14}, {'cc': 3}]))


@test
def st_constant_sizes():
    id_nn = nn.Identity()
    tanh_nn = nn.Tanh()
    transfer_tbl = OrderedMap([
        {id_nn: List([3, 5, 1])},
        {tanh_nn: Map({
            0: OrderedMap([{'hello': 4}, {'world': 9}]),
            '!!': 6})}
    ])
    in_ = nn.Identity()()
    outs = st.split_transfer(in_, 1, transfer_tbl)

    net = nn.gModule([in_], st.flatten_values(outs))
    total_size = st.get_total_size(transfer_tbl)
    input = torch.rand(2, total_size)
    net_output = net.forward(input)
    tester.assertTensorEq(input[:, 0:3], net_output[0], 1e-10)
    tester.assertTensorEq(input[:, 3:8], net_output[1], 1e-10)
    tester.assertTensorEq(input[:, 8:9], net_output[2], 1e-10)
    tester.assertTensorEq(tanh_nn.forward(input[:, 9:13]), net_output[3], 1e-10)
    tester.assertTensorEq(tanh_nn.forward(input[:, 13:22]), net_output[4], 1e-10)
    tester.assertTensorEq(tanh_nn.forward(input[:, 22:28]), net_output[5], 1e-10)


@test
def kmodule_forward():
    # split_transfer
    id_nn, tanh_nn, transfer_tbl = _transfer_table()
    in_ = nn.Identity()()
    outs = st.split_transfer(in_, 1, transfer_tbl)
    net = kModule(List([in_]), outs)
    total_size = st.get_total_size(transfer_tbl)
    input = torch.rand(2, total_size)
    out_om = _expected(id_nn, tanh_nn, input)
    net_out = net.forward(List([input]))
    tester.assert_(net.submap(out_om, net_out, compare))
    tester.assert_(net.submap(net_out, out_om, compare))
    gradin = net.backward(List([input]), net_out)
    merged_outs = torch.cat(net.merge(net.output_map, net_out), 1)
    tanh_part = merged_outs.narrow(1, 9, 19)

    tanh_back = (torch.ones(2, 19) - torch.pow(tanh_part, 2)).cmul(tanh_part)
    gradin_c = torch.cat([input.narrow(1, 0, 9),
                          tanh_back], 1)
    tester.assertTensorEq(gradin_c, gradin[0], 1e-9)


def main():
    tester.add(test).run()
    return tester
