"""The calculation page's tax year, the explanation under a result, and the same household
in every tax year, and the chart of the tax against the salary (issue 19)."""
import re
import xml.etree.ElementTree as ET

import pytest

from impots_pyramid.tax import Household, load_tax_years
from impots_pyramid.tax.explain import explain
from tests.helpers import basic
from tests.helpers import TEST_PASSWORD, TEST_USER
from tests.helpers import HOST, csrf_token

ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def auth():
    """Basic credentials for the resource API, to compare with its answers."""
    return basic(TEST_USER, TEST_PASSWORD)


YEARS = sorted(load_tax_years())


def choose(app, page, year, married="yes", children="2", salary="55555", headers=None):
    """Submits the form with a tax year, as the page's select sends it; the result page."""
    answer = app.post("/calculate-tax", {"married": married, "children": children,
                                         "salary": salary, "year": str(year),
                                         "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    return answer.follow(headers=headers or {})


def selected_year(page) -> str:
    [option] = page.html.select('select[name="year"] option[selected]')
    return option["value"]


def test_the_form_offers_every_year_the_latest_chosen(logged_in):
    _, page = logged_in
    options = [option["value"] for option in page.html.select('select[name="year"] option')]
    assert sorted(map(int, options)) == YEARS
    assert selected_year(page) == str(YEARS[-1])
    assert page.html.select_one('label[for="year"]').get_text() == "Année d'imposition"


def test_2026_chosen_shows_2026_figures_and_is_remembered(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2026, salary="55555", headers=ENGLISH)
    expected = explain(Household(True, 2, 55555), load_tax_years()[2026])
    assert result.html.select_one("#tax").get_text() == f"€{expected['tax']:,}"
    assert selected_year(result) == "2026"
    assert "How the tax of 2026 is calculated" in result.text
    steps = result.html.select_one(".explanation")
    assert f"€{expected['taxable_income']:,}" in steps.select_one("#step-income").get_text()
    assert f"{expected['parts']:g};" in steps.select_one("#step-parts").get_text()
    assert len(steps.select(".scale tbody tr")) == len(expected["brackets"])
    rates = [cell.get_text() for cell in steps.select(".scale tbody td:nth-of-type(1)")]
    assert rates == [f"{round(s['rate'] * 100, 2):g}%" for s in expected["brackets"]]
    assert steps.select_one("#step-payable").get_text() == \
        f"To pay: €{expected['payable']['amount']:,}."
    # ...and the engine's 2019 figures are not what it shows.
    assert expected["tax"] != explain(Household(True, 2, 55555), load_tax_years()[2019])["tax"]


def test_the_comparison_lists_every_year_with_the_engines_tax(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2026, married="no", children="0", salary="40000")
    rows = result.html.select(".comparison tbody tr")
    assert [row.th.get_text() for row in rows] == [str(year) for year in YEARS]
    for row, year in zip(rows, YEARS):
        tax = explain(Household(False, 0, 40000), load_tax_years()[year])["tax"]
        assert row.td.get_text() == f"{tax:,} €".replace(",", " ")
    assert result.html.select_one("#year-2026")["class"] == ["current"]


def test_a_cap_a_decote_and_nothing_collected_are_said(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2026, married="yes", children="3", salary="200000")
    text = result.html.select_one("#step-cap").get_text()
    assert text.startswith("Plafonnement du quotient familial atteint")
    result = choose(browser, result, 2026, married="no", children="0", salary="17000")
    expected = explain(Household(False, 0, 17000), load_tax_years()[2026])
    assert expected["discount"] > 0
    assert result.html.select_one("#step-discount").get_text().startswith("Décote")


def test_the_explanation_in_french_by_default(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2019)
    assert "Comment l'impôt 2019 est calculé" in result.html.get_text()
    assert "Le même foyer pour chaque année d'imposition" in result.html.get_text()
    assert result.html.select_one("#tax").get_text() == "2 815 €"


def test_a_wrong_field_keeps_the_chosen_year(logged_in):
    browser, page = logged_in
    answer = browser.post("/calculate-tax", {"married": "yes", "children": "x",
                                             "salary": "1", "year": "2022",
                                             "csrf_token": csrf_token(page)}).follow()
    assert selected_year(answer) == "2022"
    assert not answer.html.select(".explanation")


def test_half_parts_in_the_readers_notation(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2026, married="yes", children="1", salary="50000")
    assert "Parts de quotient familial : 2,5 ;" in result.html.select_one("#step-parts").get_text()


# -- the chart --------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(page, id="tax-chart") -> ET.Element:
    """The page's inline SVG of that id, parsed as XML (so: well-formed)."""
    [text] = re.findall(rf'<svg\b[^>]*\bid="{id}".*?</svg>', page.text, re.DOTALL)
    return ET.fromstring(text)


def test_the_chart_is_well_formed_svg_with_the_curve_apis_points(logged_in, testapp, auth):
    browser, page = logged_in
    result = choose(browser, page, 2026, married="yes", children="2", salary="80000")
    svg = svg_of(result)
    assert svg.tag == f"{SVG}svg"
    assert svg.findtext(f"{SVG}title").startswith("Impôt de l'année d'imposition 2026")
    assert "80 000 €" in svg.findtext(f"{SVG}desc")
    points = [tuple(map(int, pair.split(",")))
              for pair in svg.find(f".//{SVG}polyline").get("points").split()]
    # 0 to 2 x 80 000 by 1 600: the curve API's points for the same household.
    api = testapp.get("/api/tax-years/2026/tax/curve?married=yes&children=2"
                      "&from=0&to=160000&step=1600", headers=auth).json
    assert points == [(p["salary"], p["tax"]) for p in api["points"]]
    assert len(points) == 101
    marker = svg.find(f"{SVG}circle")
    tax = explain(Household(True, 2, 80000), load_tax_years()[2026])["tax"]
    assert (marker.get("data-salary"), marker.get("data-tax")) == ("80000", str(tax))
    figures = result.html.select(".chart-figures tbody tr")
    assert len(figures) == 101
    assert [cell.get_text() for cell in figures[-1].select("td")] == \
        ["160 000 €", f"{api['points'][-1]['tax']:,} €".replace(",", " ")]


def test_the_chart_goes_to_100000_at_least(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2019, married="no", children="0", salary="20000")
    salaries = [int(pair.split(",")[0])
                for pair in svg_of(result).find(f".//{SVG}polyline").get("points").split()]
    assert (salaries[0], salaries[-1], len(salaries)) == (0, 100000, 101)


def test_no_inline_script_or_style(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2026)
    assert not result.html.select("script") and not result.html.select("[style]")
    assert "http://www.w3.org/2000/svg" in result.text
    assert not re.search(r'(?:href|src)="https?://', result.text.replace(HOST, ""))


# -- the years' bar chart ---------------------------------------------------------------

def test_the_years_chart_draws_the_tables_figures(logged_in):
    browser, page = logged_in
    result = choose(browser, page, 2024, married="yes", children="2", salary="80000")
    svg = svg_of(result, "years-chart")
    assert svg.findtext(f"{SVG}title") == "L'impôt du même foyer de 2019 à 2026"
    assert "2024" in svg.findtext(f"{SVG}desc")
    table = [(row.select_one("th").get_text(), row.select("td")[0].get_text())
             for row in result.html.select(".years tbody tr")]
    bars = svg.findall(f"{SVG}g")
    assert [(bar.get("data-year"), bar.findall(f"{SVG}text")[0].text) for bar in bars] == table
    taxes = [explain(Household(True, 2, 80000), load_tax_years()[year])["tax"] for year in YEARS]
    assert [int(bar.get("data-tax")) for bar in bars] == taxes
    assert [bar.findall(f"{SVG}text")[1].text for bar in bars] == [str(y) for y in YEARS]
    # Heights in proportion to the taxes, all on the same baseline, the tallest the plot's.
    rects = [bar.find(f"{SVG}rect") for bar in bars]
    heights = [float(rect.get("height")) for rect in rects]
    tallest = max(heights)
    for height, tax in zip(heights, taxes):
        assert height == pytest.approx(tallest * tax / max(taxes), abs=0.01)
    assert len({round(float(r.get("y")) + float(r.get("height")), 1) for r in rects}) == 1
    assert [r.get("fill") for r in rects].count("#1f4e9c") == 1  # the year chosen
    assert rects[YEARS.index(2024)].get("fill") == "#1f4e9c"


def test_no_years_chart_when_one_year_only(logged_in):
    browser, page = logged_in
    browser.post("/calculate-tax", {"married": "yes", "children": "2", "salary": "55555",
                                    "year": "2019", "rules": "course",
                                    "csrf_token": csrf_token(page)})
    result = browser.get("/display-tax-calculation-view")
    assert 'id="years-chart"' not in result.text
