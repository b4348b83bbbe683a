"""The dataset loaders on tiny files of the formats dataload's downloads give (loadMNIST.lua, loadCIFAR10.lua,
loadPTB.lua, loadSentiment140.lua, loadGBW.lua), buildBigrams.lua and utils.lua's text helpers; test.lua's
``dltest.load*``/``dltest.buildBigrams`` checks at this scale. Nothing is downloaded."""
import time

import numpy as np
import pytest

from legonn import dataload as dl
from tests.serialization.test_t7 import T7


def write_t7(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(T7().value(value).bytes())


def lua_list(*values):
    return {i + 1: v for i, v in enumerate(values)}


def lua_rescale(x, lo, hi):
    """utils.lua dl.rescale in the tensor's own type: add(-dmin), mul(range), mul(1/drange), add(min)."""
    dmin, dmax = x.min(), x.max()
    t = x.dtype.type
    return (((x - t(dmin)) * t(hi - lo)) * t(1 / (float(dmax) - float(dmin)))) + t(lo)


def test_load_mnist(tmp_path):
    """loadMNIST.lua on train.th7/test.th7 ({images, labels} tables): images n x 1 x 28 x 28 rescaled to
    [0, 1], targets the digits (0-based: no ``targets:add(1)``), the train file split 5/6 : 1/6 sharing one
    storage, classes 0..9 (test.lua dltest.loadMNIST's checks)."""
    rng = np.random.default_rng(0)
    train_x = rng.integers(0, 256, (12, 28, 28)).astype(np.float64)
    train_y = rng.integers(0, 10, 12).astype(np.uint8)
    test_x = rng.integers(0, 256, (6, 28, 28)).astype(np.uint8)
    test_y = rng.integers(0, 10, 6).astype(np.uint8)
    write_t7(tmp_path / 'train.th7', lua_list(train_x, train_y))
    write_t7(tmp_path / 'test.th7', lua_list(test_x, test_y))
    train, valid, test = dl.loadMNIST(str(tmp_path))
    assert (train.size(), valid.size(), test.size()) == (10, 2, 6)
    assert train.inputs.storage() is valid.inputs.storage()
    assert train.isize() == [1, 28, 28] and train.tsize() == [] and train.isize(False) == [10, 1, 28, 28]
    expected = lua_rescale(train_x, 0, 1).reshape(12, 1, 28, 28)
    np.testing.assert_allclose(train.inputs.numpy(), expected[:10], rtol=0, atol=1e-15)
    np.testing.assert_allclose(valid.inputs.numpy(), expected[10:], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(train.targets.numpy(), train_y[:10])
    # byte images are made the default float type first (Torch7 would rescale bytes in place)
    assert test.inputs.type() == 'legonn.FloatTensor'
    np.testing.assert_allclose(test.inputs.numpy(), lua_rescale(test_x.astype(np.float32), 0, 1).reshape(6, 1, 28, 28),
                               rtol=0, atol=1e-7)
    assert train.classes == list(range(10)) and valid.classes is train.classes
    inputs, targets = train.sub(0, 4)
    assert inputs.size() == (5, 1, 28, 28) and 0 <= targets.numpy().min() and targets.numpy().max() <= 9


def test_load_mnist_without_files_says_where_to_put_them(tmp_path):
    """loadMNIST.lua downloads mnist4.zip; legonn names the folder and the files instead."""
    with pytest.raises(FileNotFoundError, match=r"dataload.loadMNIST: expected train.th7, test.th7 in .*mnist4.zip"):
        dl.loadMNIST(str(tmp_path))


def test_load_cifar10(tmp_path):
    """loadCIFAR10.lua: five data_batch_i.t7 and test_batch.t7 ({data 3072 x n, labels 1 x n}) joined along
    the samples, transposed to n x 3 x 32 x 32 floats rescaled to [0, 1]; targets 0-based floats."""
    rng = np.random.default_rng(1)
    folder = tmp_path / 'cifar-10-batches-t7'
    data, labels = [], []
    for i in range(6):
        d = rng.integers(0, 256, (3072, 2)).astype(np.uint8)
        lab = rng.integers(0, 10, (1, 2)).astype(np.uint8)
        name = f'data_batch_{i + 1}.t7' if i < 5 else 'test_batch.t7'
        write_t7(folder / name, {'data': d, 'labels': lab, 'batch_label': name})
        data.append(d)
        labels.append(lab)
    train, valid, test = dl.loadCIFAR10(str(tmp_path))
    assert (train.size(), valid.size(), test.size()) == (8, 2, 2)
    images = np.concatenate(data[:5], 1).T.astype(np.float32)
    expected = lua_rescale(images, 0, 1).reshape(10, 3, 32, 32)
    np.testing.assert_allclose(train.inputs.numpy(), expected[:8], rtol=0, atol=1e-7)
    np.testing.assert_array_equal(valid.targets.numpy(), np.concatenate(labels[:5], 1)[0, 8:].astype(np.float32))
    assert test.inputs.size() == (2, 3, 32, 32) and train.classes[0] == 'airplane'
    with pytest.raises(ValueError, match=r"dataload.loadCIFAR10: .*test_batch.t7 should hold a table with the "
                                         r"tensor 'labels'"):
        write_t7(folder / 'test_batch.t7', {'data': data[5]})
        dl.loadCIFAR10(str(tmp_path))


PTB = {'train': " the cat sat on the mat \n the dog sat \n a cat ran on \n",
       'valid': " the cat ran \n",
       'test': " a dog sat on the mat \n"}


def write_ptb(folder):
    for which, text in PTB.items():
        (folder / f'ptb.{which}.txt').write_text(text)


def test_load_ptb(tmp_path):
    """loadPTB.lua: newlines become <eos>, words split on white space, the vocabulary of the training words in
    sorted order (0-based ids, no <OOV>), SequenceLoaders of each batch size; test.lua dltest.loadPTB:
    train:size() == floor(textsize / batchsize) - 1."""
    write_ptb(tmp_path)
    train, valid, test = dl.loadPTB([2, 1, 3], str(tmp_path))
    tokens = PTB['train'].replace('\n', '<eos>').split()
    assert train.ivocab == sorted(set(tokens)) and '<OOV>' not in train.vocab
    assert sum(train.wordfreq[w] for w in train.vocab) == len(tokens)
    assert train.size() == len(tokens) // 2 - 1
    ids = [train.ivocab.index(w) for w in tokens]
    steps = len(tokens) // 2
    np.testing.assert_array_equal(train.data.numpy(), np.array(ids[:2 * steps]).reshape(2, steps).T)
    assert valid.vocab is train.vocab and test.ivocab is train.ivocab
    assert [valid.ivocab[i] for i in valid.data.numpy()[:, 0]] == ['the', 'cat', 'ran', '<eos>']
    assert test.data.size() == (7 // 3, 3)   # "a dog sat on the mat <eos>"
    # one batch size for the three, a whole-number float as Lua's numbers are (refused before)
    assert [s.batchsize for s in dl.loadPTB(2.0, str(tmp_path))] == [2, 2, 2]


def test_load_ptb_refuses_unknown_words_without_oov(tmp_path):
    """utils.lua text2tensor asserts an <OOV> word for a word the vocabulary lacks."""
    write_ptb(tmp_path)
    (tmp_path / 'ptb.valid.txt').write_text(' the zebra \n')
    with pytest.raises(ValueError, match=r"dataload.loadPTB: .*ptb.valid.txt: dataload.text2tensor: 'zebra' is not in "
                                         r"the vocabulary"):
        dl.loadPTB(1, str(tmp_path))


@pytest.mark.parametrize('text, error', [(' the \n', 'SequenceLoader: a sequence of 2 steps makes fewer than 2'),
                                         ('  ', 'holds no words')], ids=['short', 'empty'])
def test_load_ptb_names_the_file_too_short_for_its_batch(tmp_path, text, error):
    """A PTB file too short for its batch size is refused naming the file (SequenceLoader's message named only the
    class: which of the three files was it?); a file of no words too (text2tensor's TypeError said "a non-empty
    list of strings")."""
    write_ptb(tmp_path)
    (tmp_path / 'ptb.test.txt').write_text(text)
    with pytest.raises(ValueError, match=rf"dataload.loadPTB: .*ptb.test.txt: {error}"):
        dl.loadPTB(2, str(tmp_path))


def test_load_ptb_refuses_bytes_that_are_not_utf8(tmp_path):
    """A PTB file with a byte that is not UTF-8 (the fuzzer's mutation: 0xc7 inside a word) is a ValueError naming
    the loader, the file and the byte (was Python's bare UnicodeDecodeError)."""
    write_ptb(tmp_path)
    (tmp_path / 'ptb.valid.txt').write_bytes(b' the c\xc7t \n')
    with pytest.raises(ValueError, match=r"dataload.loadPTB: .*ptb.valid.txt: byte 6 \(0-based\) is not UTF-8"):
        dl.loadPTB(1, str(tmp_path))


def test_build_bigrams(tmp_path):
    """buildBigrams.lua: for each input word, its next words and their frequencies normalised (counted in plain
    loops over SequenceLoader's columns)."""
    write_ptb(tmp_path)
    train, _, _ = dl.loadPTB(2, str(tmp_path))
    bigrams = dl.buildBigrams(train)
    counts = {}
    data = train.data.numpy()
    for t in range(train.size()):
        for col in range(2):
            after = counts.setdefault(int(data[t, col]), {})
            after[int(data[t + 1, col])] = after.get(int(data[t + 1, col]), 0) + 1
    assert set(bigrams) == set(counts)
    for word, after in counts.items():
        got = dict(zip(bigrams[word]['index'].tolist(), bigrams[word]['prob'].tolist()))
        total = sum(after.values())
        assert got == pytest.approx({w: n / total for w, n in after.items()}, abs=1e-7)
        assert bigrams[word]['prob'].type() == 'legonn.FloatTensor'


def test_build_vocab_with_a_minimum_frequency():
    """utils.lua dl.buildVocab(tokens, minfreq): rarer words are counted together as a last <OOV> word;
    text2tensor maps unknown words to it."""
    vocab, ivocab, wordfreq = dl.buildVocab(['b', 'a', 'b', 'c', 'b', 'a'], 2)
    assert ivocab == ['a', 'b', '<OOV>'] and vocab == {'a': 0, 'b': 1, '<OOV>': 2}
    assert wordfreq == {'a': 2, 'b': 3, 'c': 1, '<OOV>': 1}
    assert dl.text2tensor(['a', 'z', 'b'], vocab).tolist() == [0, 2, 1]
    assert dl.splitString('a:b::c') == ['a', 'b', 'c'] and dl.splitString('x y', ' ') == ['x', 'y']
    with pytest.raises(TypeError, match="dataload.buildVocab: expected a non-empty list of strings"):
        dl.buildVocab('abc')


def test_uniqueid_counts_its_calls():
    """utils.lua dl.uniqueid(namespace, separator): namespace, os.time() and a counter of the calls, joined;
    the namespace defaults to dl.hostname() (rnn's examples name runs 'ptb:' .. dl.uniqueid())."""
    first, second = dl.uniqueid('ptb'), dl.uniqueid('ptb', '/')
    name, seconds, n = first.split(':')
    assert name == 'ptb' and abs(int(seconds) - time.time()) < 5
    assert second.split('/')[2] == str(int(n) + 1)
    assert dl.uniqueid().startswith(dl.hostname() + ':')


def tweet(polarity, text):
    return f'"{polarity}","1","Mon Apr 06 22:19:45 PDT 2009","NO_QUERY","user","{text}"\r\n'


def test_sentiment140_loader(tmp_path):
    """loadSentiment140.lua Sentiment140Loader: fields between quotes and commas, polarity 0 -> class 0 and
    4 -> class 1 (Torch7: 1, 2), neutral tweets left out, words right-aligned in maxlen ids (padding -1,
    <OOV> 0: Torch7's 0 and 1), long tweets truncated; the vocabulary of words seen minfreq times, sorted after
    <OOV>, and the unigram counts."""
    path = tmp_path / 'tokens.csv'
    path.write_text(tweet(0, 'good day') + tweet(2, 'so so so so') + tweet(4, 'a good good day today')
                    + tweet(4, 'day'))
    loader, maxlen = dl.Sentiment140Loader(str(path), 2, 4)
    assert maxlen == 4
    assert loader.ivocab == ['<OOV>', 'day', 'good', 'so'] and loader.vocab['good'] == 2
    np.testing.assert_array_equal(loader.unigram.numpy(), [2, 3, 3, 4])
    np.testing.assert_array_equal(loader.inputs.numpy(), [[-1, -1, 2, 1], [0, 2, 2, 1], [-1, -1, -1, 1]])
    np.testing.assert_array_equal(loader.targets.numpy(), [0, 1, 1])
    other, _ = dl.Sentiment140Loader(str(path), loader.vocab, 2)
    np.testing.assert_array_equal(other.inputs.numpy(), [[2, 1], [0, 2], [-1, 1]])
    # a whole-number float, as Lua's numbers are (refused before)
    assert dl.Sentiment140Loader(str(path), loader.vocab, 2.0)[0].inputs.tolist() == other.inputs.tolist()
    path.write_text(tweet(3, 'odd'))
    with pytest.raises(ValueError, match="dataload.Sentiment140Loader: .* line 1: unrecognised polarity 3"):
        dl.Sentiment140Loader(str(path), 1)
    # the fuzzer's polarities past a double or infinite (were a bare OverflowError from int(float(...)))
    for polarity in ('1e999', '-inf', 'nan'):
        path.write_text(tweet(0, 'good') + tweet(polarity, 'odd'))
        with pytest.raises(ValueError, match=f"dataload.Sentiment140Loader: .* line 2: polarity '{polarity}' is "
                                             "not a number"):
            dl.Sentiment140Loader(str(path), 1)


def test_words_are_cut_at_lua_white_space_only(tmp_path):
    """Sentiment140Loader's gmatch('[^%s]+') and loadPTB's stringx.split cut words at Lua's %s, C's isspace:
    ASCII space, tab, newline, CR, form feed and vertical tab. A no-break space (U+00A0, frequent in tweets), an
    em space or \\x1c stay inside a word (str.split() cut there, adding words the Lua never sees)."""
    path = tmp_path / 'tokens.csv'
    path.write_text(tweet(0, 'good\xa0day x\x1cy') + tweet(4, 'good\u2003day\tgood\x0bday'), encoding='utf-8')
    loader, _ = dl.Sentiment140Loader(str(path), 1, 4)
    assert loader.ivocab == ['<OOV>', 'day', 'good', 'good\xa0day', 'good\u2003day', 'x\x1cy']
    np.testing.assert_array_equal(loader.inputs.numpy(), [[-1, -1, 3, 5], [-1, 4, 2, 1]])
    write_ptb(tmp_path)
    (tmp_path / 'ptb.train.txt').write_text(' the\xa0cat sat \n the\x1fcat\fran \n', encoding='utf-8')
    (tmp_path / 'ptb.valid.txt').write_text(' sat \n', encoding='utf-8')
    (tmp_path / 'ptb.test.txt').write_text(' ran \n', encoding='utf-8')
    train, _, _ = dl.loadPTB(1, str(tmp_path))
    assert train.ivocab == ['<eos>', 'ran', 'sat', 'the\x1fcat', 'the\xa0cat']


def test_text_files_are_read_as_lua_reads_them(tmp_path):
    """Lua's io.lines (Sentiment140Loader) ends a line at \\n only and pl.file.read (loadPTB) keeps the bytes: a
    carriage return stays in the text, where Lua's %s makes it white space. Python's universal newlines cut a
    tweet holding a CR in two (a ValueError: the second half has no 6 fields), and turned a PTB file's \\r\\n
    into '<eos>' glued to the word before it (' cat\\r\\n sat': 'cat', '<eos>', 'sat' in the Lua)."""
    path = tmp_path / 'tokens.csv'
    path.write_bytes((tweet(0, 'good\rday') + tweet(4, 'day')).encode())
    loader, _ = dl.Sentiment140Loader(str(path), 1, 3)
    assert loader.ivocab == ['<OOV>', 'day', 'good']
    np.testing.assert_array_equal(loader.inputs.numpy(), [[-1, 2, 1], [-1, -1, 1]])
    write_ptb(tmp_path)
    (tmp_path / 'ptb.train.txt').write_bytes(b' the cat\r\n sat\rran \n')
    (tmp_path / 'ptb.test.txt').write_text(' ran \n')
    train, _, _ = dl.loadPTB(1, str(tmp_path))
    assert [train.ivocab[i] for i in train.data.numpy()[:, 0]] == ['the', 'cat', '<eos>', 'sat', 'ran', '<eos>']


def test_load_sentiment140(tmp_path):
    """loadSentiment140.lua: the train file shuffled then split 7/8 : 1/8, the test file with the train
    vocabulary; every loader has vocab, ivocab, unigram and tensor2text (test.lua dltest.loadSentiment140:
    targets within the two classes)."""
    train_lines = [tweet(4 * (i % 2), f'w{i % 3} common') for i in range(16)]
    (tmp_path / 'traintokens.1600000.processed.noemoticon.csv').write_text(''.join(train_lines))
    (tmp_path / 'testtokens.manual.2009.06.14.csv').write_text(tweet(0, 'w1 unseen common') + tweet(2, 'w0'))
    train, valid, test = dl.loadSentiment140(str(tmp_path), 1, 5, progress=False)
    assert (train.size(), valid.size(), test.size()) == (14, 2, 1)
    assert train.targets.numpy().min() == 0 and train.targets.numpy().max() == 1
    assert test.ivocab is train.ivocab and valid.unigram is train.unigram
    assert test.tensor2text(test.inputs[0]) == 'w1 <OOV> common'
    with pytest.raises(FileNotFoundError, match="dataload.loadSentiment140: expected traintokens"):
        dl.loadSentiment140(str(tmp_path / 'none'))


GBW_WORDS = ['<UNK>', '<S>', '</S>', 'the', 'cat', 'sat', 'dog', 'ran']


def write_gbw(folder, trainfile='train_tiny.th7'):
    # 1-based ids: "the cat sat </S>" starts at row 1, "dog ran </S>" at row 5, "the dog sat </S>" at row 8
    sentences = [[4, 5, 6, 3], [7, 8, 3], [4, 7, 6, 3]]
    rows, start = [], 1
    for s in sentences:
        rows += [[start, w] for w in s]
        start += len(s)
    write_t7(folder / trainfile, np.array(rows, dtype=np.int64))
    write_t7(folder / 'valid_data.th7', np.array([[1, 7], [1, 3]], dtype=np.int64))
    write_t7(folder / 'test_data.th7', np.array([[1, 4], [1, 3]], dtype=np.int64))
    write_t7(folder / 'word_map.th7', lua_list(*GBW_WORDS))
    write_t7(folder / 'word_freq.th7', np.arange(len(GBW_WORDS), dtype=np.int64))
    return sentences


def test_load_gbw(tmp_path):
    """loadGBW.lua MultiSequenceGBW: the n x 2 tensor (sentence start row, word id; 1-based) cut into
    sentences each led by <S>, ids 0-based; test.lua dltest.loadGBW reads a column's words back as text."""
    sentences = write_gbw(tmp_path)
    train, valid, test = dl.loadGBW([1, 1, 1], 'train_tiny.th7', str(tmp_path), verbose=False)
    assert train.ivocab == GBW_WORDS and train.vocab['<S>'] == 1 and valid.wordfreq is train.wordfreq
    assert [s.tolist() for s in train.sequences] == [[1] + [w - 1 for w in s] for s in sentences]
    assert train.sequences[0].storage() is train.sequences[2].storage()
    words = [train.ivocab[i] for _, inputs, _ in train.subiter(4) for i in inputs.numpy()[:, 0] if i >= 0]
    assert ' '.join(words) == '<S> the cat sat <S> dog ran <S> the dog sat'
    assert [s.tolist() for s in test.sequences] == [[1, 3, 2]]


def test_load_gbw_reads_the_lua_cache(tmp_path):
    """loadGBW.lua: a ``.cache.t7`` (the saved list of 1-based sentences) is read instead of the raw file."""
    write_gbw(tmp_path)
    write_t7(tmp_path / 'train_tiny.cache.t7', lua_list(np.array([2, 5, 3], dtype=np.int64)))
    train, _, _ = dl.loadGBW(2, 'train_tiny.th7', str(tmp_path), verbose=False)
    assert [s.tolist() for s in train.sequences] == [[1, 4, 2]]


def test_loaders_refuse_bad_batch_sizes(tmp_path):
    """loadPTB.lua/loadGBW.lua assert a number or a table of numbers."""
    with pytest.raises(TypeError, match=r"dataload.loadPTB: batchsize must be an integer or a list of three"):
        dl.loadPTB([1, 2], str(tmp_path))
    with pytest.raises(ValueError, match="dataload.loadGBW: batchsize must be positive, got 0"):
        dl.loadGBW(0, datapath=str(tmp_path))
