"""bintot7.lua: reads a word2vec binary file (GoogleNews-vectors-negative300.bin's layout) into a FloatTensor of
unit rows and the two vocabularies, and saves them as a t7 file."""
import legonn as lg

max_w = 50


def readStringv2(file):
    str = []
    for i in range(1, max_w + 1):
        char = file.readChar()

        if char == 32 or char == 10 or char == 0:
            break
        else:
            str.append(char)
    str = lg.CharStorage(str)
    return str.string()


def main(opt):
    file = lg.DiskFile(opt['binfilename'], 'r')

    # Reading Header
    file.ascii()
    words = file.readInt()
    size = file.readInt()

    w2vvocab = {}
    v2wvocab = {}
    M = lg.FloatTensor(words, size)

    # Reading Contents
    file.binary()
    for i in range(words):
        str = readStringv2(file)
        vecrep = file.readFloat(300)
        vecrep = lg.FloatTensor(vecrep)
        norm = lg.norm(vecrep, 2)
        if norm != 0:
            vecrep.div(norm)
        w2vvocab[str] = i
        v2wvocab[i] = str
        M[i:i + 1, :] = vecrep

    # Writing Files
    word2vec = {}
    word2vec['M'] = M
    word2vec['w2vvocab'] = w2vvocab
    word2vec['v2wvocab'] = v2wvocab
    lg.save(opt['outfilename'], word2vec)
    print('Writing t7 File for future usage.')

    return word2vec
