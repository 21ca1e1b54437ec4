"""The calculation explained: the steps of TAX.md for one household, with their amounts.

``explain(household, params, rules)`` runs the rule set's own ``compute`` (the function
``calculate`` runs, with the same arguments) and reads the intermediate figures it records
in its ``trace``; so ``explain(...)["tax"] == calculate(...).tax`` and every output of
``calculate`` is repeated unchanged. The answer is a dict of plain Python values (JSON-ready):

- ``year``, ``rules``, ``married`` ("yes" / "no"), ``children``, ``salary``: the input.
- ``deduction``: the 10 % deduction; ``taxable_income`` R = salary - deduction (the RFR).
- ``parts`` (a number, e.g. 2.5), ``child_half_parts``, ``quotient``: R / parts (to the cent).
- ``brackets``: one entry per slice of the year's scale, for the quotient, amounts *per
  part* to the cent: ``lower``, ``upper`` (None for the last slice), ``rate``,
  ``taxed_income`` (the part of the quotient inside the slice), ``tax`` (rate x that).
  Their taxes add up to ``gross_tax`` / ``parts`` (give or take their cents' rounding).
- ``gross_tax``: the scale with all parts; ``tax_without_children``: the scale with the
  adults' parts only; ``cap``: the most the children's half parts may save
  (``qf_cap_per_half_part`` x ``child_half_parts``); ``cap_reached``: whether it binds;
  ``tax_after_cap``: the tax after the quotient familial cap (the larger of the gross tax
  and tax_without_children - cap); ``surcharge``: what the cap adds (``calculate``'s).
- ``discount`` (the décote), ``reduction``, ``tax``, ``marginal_rate`` (``calculate``'s
  ``rate``), ``average_rate`` = tax / salary (0 for a salary of 0): fractions, unrounded.
- ``payable``: ``{amount, cehr, collected}``: what the household actually owes, the tax
  plus the high-income contribution on the taxable income (``cehr``), or 0 when that total
  is under the 61 € collection threshold (``collected`` false; see ``payable.py``).
- ``applied``: which rules applied, for a program: ``cap``, ``discount``, ``cehr``,
  ``collected`` (booleans), ``reduction`` ("full", "tapered", "none", or None in a year
  without the reduction).
- ``sentences``: the same in short English sentences, one per rule.

Amounts are whole euros unless said. Under the ``law`` rules the engine keeps cents until
the final tax (TAX.md); ``gross_tax``, ``tax_without_children`` and ``tax_after_cap`` are
its figures rounded to the nearest euro (halves up), like ``surcharge``, ``discount`` and
``reduction``, each on its own: the amounts shown may therefore miss their sum by a euro
(e.g. ``tax_after_cap - discount - reduction`` against ``tax``), the tax being rounded
once, at the end, from the unrounded figures.

Under the ``course`` rules (tax year 2019 only) the same keys hold the course's own steps
(TAX.md, "course"): ``deduction`` is salary - taxable_income, i.e. its 10 % rounded up by
its floor of R (and, as in the course, not limited to the salary: R is negative for a
salary under 437); ``gross_tax`` is its tax(children) and ``tax_without_children`` its
tax(0), both floored; ``tax_after_cap`` the one its step 3 keeps; ``surcharge`` is the
course's, which also counts max(0, R - 0.9 x salary); the décote and reduction are the
course's (its own thresholds, rounded up, no taper: ``applied.reduction`` is "full" or
"none"). The course has no CEHR and no collection threshold: ``payable`` applies the law's
(the CEHR on the course's taxable income, floored at 0; the 61 € threshold on its tax).
``brackets`` and ``quotient`` are those of the course's R, floored at 0.
"""
from .arith import SCALAR
from .engine import RULE_SETS, TaxResult
from .households import Household, check_rules_for_year
from .payable import cehr, payable_rules


def _euros(amount) -> str:
    """1234567 -> '1 234 567 €', the grouping of the service's messages."""
    return f"{round(amount):,} €".replace(",", " ")


def _percent(rate) -> str:
    return f"{rate * 100:g} %"


def brackets(params, quotient) -> list:
    """The slices of the scale for ``quotient``, per part, to the cent."""
    slices = []
    bounds = params.brackets
    for i, rate in enumerate(params.rates):
        upper = bounds[i + 1] if i + 1 < len(bounds) else None
        inside = max(quotient - bounds[i], 0)
        if upper is not None:
            inside = min(inside, upper - bounds[i])
        slices.append({"lower": bounds[i], "upper": upper, "rate": rate,
                       "taxed_income": float(round(inside, 2)),
                       "tax": float(round(rate * inside, 2))})
    return slices


def explain(household: Household, params, rules: str = "law") -> dict:
    """The steps of the calculation of ``household``'s tax (see the module's docstring)."""
    check_rules_for_year(rules, params.tax_year)
    trace = {}
    result = TaxResult(**RULE_SETS[rules](SCALAR, params, household.married,
                                          household.children, household.salary, trace=trace))
    salary, income = household.salary, result.taxable_income
    if rules == "law":
        deduction = trace["deduction"]
        amounts = {name: SCALAR.round_half_up(trace[name])
                   for name in ("gross_tax", "tax_without_children", "tax_after_cap")}
    else:
        deduction = salary - income
        amounts = {name: int(trace[name])
                   for name in ("gross_tax", "tax_without_children", "tax_after_cap")}

    rules_due = payable_rules(params.tax_year)
    contribution = cehr(SCALAR, rules_due, household.married, max(income, 0))
    total = result.tax + contribution
    collected = total >= rules_due.collection_threshold
    quotient = max(income, 0) / result.parts

    explanation = {
        "year": params.tax_year,
        "rules": rules,
        "married": "yes" if household.married else "no",
        "children": household.children,
        "salary": salary,
        "deduction": int(deduction),
        "taxable_income": income,
        "parts": result.parts,
        "child_half_parts": int(trace["child_half_parts"]),
        "quotient": round(quotient, 2),
        "brackets": brackets(params, quotient),
        **amounts,
        "cap": int(trace["cap"]),
        "cap_reached": bool(trace["cap_binds"]),
        "surcharge": result.surcharge,
        "discount": result.discount,
        "reduction": result.reduction,
        "tax": result.tax,
        "marginal_rate": result.rate,
        "average_rate": result.tax / salary if salary else 0.0,
        "payable": {"amount": total if collected else 0, "cehr": contribution,
                    "collected": collected},
    }
    explain_rules = _law_sentences if rules == "law" else _course_sentences
    applied, sentences = explain_rules(params, household, trace, explanation)
    applied.update(cehr=contribution > 0, collected=collected)
    sentences += _payable_sentences(rules_due, household, explanation)
    explanation["applied"] = applied
    explanation["sentences"] = sentences
    return explanation


def _cap_sentence(household, explanation):
    if household.children == 0:
        return "No children: the quotient familial cap does not apply."
    saving = explanation["tax_without_children"] - explanation["gross_tax"]
    cap = _euros(explanation["cap"])
    if explanation["cap_reached"]:
        return (f"Quotient familial cap reached: the children's half parts would save "
                f"{_euros(saving)}, more than the {cap} they may save; the tax is "
                f"{_euros(explanation['tax_without_children'])} (adults' parts) minus {cap}, "
                f"{_euros(explanation['tax_after_cap'])}.")
    return (f"Quotient familial cap not reached: the children's half parts save "
            f"{_euros(saving)}, at most {cap}; the tax with all parts, "
            f"{_euros(explanation['gross_tax'])}, is kept.")


_NOTHING_LEFT = "The décote leaves nothing for the low-income reduction to take off."


def _nothing_to_reduce(explanation):
    if explanation["tax_after_cap"] == 0:
        return "No tax on the scale: no décote or reduction to take off."
    return None


def _law_sentences(params, household, trace, explanation):
    sentences = [_cap_sentence(household, explanation)]
    reduction = None
    if params.has_reduction:
        share = trace["reduction_share"]
        reduction = "full" if share == 1 else "tapered" if share > 0 else "none"
    applied = {"cap": explanation["cap_reached"], "discount": explanation["discount"] > 0,
               "reduction": reduction}
    nothing = _nothing_to_reduce(explanation)
    if nothing:
        return applied, sentences + [nothing]

    ceiling = trace["discount_ceiling"]
    if explanation["discount"] > 0:
        whole = " (the whole tax)" if trace["discount"] >= trace["tax_after_cap"] else ""
        sentences.append(f"Décote of {_euros(explanation['discount'])}{whole}: "
                         f"{_euros(ceiling)} minus {_percent(params.discount_rate)} of the "
                         f"tax of {_euros(explanation['tax_after_cap'])}.")
    else:
        sentences.append(f"No décote: it ends at a tax of "
                         f"{_euros(ceiling / params.discount_rate)}.")

    rate = _percent(params.reduction_rate or 0)
    granted = _euros(explanation["reduction"])
    if reduction is None:
        sentences.append(f"Tax year {params.tax_year} has no low-income reduction.")
    elif reduction != "none" and trace["tax_after_discount"] <= 0:
        sentences.append(_NOTHING_LEFT)
    elif reduction == "full":
        sentences.append(f"Low-income reduction of {rate} of the tax after décote, {granted}: "
                         f"the taxable income is under {_euros(trace['reduction_full_below'])}.")
    elif reduction == "tapered":
        sentences.append(f"Low-income reduction tapered to {trace['reduction_share']:.1%} of "
                         f"{rate} of the tax after décote, {granted}: the taxable income is "
                         f"between {_euros(trace['reduction_full_below'])} and "
                         f"{_euros(trace['reduction_zero_from'])}.")
    else:
        sentences.append(f"No low-income reduction: the taxable income is not under "
                         f"{_euros(trace['reduction_zero_from'])}.")
    return applied, sentences


def _course_sentences(params, household, trace, explanation):
    sentences = [_cap_sentence(household, explanation)]
    income_under_limit = explanation["taxable_income"] < trace["reduction_limit"]
    applied = {"cap": explanation["cap_reached"], "discount": explanation["discount"] > 0,
               "reduction": "full" if income_under_limit else "none"}
    nothing = _nothing_to_reduce(explanation)
    if nothing:
        return applied, sentences + [nothing]

    below = _euros(trace["discount_applies_below"])
    tax_after_cap = _euros(explanation["tax_after_cap"])
    if trace["tax_after_cap"] < trace["discount_applies_below"]:
        sentences.append(f"Décote (the course's) of {_euros(explanation['discount'])}: the "
                         f"tax of {tax_after_cap} is under {below}; "
                         f"{_euros(trace['discount_ceiling'])} minus "
                         f"{_percent(params.discount_rate)} of it, at most the tax, "
                         f"rounded up.")
    else:
        sentences.append(f"No décote: the tax of {tax_after_cap} is not under {below}.")
    limit = _euros(trace["reduction_limit"])
    if income_under_limit and trace["tax_after_cap"] - trace["discount"] <= 0:
        sentences.append(_NOTHING_LEFT)
    elif income_under_limit:
        sentences.append(f"Reduction (the course's) of {_percent(params.reduction_rate)} of "
                         f"the tax after décote, rounded up, {_euros(explanation['reduction'])}"
                         f": the taxable income is under {limit}.")
    else:
        sentences.append(f"No reduction: the taxable income is not under {limit}.")
    return applied, sentences


def _payable_sentences(rules_due, household, explanation):
    payable = explanation["payable"]
    threshold = _euros(rules_due.collection_threshold)
    sentences = []
    if payable["cehr"] > 0:
        scale = rules_due.cehr_couple if household.married else rules_due.cehr_single
        slices = " and ".join(f"{_percent(rate)} above {_euros(bound)}" for bound, rate in scale)
        sentences.append(f"High-income contribution (CEHR) of {_euros(payable['cehr'])}: "
                         f"{slices} of taxable income.")
    total = explanation["tax"] + payable["cehr"]
    if total == 0:
        sentences.append("Nothing to pay.")
    elif not payable["collected"]:
        sentences.append(f"The {_euros(total)} assessed are under the {threshold} collection "
                         f"threshold: nothing is collected.")
    else:
        sentences.append(f"{_euros(total)} to pay (not under the {threshold} collection "
                         f"threshold).")
    return sentences

