"""The packaged data file and its single loader."""
import pytest

from impots_pyramid.tax import TaxYearParameters, latest_tax_year, load_tax_years, read_rows


def test_the_data_file_holds_tax_years_2019_to_2026():
    years = load_tax_years()
    assert sorted(years) == list(range(2019, 2027))
    assert all(params.income_year == year - 1 for year, params in years.items())
    assert latest_tax_year() == 2026


def test_the_2019_row_has_the_course_figures():
    params = load_tax_years()[2019]
    assert params.brackets == (0, 9964, 27519, 73779, 156244)
    assert params.rates == (0, 0.14, 0.30, 0.41, 0.45)
    assert (params.qf_cap_per_half_part, params.deduction_min, params.deduction_max) == (
        1551, 437, 12502)
    assert (params.discount_ceiling_single, params.discount_ceiling_couple) == (1196, 1970)


def test_only_tax_years_2019_and_2020_have_the_low_income_reduction():
    assert [year for year, p in load_tax_years().items() if p.has_reduction] == [2019, 2020]


def test_every_year_has_a_scale_rising_from_zero_with_five_rates():
    for params in load_tax_years().values():
        assert params.brackets[0] == 0 and len(params.rates) == 5
        assert list(params.brackets) == sorted(params.brackets)


HEADER = ("tax_year,income_year,brackets,rates,qf_cap_per_half_part,deduction_rate,"
          "deduction_min,deduction_max,discount_ceiling_single,discount_ceiling_couple,"
          "discount_rate,reduction_rate,reduction_full_below,reduction_zero_from,"
          "reduction_per_half_part\n")


def test_read_rows_sorts_by_year_and_reads_an_empty_reduction_as_none():
    rows = read_rows([HEADER,
                      "2031,2030,0|100,0|0.5,10,0.1,1,2,3,4,0.5,,,,\n",
                      "2030,2029,0|100,0|0.5,10,0.1,1,2,3,4,0.5,0.2,5,6,7\n"])
    assert [p.tax_year for p in rows] == [2030, 2031]
    assert rows[0].reduction_zero_from == 6 and not rows[1].has_reduction


def test_a_row_whose_scale_does_not_match_its_rates_is_refused():
    with pytest.raises(ValueError, match="2030"):
        read_rows([HEADER, "2030,2029,0|100|200,0|0.5,10,0.1,1,2,3,4,0.5,,,,\n"])


def test_a_partly_filled_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction"):
        TaxYearParameters.from_row(dict(
            tax_year=2030, income_year=2029, brackets="0|10", rates="0|0.1",
            qf_cap_per_half_part=1, deduction_rate=0.1, deduction_min=1, deduction_max=2,
            discount_ceiling_single=1, discount_ceiling_couple=2, discount_rate=0.5,
            reduction_rate="0.2"))
