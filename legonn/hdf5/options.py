"""``hdf5.DataSetOptions``: how a dataset is written (datasetOptions.lua): chunked, DEFLATE-compressed."""
import numbers

from ..tensor.naming import TorchNamed


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"hdf5.DataSetOptions.{what}: expected positive integers, got {value!r:.40}")
    return int(value)


class DataSetOptions(TorchNamed):
    """``hdf5.DataSetOptions()``: contiguous and uncompressed until ``setChunked`` / ``setDeflate`` say
    otherwise; pass it to ``write``. Both setters return the options, for chaining."""

    def __init__(self):
        self._chunking = None
        self._deflate = None

    def setChunked(self, *sizes):
        """Store the data in chunks of ``sizes`` (one per dimension of the data; a size larger than the
        data's is cut to it when written). A chunked dataset can grow along its first dimension
        (``append``), and only a chunked one can be compressed."""
        if not sizes:
            raise ValueError("hdf5.DataSetOptions.setChunked: expected one chunk size per dimension, got none")
        self._chunking = [_positive_int(size, 'setChunked') for size in sizes]
        return self

    def setDeflate(self, level=None):
        """Compress each chunk with DEFLATE (zlib) at ``level`` 0 to 9 (default 6)."""
        level = 6 if level is None else level
        if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not 0 <= level <= 9:
            raise ValueError(f"hdf5.DataSetOptions.setDeflate: level must be an integer from 0 to 9, got {level!r:.40}")
        self._deflate = int(level)
        return self

    def close(self):
        """torch-hdf5 frees its property list here; these options hold nothing to free."""

    def creation_arguments(self, shape, where):
        """h5py's ``create_dataset`` arguments for data of ``shape`` (datasetOptions.lua's adjustForData: the
        chunking must have one size per dimension, each cut to the data's size; a chunked dataset may grow
        without limit along its first dimension)."""
        if self._chunking is None:
            if self._deflate is not None:
                raise ValueError(f"{where}: setDeflate needs setChunked as well (HDF5 compresses chunks)")
            return {}
        if len(self._chunking) != len(shape):
            raise ValueError(f"{where}: the chunk size has {len(self._chunking)} dimensions; the data has "
                             f"{len(shape)} (sizes {tuple(shape)})")
        arguments = {'chunks': tuple(max(1, min(c, n)) for c, n in zip(self._chunking, shape)),
                     'maxshape': (None,) + tuple(shape[1:])}
        if self._deflate is not None:
            arguments.update(compression='gzip', compression_opts=self._deflate)
        return arguments

    def __repr__(self):
        chunking = 'x'.join(map(str, self._chunking)) if self._chunking else 'none'
        return f"[DataSetOptions: chunking={chunking}]"
