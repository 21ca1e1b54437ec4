"""The tax administration's data: one row per tax year, its scale in a table of its own."""
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..tax import TaxYearParameters
from ..tax.vocabulary import TAX_YEAR_SCALARS
from .meta import Base

RATE = Numeric(6, 4)  # rates are stored exactly (0.4525), read back as Decimal


class TaxYear(Base):
    __tablename__ = "tax_years"

    tax_year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    income_year: Mapped[int]
    qf_cap_per_half_part: Mapped[int]
    deduction_rate: Mapped[Decimal] = mapped_column(RATE)
    deduction_min: Mapped[int]
    deduction_max: Mapped[int]
    discount_ceiling_single: Mapped[int]
    discount_ceiling_couple: Mapped[int]
    discount_rate: Mapped[Decimal] = mapped_column(RATE)
    reduction_rate: Mapped[Optional[Decimal]] = mapped_column(RATE)
    reduction_full_below: Mapped[Optional[int]]
    reduction_zero_from: Mapped[Optional[int]]
    reduction_per_half_part: Mapped[Optional[int]]

    brackets: Mapped[list["TaxBracket"]] = relationship(
        order_by="TaxBracket.position", cascade="all, delete-orphan", lazy="selectin")

    def parameters(self) -> TaxYearParameters:
        """The engine's immutable view of this row (rates stored as Decimal, used as float)."""
        def value(name):
            column = getattr(self, name)
            return float(column) if isinstance(column, Decimal) else column

        return TaxYearParameters(
            **{name: value(name) for name in TAX_YEAR_SCALARS},
            brackets=tuple(b.lower_bound for b in self.brackets),
            rates=tuple(float(b.rate) for b in self.brackets),
        )


class TaxBracket(Base):
    """One slice of a year's scale: from ``lower_bound`` (of the quotient) at ``rate``."""

    __tablename__ = "tax_brackets"
    __table_args__ = (UniqueConstraint("tax_year", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_year: Mapped[int] = mapped_column(ForeignKey("tax_years.tax_year", ondelete="CASCADE"))
    position: Mapped[int]  # 0 for the first slice
    lower_bound: Mapped[int]
    rate: Mapped[Decimal] = mapped_column(RATE)
