"""The course's own algorithm (rule set ``course``), kept for its clients and figures.

It exists for tax year 2019 only. Its figures come from the 2019 row: the deduction
bounds, the quotient familial cap, the décote ceilings and rate, the reduction's upper
income limit and increase per half part. Its two constants of its own follow from them:
the décote applies below ceiling / rate rounded up (1595 / 2627 in 2019, where the décote
would reach 0), and the reduction below the 2019 upper limit per adult (21037 / 42074)
plus the increase per half part.

Like ``law.compute``, ``compute`` fills the optional ``trace`` dict with its intermediate
values, for ``explain``.
"""

from .law import child_half_parts
from .vocabulary import COURSE_TAX_YEAR


def slice_constants(params):
    """The course's per-slice constants c_i = sum over lower slices of bound x rate step.

    Kept to the cent, as the course's data had them (0, 1394.96, 5798, ... for 2019).
    """
    constants, total = [], 0.0
    for i, bound in enumerate(params.brackets):
        if i:
            total += bound * (params.rates[i] - params.rates[i - 1])
        constants.append(round(total, 2))
    return constants


def _tax_for(ops, params, constants, income, parts):
    """floor(R x rate_i - parts x c_i) for the first slice whose upper bound >= R / parts."""
    rate, constant = params.rates[-1], constants[-1]
    quotient = income / parts
    # From the top slice down, so that the first slice that fits wins.
    for i in range(len(params.rates) - 2, -1, -1):
        fits = quotient <= params.brackets[i + 1]
        rate = ops.where(fits, params.rates[i], rate)
        constant = ops.where(fits, constants[i], constant)
    return ops.floor(income * rate - parts * constant), rate


def compute(ops, params, married, children, salary, trace=None):
    if params.tax_year != COURSE_TAX_YEAR:
        raise ValueError(f"course rules exist for tax year {COURSE_TAX_YEAR} only")
    constants = slice_constants(params)
    adults = ops.where(married, 2, 1)
    half_parts = child_half_parts(ops, children)
    parts = adults + half_parts / 2

    # 1. Deduction in the course's order: 10 %, capped, then raised to the minimum.
    deduction = params.deduction_rate * salary
    deduction = ops.minimum(deduction, params.deduction_max)
    deduction = ops.maximum(deduction, params.deduction_min)
    income = ops.floor(salary - deduction)
    surcharge0 = ops.maximum(0, ops.floor(income - (1 - params.deduction_rate) * salary))

    # 2-3. With all the children, then the cap on what they save.
    t1, rate1 = _tax_for(ops, params, constants, income, parts)
    t0, rate0 = _tax_for(ops, params, constants, income, adults)
    t2 = ops.where(children > 0, t0 - params.qf_cap_per_half_part * half_parts, t1)
    keep_t1 = t1 >= t2
    tax = ops.where(keep_t1, t1, t2)
    tax_after_cap = tax
    surcharge = ops.where(keep_t1, surcharge0, t2 - t1 + surcharge0)
    rate = ops.where(keep_t1, rate1, rate0)

    # 4. Décote below the tax where it would reach zero, rounded up.
    ceiling = ops.where(married, params.discount_ceiling_couple, params.discount_ceiling_single)
    applies = tax < ops.ceil(ceiling / params.discount_rate)
    discount = ops.ceil(ops.maximum(ops.minimum(ceiling - params.discount_rate * tax, tax), 0))
    discount = ops.where(applies, discount, 0)
    tax = tax - discount

    # 5. Reduction below the income limit, 20 % rounded up.
    limit = params.reduction_zero_from * adults + params.reduction_per_half_part * half_parts
    reduction = ops.where(income < limit, ops.ceil(params.reduction_rate * tax), 0)
    tax = tax - reduction

    if trace is not None:
        trace.update(
            adults=adults, child_half_parts=half_parts, deduction=deduction,
            gross_tax=t1, tax_without_children=t0,
            cap=params.qf_cap_per_half_part * half_parts, cap_binds=t2 > t1,
            tax_after_cap=tax_after_cap, discount_ceiling=ceiling,
            discount_applies_below=ops.ceil(ceiling / params.discount_rate),
            discount=discount, reduction_limit=limit, reduction=reduction,
            surcharge_of_deduction=surcharge0,
        )

    return {
        "tax": ops.as_int(ops.floor(tax)),
        "surcharge": ops.as_int(surcharge),
        "discount": ops.as_int(discount),
        "reduction": ops.as_int(reduction),
        "rate": rate,
        "parts": parts,
        "taxable_income": ops.as_int(income),
    }

