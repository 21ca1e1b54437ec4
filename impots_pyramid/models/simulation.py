"""Simulations belong to a session (as in the course), through the session's owner key."""
import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger, DateTime, Integer, Numeric, String, func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..tax.vocabulary import yes_no
from .meta import Base


class SessionOwner(Base):
    """One row per session that has simulations: its numbering and its last activity.

    Numbers come from ``last_number``, incremented under the row's lock, so that they
    stay unique under concurrent requests and are never reused after a deletion; and
    ``last_seen`` lets ``impots-purge`` find the simulations of abandoned sessions.
    """

    __tablename__ = "session_owners"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    last_seen: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)


class Simulation(Base):
    """Keyed by its owner and its number (migration 0006: no surrogate id, which cost a
    sequence and an index per stored row)."""

    __tablename__ = "simulations"

    # No foreign key to session_owners (migration 0005): a row is only inserted under its
    # owner's row lock (its number), and end-session and impots-purge delete the owner's
    # row, then its simulations (services.simulations); the check cost half a batch's COPY.
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The id the session sees, from 1.
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    married: Mapped[bool]
    children: Mapped[int]
    salary: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    surcharge: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger)
    reduction: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    # No foreign key to tax_years (migration 0004): the service checks the year against
    # the tax years it read from that table, and the check cost a third of a batch's COPY.
    year: Mapped[int]
    rules: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, server_default=func.now())

    def as_dict(self) -> dict:
        """The simulation as the action API shows it."""
        return public_view({name: getattr(self, name) for name in PUBLIC_COLUMNS})


PUBLIC_COLUMNS = ("number", "married", "children", "salary", "tax", "surcharge",
                  "discount", "reduction", "rate", "year")


def public_view(row) -> dict:
    """A simulation's columns (a mapping with ``number`` and the inputs and outputs) as the
    action API shows them: ``id`` is the number within the session."""
    return {
        "id": row["number"],
        "married": yes_no(row["married"]),
        "children": row["children"],
        "salary": row["salary"],
        "tax": row["tax"],
        "surcharge": row["surcharge"],
        "discount": row["discount"],
        "reduction": row["reduction"],
        "rate": float(row["rate"]),
        "year": row["year"],
    }
