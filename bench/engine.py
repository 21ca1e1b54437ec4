"""Throughput of the tax engine against OpenFisca-France on the same households.

    .venv/bin/python bench/engine.py [--households N] [--year YEAR] [--repeat R]

The households are drawn once (see openfisca_reference.random_households) and held in memory
as parsed ``Household`` objects, as the web APIs and impots-batch have them after
validation. Timed, for each contender, from that list to the five outputs:

- engine, vectorised: the Household list turned into three numpy arrays, then one
  calculate_many call (best of --repeat runs);
- engine, plain Python: calculate() on each Household in a loop (one run);
- OpenFisca-France: the same arrays built from the Household list, one vectorised
  simulation for the whole batch (SimulationBuilder) and the variables of the five outputs
  (one run; loading the tax-benefit system is timed apart, it happens once per process).

It measures and prints; it asserts nothing. Needs the ``testing`` extra (openfisca-france).
"""
import argparse
import sys
import time
import warnings

import numpy

from impots_pyramid.tax import Household, calculate, calculate_many, load_tax_years
from impots_pyramid.tax.openfisca_reference import (
    load_tax_benefit_system, random_households, reference_figures,
)


def as_arrays(households):
    married = numpy.fromiter((h.married for h in households), bool, len(households))
    children = numpy.fromiter((h.children for h in households), numpy.int64, len(households))
    salary = numpy.fromiter((h.salary for h in households), numpy.int64, len(households))
    return married, children, salary


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def engine_vectorised(households, params):
    return calculate_many(params, *as_arrays(households))


def engine_loop(households, params):
    return [calculate(h, params) for h in households]


def openfisca(system, households, params):
    return reference_figures(system, params.income_year, *as_arrays(households))


def main(argv=None):
    tax_years = load_tax_years()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000, metavar="N",
                        help="how many households (default 100,000)")
    parser.add_argument("--year", type=int, default=max(tax_years), choices=sorted(tax_years),
                        help=f"tax year (default {max(tax_years)})")
    parser.add_argument("--repeat", type=int, default=3, metavar="R",
                        help="runs of the vectorised engine, the best is kept (default 3)")
    args = parser.parse_args(argv)
    params = tax_years[args.year]
    married, children, salary = random_households(
        numpy.random.default_rng(args.year), args.households, params)
    households = [Household(bool(m), int(c), int(s)) for m, c, s in zip(married, children, salary)]
    count = len(households)
    print(f"{count:,} households, tax year {args.year} (incomes {params.income_year}), "
          f"law rules, input: parsed Household objects in memory")

    vector_time = min(timed(engine_vectorised, households, params)[0] for _ in range(args.repeat))
    loop_time, _ = timed(engine_loop, households, params)
    load_time, system = timed(load_tax_benefit_system)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # OpenFisca's own divisions by zero
        openfisca_time, reference = timed(openfisca, system, households, params)

    ours = engine_vectorised(households, params)
    agree = numpy.abs(ours["tax"] - reference["tax"]) <= numpy.where(salary % 10 == 5, 2, 1)

    def line(name, seconds, note=""):
        print(f"  {name:<28} {seconds:9.3f} s  {count / seconds:>14,.0f} households/s{note}")

    line("engine, vectorised", vector_time, f"  (best of {args.repeat}, arrays built included)")
    line("engine, plain Python loop", loop_time)
    line("OpenFisca-France", openfisca_time,
         f"  (one simulation; loading it took {load_time:.1f} s more)")
    print(f"  vectorised engine / OpenFisca:   {openfisca_time / vector_time:,.0f} times the "
          f"throughput (goal: at least 100)")
    print(f"  plain Python loop / OpenFisca:   {openfisca_time / loop_time:,.1f} times")
    print(f"  tax within tolerance of OpenFisca for {agree.sum():,} of {count:,} households")
    return 0


if __name__ == "__main__":
    sys.exit(main())
