"""The simulations page's CSV download: the session's simulations, as an attachment."""
import csv
import io

from tests.helpers import HOST, calculate, start

URL = "/display-simulations-view.csv"


def test_the_download_lists_the_sessions_simulations(logged_in):
    browser, page = logged_in
    page = calculate(browser, page, salary="55555").follow()
    calculate(browser, page, married="no", children="0", salary="30000")
    listing = browser.get("/display-simulations-view")
    [link] = listing.html.select(f'a[href="{URL}"]')
    assert link.get_text() == "Télécharger au format CSV"
    answer = browser.get(URL)
    assert answer.content_type == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="simulations.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["id"], r["married"], r["salary"], r["tax"]) for r in rows] == [
        ("1", "yes", "55555", "2815"), ("2", "no", "30000", rows[1]["tax"])]
    assert list(rows[0]) == ["id", "married", "children", "salary", "year", "tax",
                             "surcharge", "discount", "reduction", "rate"]


def test_an_empty_session_downloads_the_header_only(logged_in):
    browser, _ = logged_in
    assert browser.get(URL).text == ("id,married,children,salary,year,tax,surcharge,discount,"
                                     "reduction,rate\r\n")


def test_it_needs_a_login(browser):
    start(browser)
    answer = browser.get(URL)
    assert (answer.status_int, answer.location) == (303, HOST + "/display-authentication-view")


def test_it_is_described_in_openapi(browser):
    assert URL in browser.get("/api/openapi.json").json["paths"]
