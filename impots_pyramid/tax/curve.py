"""The tax as a function of the salary, for one household type: the points of a chart.

``curve(params, married, children, start, stop, step, rules)`` computes, in one call of the
vectorised engine (``calculate_many``, the same figures as ``calculate``), every salary
``start, start + step, ...`` up to ``stop`` (``stop`` included when it falls on the grid), at
most ``MAX_POINTS`` of them. It returns a dict of numpy arrays of one value per salary:

- ``salary`` (int64);
- ``tax``, ``surcharge``, ``discount``, ``reduction`` (int64): ``calculate``'s outputs;
- ``average_rate``: tax / salary (0 at a salary of 0);
- ``marginal_rate``: the engine's ``rate``, the rate of the slice of the scale the
  computation kept (with the quotient familial cap binding, the adults-only one); it does
  not see the décote or the reduction;
- ``slope``: the rise of the tax from this salary to the next one, per euro of salary,
  (tax(salary + step) - tax(salary)) / step, the effective marginal rate on the salary
  (the décote and the reduction make it steeper than ``marginal_rate``; the 10 % deduction
  makes it gentler, 0.9 x the rate between the deduction's bounds). The last point's
  neighbour, stop + step, is computed too, even above the largest salary accepted.

Arrays are not JSON: ``{name: values.tolist() for name, values in curve(...).items()}`` is.

The bounds are checked like the service's inputs: ``InvalidInput`` listing a ``FieldError``
for every bad one, named ``from``, ``to`` and ``step`` as in a query string (also
``married``, ``children`` and ``rules``), the value quoted as received, shortened to 50
characters.
"""
import numpy

from .engine import calculate_many
from .households import (
    MAX_CHILDREN, MAX_SALARY, FieldError, InvalidInput, check_rules_for_year, parse_integer,
    parse_married, parse_rules,
)

MAX_POINTS = 10_001
_SHOWN = 50  # characters of a bad value quoted in an error


def _shortened(error: FieldError) -> FieldError:
    """The error with its value cut to ``_SHOWN`` characters when its text is longer."""
    text = error.value if isinstance(error.value, str) else str(error.value)
    if error.value is None or len(text) <= _SHOWN:
        return error
    return FieldError(error.field, text[:_SHOWN - 1] + "…", error.detail)


def _parse(errors, field, value, parse):
    """parse(value), or None with its errors (or the field's absence) added to ``errors``."""
    if value is None:
        errors.append(FieldError(field, None, "missing"))
        return None
    try:
        return parse(value)
    except InvalidInput as exc:
        errors.extend(_shortened(error) for error in exc.errors)
        return None


def _euros(amount) -> str:
    return f"{amount:,}".replace(",", " ")


def salaries(start, stop, step) -> numpy.ndarray:
    """The salaries of a curve, once its bounds are checked: start..stop by step."""
    return numpy.arange(start, stop + 1, step, dtype=numpy.int64)


def check_bounds(start, stop, step):
    """The three bounds as integers, or InvalidInput naming each bad one (from, to, step)."""
    errors = []
    first = _parse(errors, "from", start, lambda value: parse_integer(
        value, "from", 0, MAX_SALARY, "a whole number of euros"))
    last = _parse(errors, "to", stop, lambda value: parse_integer(
        value, "to", 0, MAX_SALARY, "a whole number of euros"))
    by = _parse(errors, "step", step, lambda value: parse_integer(
        value, "step", 1, MAX_SALARY, "a whole number of euros"))
    if first is not None and last is not None and last < first:
        errors.append(_shortened(FieldError(
            "to", stop, f"at least the value of [from], {_euros(first)}, expected")))
    elif None not in (first, last, by) and (last - first) // by + 1 > MAX_POINTS:
        smallest = -(-(last - first) // (MAX_POINTS - 1))
        errors.append(_shortened(FieldError(
            "step", step, f"at most {_euros(MAX_POINTS)} points: a step of at least "
            f"{_euros(smallest)} expected from {_euros(first)} to {_euros(last)}")))
    if errors:
        raise InvalidInput(errors)
    return first, last, by


def curve(params, married, children, start, stop, step, rules: str = "law") -> dict:
    """The tax of a household type (``married``, ``children``) for the salaries ``start``
    to ``stop`` by ``step``, under ``rules`` for the tax year ``params`` (module docstring)."""
    errors = []
    married = _parse(errors, "married", married, parse_married)
    children = _parse(errors, "children", children,
                      lambda value: parse_integer(value, "children", 0, MAX_CHILDREN))
    rules = _parse(errors, "rules", rules, parse_rules)
    bounds = None
    try:
        bounds = check_bounds(start, stop, step)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if rules is not None:
        try:
            check_rules_for_year(rules, params.tax_year)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)

    start, stop, step = bounds
    salary = salaries(start, stop, step)
    count = len(salary)
    # The points and, for the slope, each point's next neighbour: one engine call.
    both = numpy.concatenate([salary, salary[-1:] + step])
    figures = calculate_many(params, numpy.full(count + 1, married),
                             numpy.full(count + 1, children), both, rules)
    tax = figures["tax"]
    with numpy.errstate(divide="ignore", invalid="ignore"):
        average = numpy.where(salary > 0, tax[:count] / numpy.maximum(salary, 1), 0.0)
    return {
        "salary": salary,
        "tax": tax[:count],
        "surcharge": figures["surcharge"][:count],
        "discount": figures["discount"][:count],
        "reduction": figures["reduction"][:count],
        "average_rate": average,
        "marginal_rate": figures["rate"][:count],
        "slope": numpy.diff(tax) / step,
    }
