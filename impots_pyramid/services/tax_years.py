"""The tax years, read from the database once per process (they change only by migration)."""
import threading

from sqlalchemy import select

from ..models import TaxYear


def read_tax_years(dbsession) -> dict:
    """{tax_year: TaxYearParameters} for every year in the database."""
    return {row.tax_year: row.parameters() for row in dbsession.scalars(select(TaxYear))}


class TaxYearCache:
    """Holds the years after the first successful read; one per application."""

    def __init__(self):
        self._years = None
        self._lock = threading.Lock()

    def get(self, request) -> dict:
        """The years; the request's database session is opened only to read them once."""
        if self._years is None:
            with self._lock:
                if self._years is None:
                    years = read_tax_years(request.dbsession)
                    if years:  # an empty database is not cached: it may be migrated later
                        self._years = years
                    return years
        return self._years


def includeme(config):
    config.add_request_method(TaxYearCache().get, "tax_years", reify=True)
