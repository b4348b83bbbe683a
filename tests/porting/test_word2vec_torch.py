"""rotmanmi/word2vec.torch run through its port, tests/porting/word2vec_torch/ (bintot7.lua and w2vutils.lua; the
package's docstring lists every edit beyond syntax and indices).

Stand-in: GoogleNews-vectors-negative300.bin is a word2vec binary file of seven 300-wide vectors written here in
its layout (an ascii header ``words size``, then each word, a space and its 300 little-endian float32s), with a
UTF-8 word among them. The vectors, nearest neighbours and an analogy are checked against NumPy.
"""
import numpy as np
import pytest

import legonn as lg
from .word2vec_torch import bintot7, w2vutils

WORDS = ['king', 'queen', 'man', 'woman', 'apple', 'café', 'UNK']


def write_bin(path, vectors):
    with open(path, 'wb') as f:
        f.write(b'%d %d\n' % vectors.shape)
        for word, row in zip(WORDS, vectors):
            f.write(word.encode('utf-8') + b' ' + row.astype('<f4').tobytes())


def make_vectors(seed=0):
    """random vectors with a planted analogy: queen - woman + man = king, up to small noise"""
    rs = np.random.RandomState(seed)
    v = rs.randn(len(WORDS), 300).astype(np.float32)
    v[1] = v[0] - v[2] + v[3] + 0.05 * rs.randn(300).astype(np.float32)
    v[6] = 0   # a zero vector: bintot7 leaves it undivided
    return v


def opt_for(tmp_path):
    return {'binfilename': str(tmp_path / 'vectors.bin'), 'outfilename': str(tmp_path / 'word2vec.t7')}


def unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n == 0, v, v / np.where(n == 0, 1, n))


def test_bintot7_reads_the_binary_file_into_unit_rows(tmp_path):
    vectors = make_vectors()
    opt = opt_for(tmp_path)
    write_bin(opt['binfilename'], vectors)
    word2vec = bintot7.main(opt)
    M = word2vec['M']
    assert lg.typename(M) == 'torch.FloatTensor' and M.size() == (7, 300)
    np.testing.assert_allclose(M.numpy(), unit(vectors), rtol=1e-6, atol=1e-7)
    assert word2vec['w2vvocab'] == {w: i for i, w in enumerate(WORDS)}
    assert word2vec['v2wvocab'] == dict(enumerate(WORDS))
    saved = lg.load(opt['outfilename'])
    np.testing.assert_array_equal(saved['M'].numpy(), M.numpy())
    assert saved['w2vvocab'] == word2vec['w2vvocab']


def test_w2vutils_lookups_neighbours_and_analogy_against_numpy(tmp_path):
    vectors = make_vectors(1)
    opt = opt_for(tmp_path)
    write_bin(opt['binfilename'], vectors)
    U = unit(vectors)
    for first in (True, False):   # the binary file converted, then the t7 file it wrote read back
        w2v = w2vutils.require(opt)
        assert lg.typename(lg.Tensor()) == 'torch.FloatTensor'
        hello = w2v['word2vec'](w2v, 'café')
        np.testing.assert_allclose(hello.numpy(), U[5], rtol=1e-6)
        np.testing.assert_array_equal(w2v['word2vec'](w2v, 'nowhere').numpy(), U[6])
        with pytest.raises(AssertionError, match='Word does not exist'):
            w2v['word2vec'](w2v, 'nowhere', True)

        # README's example: the k nearest words of a word's own vector (a row of M, which distance divides by its
        # norm, 1, in place), by cosine
        distances, words = w2v['distance'](w2v, hello, 3)
        np.testing.assert_allclose(w2v['M'][5].numpy(), U[5], rtol=1e-6)
        cos = U @ U[5]
        order = np.argsort(-cos, kind='stable')[:3]
        assert words == [WORDS[j] for j in order] and words[0] == 'café'
        np.testing.assert_allclose(distances, cos[order], rtol=1e-5, atol=1e-6)

        # the analogy queen - woman + man: king first, queen's own neighbours after
        query = w2v['word2vec'](w2v, 'queen') - w2v['word2vec'](w2v, 'woman') + w2v['word2vec'](w2v, 'man')
        expected = query.numpy() / np.linalg.norm(query.numpy())
        distances, words = w2v['distance'](w2v, query, 2)
        cos = U @ expected
        order = np.argsort(-cos, kind='stable')[:2]
        assert words == [WORDS[j] for j in order] and 'king' in words
        np.testing.assert_allclose(distances, cos[order], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(query.numpy(), expected, rtol=1e-6)   # distance divides its argument in place
        assert (tmp_path / 'word2vec.t7').exists()
