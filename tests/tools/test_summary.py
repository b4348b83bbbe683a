"""summary: per-module rows and totals that agree with getParameters and memoryUsage."""
import legonn as lg
from legonn import nn
from legonn.tools import memoryUsage, summary
from tests.tools.models import lenet, lstm_step


def test_lenet_rows_flops_and_totals():
    model = lenet()
    table = summary(model, lg.randn(4, 1, 28, 28))
    assert [r['path'] for r in table.rows] == [f"Sequential[{i}]" for i in range(11)]
    conv1, linear = table.rows[0], table.rows[7]
    assert conv1['output'] == '4x20x24x24' and conv1['params'] == 20 * 25 + 20
    assert conv1['flops'] == 2 * 20 * 25 * 4 * 24 * 24 and linear['flops'] == 2 * 800 * 500 * 4
    assert table.totals['params'] == model.getParameters()[0].nElement() == 431080
    assert table.totals['buffer_bytes'] == memoryUsage(model)['buffers']
    assert table.totals['flops'] == sum(r['flops'] for r in table.rows)
    text = str(table)
    assert text.splitlines()[0].split() == ['path', 'module', 'output', 'params', 'FLOPs', 'buffers', '(KiB)']
    assert 'total' in text and '431,080' in text


def test_shared_parameters_count_once_as_in_get_parameters():
    first = nn.Linear(3, 3)
    model = nn.Sequential().add(first).add(nn.Tanh()).add(first.clone('weight', 'bias', 'gradWeight', 'gradBias'))
    table = model.summary(lg.randn(2, 3))
    assert [r['params'] for r in table.rows] == [12, 0, 12]
    assert table.totals['params'] == 12 == model.getParameters()[0].nElement()


def test_gmodule_rows_name_nodes_and_tables():
    step, make_input = lstm_step()
    table = summary(step, make_input(3))
    assert table.totals['params'] == step.getParameters()[0].nElement()
    assert any("node" in r['path'] and 'created at' in r['path'] for r in table.rows)
    assert any(r['output'].startswith('{') for r in table.rows)   # SplitTable's table output
