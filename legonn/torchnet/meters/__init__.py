"""torchnet's meters (meter/*.lua): ``tnt.AverageValueMeter()``, ``tnt.ClassErrorMeter{topk={1, 5}}`` as
``ClassErrorMeter(topk=[1, 5])`` or ``ClassErrorMeter({'topk': [1, 5]})``, ... Class indices are 0-based."""
from .averages import AverageValueMeter, MovingAverageValueMeter, MSEMeter
from .classification import ClassErrorMeter, ConfusionMeter, MultiLabelConfusionMeter
from .meter import Meter
from .precision_at_k import PrecisionAtKMeter
from .ranking import APMeter, AUCMeter, NDCGMeter, mAPMeter
from .thresholds import PrecisionMeter, RecallMeter
from .timemeter import TimeMeter

__all__ = ['Meter', 'APMeter', 'AUCMeter', 'AverageValueMeter', 'ClassErrorMeter', 'ConfusionMeter', 'mAPMeter',
           'MovingAverageValueMeter', 'MSEMeter', 'MultiLabelConfusionMeter', 'NDCGMeter', 'PrecisionAtKMeter',
           'PrecisionMeter', 'RecallMeter', 'TimeMeter']
