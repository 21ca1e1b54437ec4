"""impots-batch's entry point: what the process must settle before numpy loads, then the
command (scripts/batch.py's ``console``).

numpy's OpenBLAS starts a thread per CPU as it loads, and each spins for about a tenth of
a second waiting for work: the engine does no linear algebra, so that is CPU taken from
the worker processes (a million rows on two CPUs: 0.97 s of CPU instead of 1.1 s, about
5 % of the wall time). Set here, not in the package: a program that imports it may well
want its BLAS threads.
"""
import os


def console():
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # read by OpenBLAS as it loads
    from impots_pyramid.scripts.batch import console as command

    command()
