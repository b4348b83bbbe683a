from .log import Log
from .meters import (APMeter, AUCMeter, AverageValueMeter, ClassErrorMeter, ConfusionMeter, Meter,
                     MovingAverageValueMeter, MSEMeter, MultiLabelConfusionMeter, NDCGMeter, PrecisionAtKMeter,
                     PrecisionMeter, RecallMeter, TimeMeter, mAPMeter)
