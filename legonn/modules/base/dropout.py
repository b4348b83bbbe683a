"""DropoutBase: what Dropout and the plane dropouts (SpatialDropout, VolumetricDropout) share."""
from .elementwise import Elementwise
from .errors import check_probability


class DropoutBase(Elementwise, abstract=True):
    """A random mask in ``noise`` times the input; a subclass's ``_forward`` applies it (or its evaluate-mode
    rule) and the gradient goes through the same map."""

    def setp(self, p):
        self.p = check_probability(type(self).__name__, p)
        return self

    def _backward(self, x, y, gradOutput, gradInput, xp):
        # linear once the mask is drawn: the gradient is gradOutput through the same map
        self._forward(gradOutput, gradInput, xp)

    def clearState(self, *names):
        return super().clearState('noise', *names)
