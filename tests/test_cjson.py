"""lua-cjson (the cjson rock: lua_cjson.c's encoder and decoder and its manual's defaults) as legonn.cjson, and
neuraltalk2's misc/utils.lua read_json/write_json ported line by line."""
import numpy as np
import pytest

import legonn as lg
from legonn import cjson


@pytest.fixture(autouse=True)
def default_settings():
    """Each test starts from lua-cjson's defaults and leaves them so."""
    saved = (cjson.encode_sparse_array(), cjson.encode_max_depth(), cjson.encode_number_precision(),
             cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers())
    yield
    cjson.encode_sparse_array(*saved[0])
    cjson.encode_max_depth(saved[1])
    cjson.encode_number_precision(saved[2])
    cjson.encode_invalid_numbers(saved[3])
    cjson.decode_invalid_numbers(saved[4])


def test_encode_values_as_lua_cjson_writes_them():
    """lua_cjson.c json_append_data: null, true/false, numbers with "%.14g", arrays and objects without spaces,
    an empty table as {} (an object)."""
    assert cjson.encode({'a': [1, 2.5, 'x'], 'b': None, 'c': True, 'd': False}) == \
        '{"a":[1,2.5,"x"],"b":null,"c":true,"d":false}'
    assert cjson.encode([]) == '{}' and cjson.encode({}) == '{}' and cjson.encode([[], {}]) == '[{},{}]'
    assert [cjson.encode(x) for x in (0.1, 1 / 3, 3.0, -0.0, 1e300, 10 ** 15, 123456789012345, -7)] == \
        ['0.1', '0.33333333333333', '3', '-0', '1e+300', '1e+15', '1.2345678901234e+14', '-7']
    assert cjson.encode((np.float32(0.5), np.int64(4), np.bool_(True))) == '[0.5,4,true]'
    assert cjson.encode({1: 'a', 2.5: 'b'}) == '{"1":"a","2.5":"b"}'   # number keys as strings


def test_encode_string_escapes():
    """lua_cjson.c char2escape: control characters as \\u00XX except \\b \\t \\n \\f \\r, '"' '\\' and '/'
    backslashed, DEL as \\u007f, everything else (UTF-8) as it is."""
    assert cjson.encode('a/b "q" \\ \b\t\n\f\r \x01\x1f\x7f é') == \
        '"a\\/b \\"q\\" \\\\ \\b\\t\\n\\f\\r \\u0001\\u001f\\u007f é"'


def test_encode_refusals_and_depth():
    """lua_cjson.c: NaN/Inf refused by default ('Cannot serialise number: must not be NaN or Inf'), keys other than
    numbers and strings refused, unsupported types refused, nesting beyond encode_max_depth refused."""
    with pytest.raises(ValueError, match='Cannot serialise number: must not be NaN or Inf'):
        cjson.encode([float('nan')])
    with pytest.raises(TypeError, match='table key must be a number or string, got tuple'):
        cjson.encode({(1, 2): 'x'})
    with pytest.raises(TypeError, match='Cannot serialise FloatTensor: type not supported'):
        cjson.encode({'w': lg.zeros(2)})
    nested = []
    for _ in range(1000):
        nested = [nested or 1]
    cjson.encode(nested)                                    # 1000 levels: the default limit
    with pytest.raises(ValueError, match=r'excessive nesting \(1001\)'):
        cjson.encode([nested])
    assert cjson.encode_max_depth(3) == 3
    with pytest.raises(ValueError, match='excessive nesting'):
        cjson.encode([[[[1]]]])


def test_settings():
    """lua-cjson's configuration functions: called without arguments they return the setting, with arguments they
    set it and return the new value; defaults from the manual (sparse false, 2, 10; depth 1000; precision 14;
    invalid numbers refused on encode, accepted on decode)."""
    assert cjson.encode_sparse_array() == (False, 2, 10)
    assert cjson.encode_sparse_array(True, 2, 10) == (True, 2, 10)     # neuraltalk2's write_json call
    assert cjson.encode_number_precision() == 14 and cjson.encode_number_precision(3) == 3
    assert cjson.encode(1 / 3) == '0.333'
    with pytest.raises(ValueError, match='from 1 to 14, got 15'):
        cjson.encode_number_precision(15)
    assert cjson.encode_invalid_numbers() is False
    cjson.encode_invalid_numbers(True)
    assert cjson.encode([float('nan'), float('inf'), -float('inf')]) == '[NaN,Infinity,-Infinity]'
    cjson.encode_invalid_numbers('null')
    assert cjson.encode([float('nan')]) == '[null]'
    assert cjson.decode('[NaN]')[0] != cjson.decode('[NaN]')[0]
    cjson.decode_invalid_numbers('off')
    with pytest.raises(ValueError, match='NaN is not a number here'):
        cjson.decode('[NaN]')


def test_decode():
    """lua_cjson.c json_decode: objects to tables with keys, arrays to arrays (0-based lists here), null to
    cjson.null (None), escapes (\\/ and \\uXXXX) undone; bytes accepted; errors name the 1-based character."""
    assert cjson.decode('{"a":[1,2.5,"x\\/y",null,true],"b":{}}') == {'a': [1, 2.5, 'x/y', None, True], 'b': {}}
    assert cjson.null is None
    assert cjson.decode('"\\u00e9\\n"') == 'é\n' and cjson.decode(b' [1e2] ') == [100.0]
    assert cjson.decode(cjson.encode({'k': ['a/b', -0.5]})) == {'k': ['a/b', -0.5]}
    with pytest.raises(ValueError, match=r'cjson.decode: Expecting value at character 4'):
        cjson.decode('[1,')
    with pytest.raises(TypeError, match='expected a string of JSON, got int'):
        cjson.decode(3)


# neuraltalk2 misc/utils.lua, ported as the porting rules say
def read_json(path):
    with open(path, 'r') as file:
        text = file.readline()   # Lua's file:read() reads one line
    info = cjson.decode(text)
    return info


def write_json(path, j):
    cjson.encode_sparse_array(True, 2, 10)
    text = cjson.encode(j)
    with open(path, 'w') as file:
        file.write(text)


def test_neuraltalk2_read_write_json(tmp_path):
    """neuraltalk2 misc/utils.lua read_json/write_json on the data it writes and reads: eval.lua's predictions
    (vis/vis.json), net_utils.lua's val predictions, prepro's ix_to_word and images table."""
    predictions = [{'image_id': 391895, 'caption': 'a man riding a bike', 'file_name': 'val2014/x.jpg'},
                   {'image_id': 522418, 'caption': 'a woman with a "cake"'}]
    path = str(tmp_path / 'vis.json')
    write_json(path, predictions)
    with open(path) as f:
        assert f.read() == ('[{"image_id":391895,"caption":"a man riding a bike","file_name":"val2014\\/x.jpg"},'
                            '{"image_id":522418,"caption":"a woman with a \\"cake\\""}]')
    assert read_json(path) == predictions
    info = {'ix_to_word': {'1': 'a', '2': 'man', '9487': 'UNK'},
            'images': [{'split': 'train', 'file_path': 'coco/1.jpg', 'id': 1}, {'split': 'val', 'id': 2}]}
    (tmp_path / 'data.json').write_text(__import__('json').dumps(info))   # as prepro.py writes it
    loaded = read_json(str(tmp_path / 'data.json'))
    assert loaded == info and loaded['ix_to_word']['9487'] == 'UNK'
    out_struct = {'val_predictions': predictions, 'lang_stats': {'CIDEr': 0.84, 'Bleu_4': 0.27}}
    write_json(str(tmp_path / 'val.json'), out_struct)
    assert read_json(str(tmp_path / 'val.json')) == out_struct
