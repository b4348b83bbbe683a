"""print(t) formats like Torch7: one number format per tensor, then the type and size line."""
import legonn as lg


def test_integer_matrix():
    assert str(lg.Tensor([[1, 2, 3], [4, 5, 6]])) == (
        ' 1  2  3\n'
        ' 4  5  6\n'
        '[legonn.FloatTensor of size 2x3]')


def test_vector_is_a_column():
    assert repr(lg.LongTensor([-3, 12])) == ' -3\n 12\n[legonn.LongTensor of size 2]'


def test_fractions_four_decimals():
    assert str(lg.DoubleTensor([[0.5, -1.25], [2.0, 3.125]])) == (
        ' 0.5000 -1.2500\n'
        ' 2.0000  3.1250\n'
        '[legonn.DoubleTensor of size 2x2]')


def test_common_scale_for_large_close_values():
    assert str(lg.DoubleTensor([[123456.5, 234567.25]])) == (
        '100000 *\n'
        '  1.2346  2.3457\n'
        '[legonn.DoubleTensor of size 1x2]')
    assert str(lg.DoubleTensor([0.001, 0.0025])) == '0.001 *\n 1.0000\n 2.5000\n[legonn.DoubleTensor of size 2]'


def test_exponent_notation_for_spread_values():
    assert str(lg.DoubleTensor([1.5, 1e6])) == ' 1.5000e+00\n 1.0000e+06\n[legonn.DoubleTensor of size 2]'


def test_three_dimensional_slices_are_zero_based():
    text = str(lg.range(0, 7).view(2, 2, 2))
    assert text == ('(0,.,.) = \n'
                    '  0  1\n'
                    '  2  3\n'
                    '\n'
                    '(1,.,.) = \n'
                    '  4  5\n'
                    '  6  7\n'
                    '[legonn.FloatTensor of size 2x2x2]')


def test_wide_matrix_splits_columns():
    text = str(lg.zeros(1, 30).add(0.5))
    assert text.startswith('Columns 0 to 9\n 0.5000')
    assert 'Columns 20 to 29' in text and text.endswith('[legonn.FloatTensor of size 1x30]')


def test_empty_nan_and_views():
    assert str(lg.Tensor()) == '[legonn.FloatTensor with no dimension]'
    assert str(lg.Tensor(0, 3)) == '[legonn.FloatTensor of size 0x3]'
    assert str(lg.Tensor([float('nan'), 1.5])) == '    nan\n 1.5000\n[legonn.FloatTensor of size 2]'
    assert str(lg.Tensor([[1, 2], [3, 4]]).t()) == ' 1  3\n 2  4\n[legonn.FloatTensor of size 2x2]'


def test_large_matrix_is_summarised_with_the_full_size_in_the_footer():
    text = repr(lg.range(0, 999999).view(1000, 1000))
    lines = text.split('\n')
    assert lines[0].split() == ['0', '1', '2', '...', '997', '998', '999']
    assert lines[3] == '...'
    assert lines[-2].split() == ['999000', '999001', '999002', '...', '999997', '999998', '999999']
    assert lines[-1] == '[legonn.FloatTensor of size 1000x1000]'
    assert len(lines) == 8


def test_large_vector_and_3d_tensor_summarised():
    lines = [line.strip() for line in repr(lg.range(0, 4999)).split('\n')]
    assert lines == ['0', '1', '2', '...', '4997', '4998', '4999', '[legonn.FloatTensor of size 5000]']
    text = repr(lg.range(0, 9999).view(10, 10, 100))
    heads = [line for line in text.split('\n') if line.endswith(',.,.) = ')]
    assert [h.split(',')[0] for h in heads] == ['(0', '(1', '(2', '(7', '(8', '(9']
    assert '\n\n...\n\n(7,.,.) = ' in text
    assert text.endswith('[legonn.FloatTensor of size 10x10x100]')


def test_threshold_sized_tensor_prints_whole():
    text = repr(lg.range(0, 999))
    assert '...' not in text and len(text.split('\n')) == 1001
