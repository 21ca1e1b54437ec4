"""The statutory computation (rule set ``law``), as TAX.md describes it step by step.

Written once against an ``ops`` namespace (see ``arith``): ``married`` is a bool,
``children`` and ``salary`` integers, or arrays of them with ``ops = VECTOR``.

``compute`` fills the optional ``trace`` dict with its intermediate values (unrounded, as it
computed them), so that ``explain`` shows the very figures the tax came from.
"""


def child_half_parts(ops, children):
    """Half parts the children add: one each for the first two, two for each further."""
    return children + ops.maximum(children - 2, 0)


def deduction(ops, params, salary):
    """The 10 % deduction, clamped, rounded half up exactly, never above the salary."""
    fraction = params.deduction_fraction
    # round_half_up(salary * p / q) computed in integers: floor((2 * salary * p + q) / 2q)
    rounded = (2 * salary * fraction.numerator + fraction.denominator) // (2 * fraction.denominator)
    clamped = ops.minimum(ops.maximum(rounded, params.deduction_min), params.deduction_max)
    return ops.minimum(clamped, salary)


def scale(ops, params, income, parts):
    """Gross tax for ``parts`` parts: the progressive scale on income / parts, times parts.

    Computed as the sum over slices of rate x (the part of the income in that slice
    widened by ``parts``), which avoids dividing the income.
    """
    tax = 0.0
    bounds = params.brackets
    for i, rate in enumerate(params.rates):
        above = ops.maximum(income - parts * bounds[i], 0)
        if i + 1 < len(bounds):
            above = ops.minimum(above, parts * (bounds[i + 1] - bounds[i]))
        tax = tax + rate * above
    return tax


def marginal_rate(ops, params, income, parts):
    """The rate of the slice the quotient falls in (a quotient on a bound: the lower slice)."""
    rate = params.rates[0]
    for bound, slice_rate in zip(params.brackets[1:], params.rates[1:]):
        rate = ops.where(income > parts * bound, slice_rate, rate)
    return rate


def compute(ops, params, married, children, salary, trace=None):
    adults = ops.where(married, 2, 1)
    half_parts = child_half_parts(ops, children)
    parts = adults + half_parts / 2
    deducted = deduction(ops, params, salary)
    income = salary - deducted

    # Quotient familial, capped: the children's parts may save at most the cap per half part.
    gross = scale(ops, params, income, parts)
    without_children = scale(ops, params, income, adults)
    capped = without_children - params.qf_cap_per_half_part * half_parts
    cap_binds = capped > gross
    tax = ops.maximum(gross, capped)
    rate = ops.where(cap_binds, marginal_rate(ops, params, income, adults),
                     marginal_rate(ops, params, income, parts))

    # Décote: rounded, never below 0, never above the tax.
    ceiling = ops.where(married, params.discount_ceiling_couple, params.discount_ceiling_single)
    discount = ops.maximum(ops.round_half_up(ceiling - params.discount_rate * tax), 0)
    discount = ops.minimum(discount, tax)
    tax_after_discount = tax - discount

    # Low-income reduction (some years only), tapering from full to nothing between limits.
    reduction = 0.0
    full_below = zero_from = share = None
    if params.has_reduction:
        increase = params.reduction_per_half_part * half_parts
        full_below = params.reduction_full_below * adults + increase
        zero_from = params.reduction_zero_from * adults + increase
        share = ops.where(income < full_below, 1.0,
                          ops.where(income < zero_from,
                                    (zero_from - income) / (zero_from - full_below), 0.0))
        reduction = params.reduction_rate * tax_after_discount * share

    if trace is not None:
        trace.update(
            adults=adults, child_half_parts=half_parts, deduction=deducted,
            gross_tax=gross, tax_without_children=without_children,
            cap=params.qf_cap_per_half_part * half_parts, cap_binds=cap_binds,
            tax_after_cap=tax, discount_ceiling=ceiling, discount=discount,
            tax_after_discount=tax_after_discount, reduction_full_below=full_below,
            reduction_zero_from=zero_from, reduction_share=share, reduction=reduction,
        )
    return {
        "tax": ops.as_int(ops.round_half_up(ops.maximum(tax_after_discount - reduction, 0))),
        "surcharge": ops.as_int(ops.round_half_up(tax - gross)),
        "discount": ops.as_int(ops.round_half_up(discount)),
        "reduction": ops.as_int(ops.round_half_up(reduction)),
        "rate": rate,
        "parts": parts,
        "taxable_income": ops.as_int(income),
    }
