"""The batch page: a CSV of households uploaded, their taxes downloaded as impots-batch
writes them (byte for byte), files that cannot be read refused with the page again,
nothing stored, the CSRF token and the login required."""
import pytest

from impots_pyramid.scripts import batch
from tests.helpers import HOST, csrf_token, start, transactional_testapp

PAGE = "/display-batch-view"
ACTION = "/calculate-batch-csv"
GOOD_AND_BAD = (
    "id,married,children,salary,year\n"
    "A,yes,2,55555,2019\n"
    "B,maybe,1,30000,\n"
    "C,non,0,30000,\n"
    'D,"oui",3,"100000",2024\n'
    "E,yes,-1,1000,2031\n"
    "F,no,0\n"
).encode("utf-8")


def upload(browser, page, data, name="households.csv", status=None, **fields):
    fields = {"csrf_token": csrf_token(page), "year": "2026", "rules": "law", **fields}
    return browser.post(ACTION, fields, upload_files=[("households", name, data)],
                        status=status)


def impots_batch(tmp_path, data, *options):
    """What the console command writes for the same file: (exit status, bytes)."""
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(data)
    status = batch.main([*options, str(source), str(output)])
    return status, output.read_bytes()


@pytest.fixture
def batch_page(logged_in):
    browser, _ = logged_in
    return browser, browser.get(PAGE)


def test_the_page_has_the_form_the_limits_and_says_nothing_is_stored(batch_page):
    browser, page = batch_page
    [form] = page.html.select("form#batch-form")
    assert form["action"] == ACTION and form["method"] == "post"
    assert form["enctype"] == "multipart/form-data"
    assert form.select_one('input[name="csrf_token"]')["value"] == csrf_token(page)
    assert form.select_one('input[type="file"]')["name"] == "households"
    assert form.select_one("#year option[selected]")["value"] == "2026"  # the latest
    assert [o["value"] for o in form.select("#rules option")] == ["law", "course"]
    assert "Au plus 100 000 foyers et 8 Mo par fichier." in page.text
    assert "calculés, pas enregistrés" in page.text
    [link] = page.html.select(f'nav a[href="{PAGE}"]')
    assert link.get_text() == "Calcul d'un fichier" and link.get("aria-current") == "page"
    [elsewhere] = browser.get("/display-tax-calculation-view").html.select(f'nav a[href="{PAGE}"]')
    assert elsewhere.get("aria-current") is None  # in the menu of every page


@pytest.mark.parametrize("options", [("2026", "law"), ("2019", "course"), ("2021", "law")])
def test_the_download_is_what_impots_batch_writes(batch_page, tmp_path, options):
    browser, page = batch_page
    year, rules = options
    answer = upload(browser, page, GOOD_AND_BAD, year=year, rules=rules)
    assert answer.status_int == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="taxes.csv"'
    status, expected = impots_batch(tmp_path, GOOD_AND_BAD, "--year", year, "--rules", rules)
    assert status == 1  # some rows failed: their messages are in the error column
    assert answer.body == expected
    lines = answer.text.splitlines()
    assert lines[0] == "id,married,children,salary,year,tax,surcharge,discount,reduction,rate,error"
    assert "invalid value [maybe] for [married]" in lines[2]


def test_a_byte_order_mark_crlf_and_the_course_names(batch_page, tmp_path):
    browser, page = batch_page
    data = "\ufeffMarié,Enfants,Salaire\r\noui,2,55555\r\n".encode()
    answer = upload(browser, page, data, year="2019")
    assert answer.body == impots_batch(tmp_path, data, "--year", "2019")[1]
    assert answer.text.splitlines() == ["Marié,Enfants,Salaire,tax,surcharge,discount,"
                                        "reduction,rate,year,error",
                                        "yes,2,55555,2815,0,0,0,0.14,2019,"]


def test_uploaded_households_are_not_stored(batch_page):
    browser, page = batch_page
    upload(browser, page, GOOD_AND_BAD)
    assert "Votre liste de simulations est vide." in browser.get("/display-simulations-view").text


def _refused(browser, page, data, status, **fields):
    answer = upload(browser, page, data, status=status, **fields)
    assert answer.content_type == "text/html"
    assert answer.html.select_one("form#batch-form") is not None  # the page again
    return answer.html.select_one("#batch-error").get_text(" ", strip=True)


@pytest.mark.parametrize("data, message", [
    (b"", "Le fichier est vide."),
    (b"\n\n", "Le fichier est vide."),
    (b"married,children,salary\n", "Le fichier n'a aucun foyer"),
    (b"married,kids,salary\nyes,2,55555\n",
     "Il manque au fichier la colonne children or enfants (ses colonnes : married, kids, salary)."),
    ("married,children,salary\nyes,2,55555\n".encode("utf-16"), "n'est pas du texte UTF-8"),
    (b"married,children,salary\nyes,2,55555\nno,0,\xe9t\xe9\n", "n'est pas du texte UTF-8"),
    (b'married,children,salary\n"yes,2,1\n' + b"x" * 200_000 + b'"\n',
     "Le fichier n'est pas un CSV lisible : field larger than field limit"),
])
def test_a_file_that_cannot_be_read_gets_the_page_again(batch_page, data, message):
    browser, page = batch_page
    assert message in _refused(browser, page, data, 400)


def test_the_form_s_own_mistakes(batch_page):
    browser, page = batch_page
    assert "Les règles du cours n'existent que pour l'année d'imposition 2019." in _refused(
        browser, page, GOOD_AND_BAD, 400, year="2024", rules="course")
    assert _refused(browser, page, GOOD_AND_BAD, 400, year="1999") == \
        "Choisissez une année d'imposition de 2019 à 2026."
    answer = browser.post(ACTION, {"csrf_token": csrf_token(page), "year": "2026"}, status=400)
    assert "Envoyez le formulaire de cette page" in answer.text  # not multipart
    answer = browser.post(ACTION, {"csrf_token": csrf_token(page), "year": "2026"},
                          content_type="multipart/form-data", status=400)
    assert "Choisissez un fichier CSV de foyers." in answer.text


def test_the_rules_and_year_chosen_come_back_with_the_message(batch_page):
    browser, page = batch_page
    answer = upload(browser, page, b"", year="2019", rules="course", status=400)
    assert answer.html.select_one("#year option[selected]")["value"] == "2019"
    assert answer.html.select_one("#rules option[selected]")["value"] == "course"


def test_in_english(batch_page):
    browser, page = batch_page
    answer = browser.post(ACTION, {"csrf_token": csrf_token(page), "year": "2026"},
                          upload_files=[("households", "h.csv", b"")],
                          headers={"Accept-Language": "en"}, status=400)
    assert answer.html.select_one("#batch-error").get_text(strip=True) == "The file is empty."
    assert "Calculate a file of households" in answer.text


@pytest.fixture
def limited(make_app, tm):
    """Logged in on an application accepting 3 households and 600-byte bodies."""
    browser = transactional_testapp(
        make_app(**{"impots.batch_max": "3", "impots.max_body_bytes": "600"}), tm)
    page = start(browser)
    browser.post("/authenticate-user", {"user": "admin", "password": "admin",
                                        "csrf_token": csrf_token(page)})
    return browser, browser.get(PAGE)


def test_more_households_than_batch_max(limited):
    browser, page = limited
    assert "Au plus 3 foyers" in page.text
    rows = b"married,children,salary\n" + b"yes,2,55555\n" * 3
    assert upload(browser, page, rows).status_int == 200
    message = _refused(browser, page, rows + b"no,0,1\n", 413)
    assert message == "Le fichier a plus de 3 foyers : au plus 3 par fichier."


def test_a_body_over_max_body_bytes(limited):
    browser, page = limited
    message = _refused(browser, page, b"married,children,salary\n" + b"yes,2,5\n" * 80, 413)
    assert message == "Le fichier est trop gros : au plus 600 octets."


def test_no_csrf_token_is_refused(batch_page):
    browser, page = batch_page
    answer = browser.post(ACTION, {"year": "2026"},
                          upload_files=[("households", "h.csv", GOOD_AND_BAD)], status=403)
    assert "CSRF" in answer.text and "form#batch-form" not in answer.text
    assert answer.content_type == "text/html"
    upload(browser, page, GOOD_AND_BAD, csrf_token="wrong", status=403)
    answer = browser.post(
        ACTION, {"csrf_token": csrf_token(page), "year": "2026"},
        upload_files=[("households", "h.csv", GOOD_AND_BAD)],
        headers={"Origin": "https://evil.example"}, status=403)
    assert "another site" in answer.text


def test_not_logged_in_goes_to_the_login_page(browser):
    page = start(browser)
    for answer in (browser.get(PAGE),
                   browser.post(ACTION, {"csrf_token": csrf_token(page)},
                                upload_files=[("households", "h.csv", GOOD_AND_BAD)])):
        assert answer.status_int == 303
        assert answer.location == HOST + "/display-authentication-view"


def test_a_get_on_the_action_is_405(batch_page):
    browser, _ = batch_page
    answer = browser.get(ACTION, status=405)
    assert answer.headers["Allow"] == "POST"


def test_under_the_mount_point_and_the_prefix(mounted_browser):
    browser = mounted_browser
    page = browser.get("/impots/do/init-session/html").follow()
    page = browser.post("/impots/do/authenticate-user", {
        "user": "admin", "password": "admin", "csrf_token": csrf_token(page)}).follow()
    assert 'href="/impots/do/display-batch-view"' in page.text
    page = browser.get("/impots/do/display-batch-view")
    assert 'action="/impots/do/calculate-batch-csv"' in page.text


def test_it_is_described_in_openapi(browser):
    paths = browser.get("/api/openapi.json").json["paths"]
    assert "post" in paths[ACTION] and "get" in paths[PAGE]
