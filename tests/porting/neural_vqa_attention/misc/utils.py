"""misc/utils.lua: right_align moves each question's words to the end of its row. The padding is -1, where the
Lua's ``fill(0)`` writes 0: LookupTableMaskZero's padding in legonn (docs/porting.md's index rows)."""


def right_align(sequences, lengths):
    aligned = sequences.clone().fill(-1)

    n = sequences.size(0)  # number of rows
    m = sequences.size(1)  # maximum length

    for i in range(n):
        if lengths[i] > 0:
            aligned[i][m - lengths[i]:m] = sequences[i][0:lengths[i]]

    return aligned
