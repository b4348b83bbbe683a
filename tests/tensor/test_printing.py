"""print(t) formats like Torch7: one number format per tensor, then the type and size line."""
import pytest

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


def test_slices_of_four_or_more_dimensions_count_the_first_index_fastest():
    """Tensor.lua's Tensor__printTensor (lines 159-177) steps its counter from the first leading index, so
    torch7/doc/tensor.md's 2x1x2x1x2 tensor prints (1,1,1), (2,1,1), (1,1,2), (2,1,2)."""
    heads = [line for line in str(lg.range(1, 8).view(2, 1, 2, 1, 2)).split('\n') if line.endswith(') = ')]
    assert heads == ['(0,0,0,.,.) = ', '(1,0,0,.,.) = ', '(0,0,1,.,.) = ', '(1,0,1,.,.) = ']
    text = repr(lg.range(0, 9999).view(10, 10, 10, 10))
    heads = [line[:-len(',.,.) = ')] for line in text.split('\n') if line.endswith(') = ')]
    assert heads[:7] == ['(0,0', '(1,0', '(2,0', '(7,0', '(8,0', '(9,0', '(0,1']
    assert '\n\n...\n\n(7,0,.,.) = ' in text and '\n\n...\n\n(0,7,.,.) = ' in text


def test_wide_matrix_splits_columns():
    text = str(lg.zeros(1, 30).add(0.5))
    assert text.startswith('Columns 0 to 9\n 0.5000')
    assert 'Columns 20 to 29' in text and text.endswith('[legonn.FloatTensor of size 1x30]')


def test_empty_nan_and_views():
    assert str(lg.Tensor()) == '[legonn.FloatTensor with no dimension]'
    assert str(lg.Tensor(0, 3)) == '[legonn.FloatTensor of size 0x3]'
    # a NaN makes Torch7's min/max NaN, its width '%nan.4f', which Tensor.lua replaces by '%f'
    assert str(lg.Tensor([float('nan'), 1.5])) == 'nan\n1.500000\n[legonn.FloatTensor of size 2]'
    assert str(lg.Tensor([[1, 2], [3, 4]]).t()) == ' 1  3\n 2  4\n[legonn.FloatTensor of size 2x2]'


def test_nan_writes_every_value_with_percent_f_in_one_block():
    # nColumnPerLine is NaN too, so Tensor.lua never cuts the rows into 'Columns' blocks
    t = lg.zeros(2, 30).add(2)
    t[1][29] = float('nan')
    lines = str(t).split('\n')
    assert lines[0] == ' '.join(['2.000000'] * 30)
    assert lines[1] == ' '.join(['2.000000'] * 29 + ['nan'])
    assert lines[2] == '[legonn.FloatTensor of size 2x30]'


def test_infinity_has_an_infinite_exponent():
    # Storage__printformat: inf == ceil(inf) keeps the integer mode and floor(log10(inf)) + 1 is inf > 9,
    # so '%11.4e'; beside a fraction expMax - expMin > 4 gives '%SZ.4e' with SZ 12 as |expMax| > 99
    inf = float('inf')
    assert str(lg.Tensor([1, -inf])) == ' 1.0000e+00\n       -inf\n[legonn.FloatTensor of size 2]'
    assert str(lg.Tensor([0.5, inf])) == '  5.0000e-01\n         inf\n[legonn.FloatTensor of size 2]'


def test_later_column_blocks_of_a_slice_have_no_indent():
    # Tensor__printMatrix writes the indent after each row end but the last, so only the first block's
    # 'Columns' header of a (i,.,.) slice is indented; (80 - 1) // (7 + 1) = 9 columns a block
    text = str(lg.zeros(1, 1, 30).add(0.5))
    assert text.split('\n')[:5] == ['(0,.,.) = ', ' Columns 0 to 8', ' ' + ' '.join([' 0.5000'] * 9), '',
                                     'Columns 9 to 17']


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


def test_storage_prints_as_storage_lua():
    # Storage.__tostring__: Storage__printformat's format for every value, one a line, then the footer
    assert repr(lg.FloatStorage([1.5, 2])) == ' 1.5000\n 2.0000\n[legonn.FloatStorage of size 2]'
    assert repr(lg.LongStorage([1, 2, 300])) == '   1\n   2\n 300\n[legonn.LongStorage of size 3]'
    # expMax = floor(log10(2e-5)) + 1 = -4 < 0: a scale of 10^(expMax - 1)
    assert repr(lg.DoubleStorage([1e-5, 2e-5])) == '1e-05 *\n 1.0000\n 2.0000\n[legonn.DoubleStorage of size 2]'
    assert repr(lg.FloatStorage(0)) == '[legonn.FloatStorage of size 0]'


@pytest.mark.gpu
def test_cuda_storage_and_nan_tensor_print_as_on_the_host():
    t = lg.DoubleTensor([1e-5, 2e-5, float('nan')])
    assert str(t.cuda()) == str(t).replace('DoubleTensor', 'CudaTensor') == \
        '0.000010\n0.000020\nnan\n[legonn.CudaTensor of size 3]'
    long = lg.DoubleTensor(2000).fill(3)
    long[1999] = 0.5
    assert repr(long.cuda().storage()) == repr(long.storage()).replace('DoubleStorage', 'CudaStorage')
    assert repr(long.storage()).split('\n')[2:8] == [' 3.0000', '...', ' 3.0000', ' 3.0000', ' 0.5000',
                                                      '[legonn.DoubleStorage of size 2000]']
