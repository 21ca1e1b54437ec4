"""The few arithmetic operations the rule sets use, for one household or for arrays.

Each rule set is written once against an ``ops`` namespace: ``SCALAR`` runs it on plain
Python numbers (one household, a few microseconds), ``VECTOR`` on numpy arrays (a whole
batch at once, the shape that makes large batches fast). Both run the same lines of code,
so a batch can never disagree with a single calculation.
"""
import math
import types

import numpy

# Amounts computed in floating point sit on a grid of at least 1/100,000 of a euro; this
# margin keeps a value that is mathematically a half from rounding down because of float
# error, and is far below that grid.
_HALF_UP_MARGIN = 1e-6


def _where(condition, if_true, if_false):
    return if_true if condition else if_false


def _round_half_up_scalar(x):
    return math.floor(x + 0.5 + _HALF_UP_MARGIN)


def _round_half_up_vector(x):
    return numpy.floor(x + (0.5 + _HALF_UP_MARGIN))


SCALAR = types.SimpleNamespace(
    where=_where,
    maximum=max,
    minimum=min,
    floor=math.floor,
    ceil=math.ceil,
    round_half_up=_round_half_up_scalar,
    as_int=int,
)

VECTOR = types.SimpleNamespace(
    where=numpy.where,
    maximum=numpy.maximum,
    minimum=numpy.minimum,
    floor=numpy.floor,
    ceil=numpy.ceil,
    round_half_up=_round_half_up_vector,
    as_int=lambda a: numpy.asarray(a).astype(numpy.int64),
)
