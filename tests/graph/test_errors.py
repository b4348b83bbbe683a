"""Bad graphs and bad inputs: clear exceptions naming the node and where it was created
(nngraph's test_debug.lua, test_connectivity.lua and the unused-node cases of test_nngraph.lua)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

HERE = 'test_errors.py:'


def _line(node):
    return f"{HERE}{node.site[1]}"


def test_module_instead_of_node():
    inp1, inp2 = nn.Identity()(), nn.Identity()  # missing second parentheses
    with pytest.raises(TypeError, match=r'inputs\[1\] is an nn module, specifically Identity'):
        nn.gModule([inp1, inp2], [inp1])
    input = nn.Identity()()
    out1, out2 = nn.Linear(20, 10)(input), nn.Sigmoid()(input)
    with pytest.raises(TypeError, match=r'outputs\[2\] is an nn module, specifically Linear\(2 -> 3\).*parentheses'):
        nn.gModule([input], [out1, out2, nn.Linear(2, 3)])
    with pytest.raises(TypeError, match=r'outputs\[1\] is None \(typo / bad index\?\)'):
        nn.gModule([input], [out1, None, out2])
    with pytest.raises(ValueError, match='cannot pass an empty list of outputs'):
        nn.gModule([input], [])


def test_dangling_node_names_its_line():
    input = nn.Identity()()
    lin = nn.Linear(20, 10)(input)
    dangling = nn.Sigmoid()(lin)
    actual = nn.Tanh()(lin)
    with pytest.raises(ValueError, match=rf"Sigmoid, created at .*{_line(dangling)}\] does not connect"):
        nn.gModule([input], [actual])


def test_unused_split_output():
    input = nn.Identity()()
    output, unused = input.split(2)
    with pytest.raises(ValueError, match=rf"1 of split\(2\) outputs from node .*{_line(input)}\], "
                                         rf"split at .*{_line(output)}, are unused"):
        nn.gModule([input], [output])


def test_unused_input_and_unused_node():
    x, h = nn.Identity()(), nn.Identity()()
    with pytest.raises(ValueError, match=rf"input 1 \(node \[Identity, created at .*{_line(h)}\]\) is not used"):
        nn.gModule([x, h], [x])
    in1, in2 = nn.Identity()(), nn.Identity()()
    nn.Sigmoid()(in2)
    with pytest.raises(ValueError, match='is not used by any output'):
        nn.gModule([in1, in2], [nn.Sigmoid()(in1)])


def test_outputs_not_depending_on_inputs():
    x = nn.Identity()()
    stray = nn.Linear(3, 3)()
    out = nn.CAddTable()([nn.Identity()(x), stray])
    with pytest.raises(ValueError, match=rf"Linear\(3 -> 3\), created at .*{_line(stray)}\] has no inputs and is "
                                         "not among the gModule's inputs"):
        nn.gModule([x], [out])


def test_cycle_is_reported():
    x = nn.Identity()()
    a = nn.Tanh()(x)
    b = nn.Sigmoid()(a)
    a.add(b)  # a now feeds on b, which feeds on a
    with pytest.raises(ValueError, match=rf"cycle: .*Tanh, created at .*{_line(a)}"):
        nn.gModule([x], [b])


def test_input_fed_twice():
    x = nn.Identity()()
    with pytest.raises(ValueError, match=rf"{_line(x)}\] is passed twice as an input"):
        nn.CAddTable()([x, x])
    with pytest.raises(ValueError, match=r'inputs\[0\] and inputs\[1\] are the same node'):
        nn.gModule([x, x], [nn.Tanh()(x)])
    y = nn.Identity()()
    fed = nn.Tanh()(y)
    with pytest.raises(ValueError, match=r'input 0 .* has inputs of its own'):
        nn.gModule([fed], [nn.Sigmoid()(fed)])


def test_module_used_by_two_nodes():
    x = nn.Identity()()
    lin = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r'use the same module object'):
        nn.gModule([x], [lin(lin(x))])


def test_wrong_number_of_inputs_at_forward():
    a, b = nn.Identity()(), nn.Identity()()
    g = nn.gModule([a, b], [nn.CAddTable()([a, b])])
    with pytest.raises(ValueError, match=rf"gModule: expected a list of 2 inputs \(for node 3 \[Identity, created at "
                                         rf".*{_line(a)}\].*got a list of 3"):
        g.forward([lg.randn(2), lg.randn(2), lg.randn(2)])
    with pytest.raises(ValueError, match='got a FloatTensor'):
        g.forward(lg.randn(2))
    g.forward([lg.randn(2), lg.randn(2)])
    with pytest.raises(ValueError, match='expected a list of 1 gradOutputs|one per output'):
        g2 = nn.gModule([a2 := nn.Identity()()], [nn.Tanh()(a2), nn.Sigmoid()(a2)])
        g2.forward(lg.randn(2))
        g2.backward(lg.randn(2), [lg.randn(2)])


def test_table_where_a_tensor_is_expected_names_the_node():
    x = nn.Identity()()
    lin = nn.Linear(3, 2)(x)
    lin.annotate(name='proj')
    g = nn.gModule([x], [lin])
    with pytest.raises(TypeError, match=rf"gModule node 1 'proj' \[Linear\(3 -> 2\), created at .*{_line(lin)}\] "
                                        r"Linear\(3 -> 2\): expected a tensor input, got (a )?list"):
        g.forward([lg.randn(3), lg.randn(3)])


def test_split_of_a_tensor_names_the_node():
    x = nn.Identity()()
    first, second = nn.Tanh()(x).split(2)
    g = nn.gModule([x], [nn.CAddTable()([first, second])])
    with pytest.raises(TypeError, match=rf"split\(2\) .*created at .*{_line(first)}\].*expected a table"):
        g.forward(lg.randn(3))


def test_failed_forward_in_nested_and_sequential_names_every_level():
    x = nn.Identity()()
    inner = nn.gModule([x], [nn.Linear(4, 2)(x)])
    y = nn.Identity()()
    outer = nn.gModule([y], [inner(y)])
    seq = nn.Sequential().add(outer)
    with pytest.raises(ValueError) as info:
        seq.forward(lg.randn(5))
    message = str(info.value)
    assert message.startswith('Sequential[0] gModule node 1 [gModule')       # nngraph's ids: the last node is 1
    assert 'gModule node 1 [Linear(4 -> 2)' in message and 'expected 4 input features, got 5' in message


def test_failed_backward_changes_no_gradient():
    x = nn.Identity()()
    lin = nn.Linear(3, 2)
    g = nn.gModule([x], [lin(x)])
    xin = lg.randn(3)
    g.forward(xin)
    g.zeroGradParameters()
    with pytest.raises(ValueError, match=r'Linear\(3 -> 2\): expected gradOutput of size'):
        g.backward(xin, lg.randn(5))
    assert not np.asarray(lin.gradWeight.array).any()


def test_failure_late_in_backward_leaves_gradients_untouched():
    class _FailsBackward(nn.Identity):
        def updateGradInput(self, input, gradOutput):
            raise ValueError('no gradient here')

    x = nn.Identity()()
    first = nn.Linear(3, 3)(x)
    last = nn.Linear(3, 2)(_FailsBackward()(nn.Tanh()(first)))
    g = nn.gModule([x], [last])
    xin = lg.randn(3)
    g.forward(xin)
    g.zeroGradParameters()
    with pytest.raises(ValueError, match=r'FailsBackward.*no gradient here'):
        g.backward(xin, lg.randn(2))
    # the last Linear's gradInput was computed before the failure, but no parameter gradient moved
    for m in (first.module, last.module):
        assert not np.asarray(m.gradWeight.array).any() and not np.asarray(m.gradBias.array).any()


def test_calling_a_module_with_three_data_arguments():
    """Module.lua's __call__ takes (input, gradOutput); a third argument is an error."""
    with pytest.raises(TypeError, match='takes an input and optionally a gradOutput'):
        nn.Tanh()(lg.randn(2), lg.randn(2), lg.randn(2))
