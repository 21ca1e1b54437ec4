"""What the calculation page shows under a result, from the stored simulation's inputs
(married, children, salary, year, rules): the steps of its tax (``tax.explain``), the same
household in every tax year, and the curve of its tax against the salary (``tax.curve``).
"""
from sqlalchemy import select

from ..models import Simulation
from ..models.simulation import public_view
from ..tax import Household, InvalidInput
from ..tax.curve import curve
from ..tax.explain import explain
from ..tax.households import check_rules_for_year
from ..tax.vocabulary import MAX_SALARY
from . import session_keys

CHART_POINTS = 100  # intervals: CHART_POINTS + 1 salaries from 0
CHART_MIN_TOP = 100_000  # euros: the chart goes to at least this salary


def session_simulation(dbsession, session, number) -> dict | None:
    """The session's simulation ``number`` as the action API shows it, plus its rules."""
    owner = session.get(session_keys.OWNER)
    if owner is None or number is None:
        return None
    row = dbsession.execute(
        select(Simulation).where(Simulation.owner == owner, Simulation.number == number)
    ).scalar_one_or_none()
    if row is None:
        return None
    return {**public_view({column: getattr(row, column) for column in (
        "number", "married", "children", "salary", "tax", "surcharge", "discount",
        "reduction", "rate", "year")}), "rules": row.rules}


def household_of(simulation) -> Household:
    return Household(simulation["married"] == "yes", simulation["children"],
                     simulation["salary"])


def explanation(simulation, tax_years) -> dict:
    """``explain`` of the simulation's household, year and rules."""
    return explain(household_of(simulation), tax_years[simulation["year"]], simulation["rules"])


def across_years(simulation, tax_years) -> list:
    """The household's tax in each tax year whose parameters the database holds, under the
    simulation's rules (the course's exist for one year only: the others are left out)."""
    household, rules = household_of(simulation), simulation["rules"]
    rows = []
    for year in sorted(tax_years):
        try:
            check_rules_for_year(rules, year)
        except InvalidInput:
            continue
        steps = explain(household, tax_years[year], rules)
        rows.append({"year": year, "tax": steps["tax"], "marginal_rate": steps["marginal_rate"],
                     "payable": steps["payable"]["amount"]})
    return rows


def chart_bounds(salary: int) -> tuple:
    """(from, to, step) of the page's chart: about 100 points from 0 to twice the salary,
    at least to 100 000 €, at most to the largest salary accepted."""
    top = min(max(CHART_MIN_TOP, 2 * salary), MAX_SALARY)
    step = -(-top // CHART_POINTS)
    return 0, min(step * CHART_POINTS, MAX_SALARY), step


def chart_curve(simulation, tax_years) -> dict:
    """The salaries and taxes (lists) of the household type, for the page's chart."""
    start, stop, step = chart_bounds(simulation["salary"])
    points = curve(tax_years[simulation["year"]], simulation["married"],
                   simulation["children"], start, stop, step, simulation["rules"])
    return {"from": start, "to": stop, "step": step,
            "salary": points["salary"].tolist(), "tax": points["tax"].tolist()}
