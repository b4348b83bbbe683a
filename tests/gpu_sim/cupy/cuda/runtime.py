"""cupy.cuda.runtime on the host: one simulated device, and CUDA's error type with its status codes."""
import os

STREAM_CAPTURE_UNSUPPORTED = 900   # cudaErrorStreamCaptureUnsupported
STREAM_CAPTURE_INVALIDATED = 901   # cudaErrorStreamCaptureInvalidated
STREAM_CAPTURE_IMPLICIT = 906      # cudaErrorStreamCaptureImplicit: a blocking call while another stream records

_NAMES = {STREAM_CAPTURE_UNSUPPORTED: 'cudaErrorStreamCaptureUnsupported: operation not permitted when stream is '
                                      'capturing',
          STREAM_CAPTURE_INVALIDATED: 'cudaErrorStreamCaptureInvalidated: operation failed due to a previous error '
                                      'during capture',
          STREAM_CAPTURE_IMPLICIT: 'cudaErrorStreamCaptureImplicit: operation would make the legacy stream depend '
                                   'on a capturing blocking stream'}


class CUDARuntimeError(RuntimeError):
    """CuPy's error for a failed CUDA runtime call; ``status`` is the cudaError_t code."""

    def __init__(self, status):
        self.status = status
        super().__init__(_NAMES.get(status, f'cudaError {status}'))


def getDeviceCount():
    return 1


def getDevice():
    return 0


def setDevice(device):
    if device != 0:
        raise CUDARuntimeError(101)   # cudaErrorInvalidDevice


def runtimeGetVersion():
    return 12080


def driverGetVersion():
    return 12080


def memGetInfo():
    total = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_AVPHYS_PAGES'), total


def getDeviceProperties(device):
    setDevice(device)
    return {'name': b'legonn host simulator (NumPy)', 'totalGlobalMem': memGetInfo()[1], 'major': 9, 'minor': 0,
            'multiProcessorCount': os.cpu_count() or 1}


def deviceSynchronize():
    from .stream import host_sync
    host_sync('cudaDeviceSynchronize')
