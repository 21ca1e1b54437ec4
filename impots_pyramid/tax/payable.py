"""What a household pays beyond the income tax ``tax``: the high-income contribution (CEHR)
and the collection threshold. Used by ``explain``; ``calculate`` leaves both out (TAX.md).

These two rules are not columns of the tax-year data file, so their figures sit in the small
table below, one row per change of the law, each row in force from its first tax year
until the next row. Neither has changed since it was created:

- CEHR, contribution exceptionnelle sur les hauts revenus (code général des impôts, art.
  223 sexies, I, 1; loi 2011-1977, finance law for 2012): on the household's revenu fiscal
  de référence (RFR), 3 % of the part from 250,000 to 500,000 € and 4 % above 500,000 € for
  a single person; 500,000 and 1,000,000 € for a couple filing jointly. Rounded to the euro,
  halves up (art. 1657). OpenFisca-France has the same figures
  (``impot_revenu.contributions_exceptionnelles.contribution_exceptionnelle_hauts_revenus``,
  unchanged from 2011 to its last check in 2026). Two rules of the article are not
  modelled, since a household of this service cannot meet them: the smoothing ("lissage",
  art. 223 sexies, II) for an RFR more than 1.5 times the mean of the two previous years'
  (it needs those years' RFR, and a claim on the return), and the quotient rule for
  exceptional income (salary only here). OpenFisca applies the smoothing only when asked
  (``contribution_exceptionnelle_hauts_revenus_appliquer_lissage``, false by default).
  The contribution différentielle sur les hauts revenus (CDHR, loi 2025-127, art. 10: a
  minimum average rate of 20 % from the 2025 incomes) is not modelled either: it is a
  separate levy, and not part of OpenFisca's ``impot_revenu_restant_a_payer`` either.
- Collection threshold (art. 1657, 1 bis): an assessment of income tax under 61 € before
  tax credits is not collected. OpenFisca-France:
  ``impot_revenu.calcul_impot_revenu.recouvrement.min_avant_credits_impots``, 61 since
  2002. (Its 12 € threshold after tax credits changes nothing here: no tax credits.)

Adding a tax year with the same rules needs nothing here; a change of either rule is a new
row.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class PayableRules:
    """The CEHR's scales (lower bound and rate of each slice above 0) and the threshold."""

    cehr_single: tuple
    cehr_couple: tuple
    collection_threshold: int


# First tax year in force -> rules. The CEHR's first tax year is 2012 (2011 incomes).
PAYABLE_RULES = {
    2012: PayableRules(
        cehr_single=((250_000, 0.03), (500_000, 0.04)),
        cehr_couple=((500_000, 0.03), (1_000_000, 0.04)),
        collection_threshold=61,
    ),
}


def payable_rules(tax_year: int) -> PayableRules:
    """The rules in force for ``tax_year`` (the latest row starting at or before it)."""
    starts = [start for start in PAYABLE_RULES if start <= tax_year]
    if not starts:
        raise ValueError(f"no CEHR rules for tax year {tax_year}")
    return PAYABLE_RULES[max(starts)]


def _scale(ops, scale, rfr):
    amount = 0.0
    for i, (bound, rate) in enumerate(scale):
        above = ops.maximum(rfr - bound, 0)
        if i + 1 < len(scale):
            above = ops.minimum(above, scale[i + 1][0] - bound)
        amount = amount + rate * above
    return amount


def cehr(ops, rules: PayableRules, married, rfr):
    """The CEHR on ``rfr`` (scalars, or arrays with ``ops = VECTOR``), whole euros, halves up."""
    amount = ops.where(married, _scale(ops, rules.cehr_couple, rfr),
                       _scale(ops, rules.cehr_single, rfr))
    return ops.as_int(ops.round_half_up(amount))
