"""OpenFisca-France as an independent reference for the engine (tests and benchmark only).

Needs the ``testing`` extra (``pip install -e ".[testing]"``), which brings
``openfisca-france``; the service itself never imports this module, and OpenFisca is
imported inside the functions so that importing the module costs nothing.

The mapping is the one TAX.md gives: one foyer fiscal per household, its whole salary as
``salaire_imposable`` of the first declarant, entered as one month's amount (the variable is
monthly); children as minor dependants (``personne_a_charge``); married couples with
``statut_marital`` ``marie`` for both declarants; no box T; the ``rfr`` of the two years
before the income year set to 0 (otherwise OpenFisca recomputes those years for its
surtax, eight times slower, for nothing we compare). The whole batch is one vectorised
simulation built with ``SimulationBuilder``, not one dict per household.
"""
import numpy

# Our outputs and the OpenFisca variables they are compared with.
COMPARED = {
    "tax": "iai",
    "surcharge": "ir_plaf_qf - ir_brut",
    "discount": "decote_gain_fiscal",
    "reduction": "max(reduction_ss_condition_revenus, 0)",
    "rate": "ir_taux_marginal",
}
# The low-income reduction was abolished from the 2020 incomes (tax year 2021) on.
LAST_INCOME_YEAR_WITH_REDUCTION = 2019
ADULT_BIRTH_DATE = "1980-01-01"
CHILD_AGE = 10  # minors throughout the income year


def load_tax_benefit_system():
    """OpenFisca-France's tax-benefit system (a few seconds: load it once and reuse it)."""
    from openfisca_france import FranceTaxBenefitSystem

    return FranceTaxBenefitSystem()


def _persons(married, children):
    """One row per person: its household, its rank in it, whether it is an adult."""
    adults = numpy.where(married, 2, 1)
    sizes = adults + children
    household = numpy.repeat(numpy.arange(len(sizes)), sizes)
    starts = numpy.cumsum(sizes) - sizes
    rank = numpy.arange(sizes.sum()) - starts[household]
    return household, rank, rank < adults[household], starts


def build_simulation(system, income_year, married, children, salary):
    """One OpenFisca simulation holding every household of the arrays, for ``income_year``."""
    from openfisca_core.simulation_builder import SimulationBuilder

    married = numpy.asarray(married, dtype=bool)
    children = numpy.asarray(children, dtype=numpy.int64)
    salary = numpy.asarray(salary, dtype=numpy.float64)
    count = len(salary)
    household, rank, adult, starts = _persons(married, children)
    person_ids = numpy.arange(len(household))
    group_ids = numpy.arange(count)

    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("individu", person_ids)
    # Roles by their flattened keys: the declarants' and parents' sub-roles, since
    # SimulationBuilder matches those (a plain "declarant" would count as no role).
    first, second = rank == 0, adult & (rank == 1)
    roles = {
        "foyer_fiscal": numpy.select([first, second], ["declarant_principal", "conjoint"],
                                     "personne_a_charge"),
        "famille": numpy.select([first, second], ["demandeur", "conjoint"], "enfant"),
        "menage": numpy.select([first, second], ["personne_de_reference", "conjoint"],
                               "enfant"),
    }
    for entity, entity_roles in roles.items():
        population = builder.declare_entity(entity, group_ids)
        builder.join_with_persons(population, household, entity_roles)
    simulation = builder.build(system)

    year = str(income_year)
    child_birth = f"{income_year - CHILD_AGE}-01-01"
    simulation.set_input("date_naissance", "ETERNITY", numpy.where(
        adult, numpy.datetime64(ADULT_BIRTH_DATE), numpy.datetime64(child_birth)))
    simulation.set_input("statut_marital", year, numpy.where(
        adult & married[household], "marie", "celibataire"))
    # The whole salary in January for the first declarant; every other month and person 0,
    # set explicitly so that OpenFisca does not derive salaries from gross pay.
    january = numpy.zeros(len(household))
    january[starts] = salary
    simulation.set_input("salaire_imposable", f"{year}-01", january)
    for month in range(2, 13):
        simulation.set_input("salaire_imposable", f"{year}-{month:02d}",
                             numpy.zeros(len(household)))
    for earlier in (income_year - 1, income_year - 2):
        simulation.set_input("rfr", str(earlier), numpy.zeros(count))
    return simulation


def reference_figures(system, income_year, married, children, salary):
    """OpenFisca's figures for our five outputs, as float arrays (not rounded)."""
    simulation = build_simulation(system, income_year, married, children, salary)
    year = str(income_year)

    def value(variable):
        return numpy.asarray(simulation.calculate(variable, year), dtype=numpy.float64)

    if income_year <= LAST_INCOME_YEAR_WITH_REDUCTION:
        # OpenFisca takes 20 % of (tax - décote) with the décote not yet capped at the tax,
        # which is negative where the décote exceeds the tax; ip_net then floors the tax
        # at 0, so the reduction actually granted is the positive part.
        reduction = numpy.maximum(value("reduction_ss_condition_revenus"), 0)
    else:
        reduction = numpy.zeros(len(salary))
    return {
        "tax": value("iai"),
        "surcharge": value("ir_plaf_qf") - value("ir_brut"),
        "discount": value("decote_gain_fiscal"),
        "reduction": reduction,
        "rate": value("ir_taux_marginal"),
    }


# The amounts of ``explain`` and the OpenFisca variables they are compared with; a name
# in ``payable.`` is a key of the explanation's ``payable`` object.
EXPLAINED = {
    "taxable_income": "rni",
    "parts": "nbptr",
    "gross_tax": "ir_brut",
    "tax_without_children": "ir_ss_qf",
    "tax_after_cap": "ir_plaf_qf",
    "discount": "decote_gain_fiscal",
    "reduction": "reduction_ss_condition_revenus",
    "tax": "iai",
    "payable.cehr": "contribution_exceptionnelle_hauts_revenus",
    "payable.amount": "impot_revenu_restant_a_payer",
}


def reference_variables(system, income_year, married, children, salary, variables):
    """OpenFisca's values of the foyer-fiscal ``variables`` for the households, as float
    arrays, unrounded and with OpenFisca's own signs (``impot_revenu_restant_a_payer`` is
    negative for an amount to pay). A variable that has ended before ``income_year``
    (``reduction_ss_condition_revenus`` after 2019) gives zeros."""
    simulation = build_simulation(system, income_year, married, children, salary)
    year = str(income_year)
    values = {}
    for variable in variables:
        end = system.get_variable(variable).end
        if end is not None and end.year < income_year:
            values[variable] = numpy.zeros(len(salary))
        else:
            values[variable] = numpy.asarray(simulation.calculate(variable, year),
                                             dtype=numpy.float64)
    return values


def random_households(rng, count, params):
    """``count`` households spread as TAX.md asks, as arrays (married, children, salary).

    Half couples, 0 to 6 children (fewer more often), salaries mostly below 250,000 with
    a tail to a few millions; one in five sits on an edge of the rules of ``params``: 0,
    the deduction minimum and maximum, the décote's start and end, the reduction's limits.
    """
    married = rng.random(count) < 0.5
    children = rng.choice(7, size=count, p=[0.3, 0.2, 0.2, 0.12, 0.08, 0.06, 0.04])
    salary = numpy.where(rng.random(count) < 0.85,
                         rng.integers(0, 250_001, count),
                         numpy.exp(rng.uniform(numpy.log(250_000), numpy.log(5_000_000), count)))
    salary = salary.astype(numpy.int64)
    edges = rng.random(count) < 0.2
    salary[edges] = _edge_salaries(rng, params, married[edges], children[edges])
    return married, children, salary


def _edge_salaries(rng, params, married, children):
    """A salary a few euros from one of the rules' thresholds, for each household."""
    from .law import child_half_parts

    count = len(married)
    adults = numpy.where(married, 2, 1)
    half_parts = child_half_parts(numpy, children)
    ceiling = numpy.where(married, params.discount_ceiling_couple, params.discount_ceiling_single)
    candidates = [
        numpy.zeros(count),
        numpy.full(count, params.deduction_min / params.deduction_rate),
        numpy.full(count, params.deduction_max / params.deduction_rate),
        # Salaries at which the tax before décote reaches the décote's own end and start.
        _salary_for_tax(params, married, children, ceiling / params.discount_rate),
        _salary_for_tax(params, married, children, ceiling / (1 + params.discount_rate)),
    ]
    if params.has_reduction:
        for per_adult in (params.reduction_full_below, params.reduction_zero_from):
            income = per_adult * adults + params.reduction_per_half_part * half_parts
            candidates.append(income / (1 - params.deduction_rate))
    chosen = numpy.stack(candidates)[rng.integers(0, len(candidates), count), numpy.arange(count)]
    return numpy.maximum(numpy.round(chosen) + rng.integers(-3, 4, count), 0).astype(numpy.int64)


def _salary_for_tax(params, married, children, target):
    """The smallest salary whose tax before décote and reduction reaches ``target`` (bisection)."""
    from .engine import calculate_many

    low = numpy.zeros(len(married), dtype=numpy.int64)
    high = numpy.full(len(married), 1_000_000, dtype=numpy.int64)
    while (high - low > 1).any():
        middle = (low + high) // 2
        figures = calculate_many(params, married, children, middle)
        before = figures["tax"] + figures["discount"] + figures["reduction"]
        reached = before >= target
        high = numpy.where(reached, middle, high)
        low = numpy.where(reached, low, middle)
    return high
