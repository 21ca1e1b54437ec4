"""The four pages: who may see them, what they show, in which language, and the URLs
they carry under a mount point."""
import pathlib
import re

import jinja2
import pytest

import impots_pyramid
from tests.helpers import HOST, calculate, csrf_token, log_in, start

PACKAGE = pathlib.Path(impots_pyramid.__file__).parent
PAGES = ["/display-authentication-view", "/display-tax-calculation-view",
         "/display-simulations-view", "/display-errors-view"]


@pytest.mark.parametrize("path", PAGES)
def test_a_page_outside_an_html_session_starts_one(browser, path):
    answer = browser.get(path)
    assert answer.status_int == 303
    assert answer.location == HOST + "/init-session/html"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", PAGES)
def test_a_page_asked_with_another_method_than_get_is_405(browser, path, method):
    answer = browser.request(path, method=method, status=405)
    assert answer.headers["Allow"] == "GET, HEAD"
    assert "predicate" not in answer.text  # not Pyramid's inner workings


@pytest.mark.parametrize("path", ["/display-tax-calculation-view", "/display-simulations-view"])
def test_a_page_for_logged_in_users_sends_others_to_log_in(browser, path):
    start(browser)
    answer = browser.get(path)
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-authentication-view"


def test_the_authentication_page(browser):
    page = start(browser)
    assert page.status_int == 200
    assert "<h1>Authentifiez-vous</h1>" in page.text
    assert '<label for="user">Nom d&#39;utilisateur</label>' in page.text
    assert '<label for="password">Mot de passe</label>' in page.text
    assert 'action="/authenticate-user"' in page.text
    assert "Fin de session" not in page.text  # no menu before login


def test_the_calculation_page_has_the_course_fields_and_menu(logged_in):
    _, page = logged_in
    for text in ("Êtes-vous marié(e) ?", '<label for="married-yes">Oui</label>',
                 '<label for="married-no">Non</label>', "Nombre d&#39;enfants à charge",
                 "Salaire annuel net imposable (euros)", "Liste des simulations",
                 "Calcul de l&#39;impôt", "Fin de session", ">Valider</button>"):
        assert text in page.text
    assert "Résultat de la simulation" not in page.text


def test_the_simulations_page_lists_each_with_its_figures_and_delete_button(logged_in):
    browser, page = logged_in
    calculate(browser, page, married="yes", children="3", salary="100000")
    listing = browser.get("/display-simulations-view")
    row = re.search(r'<tr id="simulation-1">.*?</tr>', listing.text, re.S).group(0)
    cells = re.findall(r"<t[dh][^>]*>([^<]*)</t[dh]>", row)
    assert cells == ["1", "Oui", "3", "100 000 €", "9 200 €", "2 180 €", "0 €", "0 €", "30 %"]
    assert 'action="/delete-simulation/1"' in row
    assert f'name="csrf_token" value="{csrf_token(listing)}"' in row


def test_an_empty_list_says_so(logged_in):
    browser, _ = logged_in
    assert "Votre liste de simulations est vide." in browser.get("/display-simulations-view").text


def test_the_errors_page_without_errors(browser):
    start(browser)
    page = browser.get("/display-errors-view")
    assert page.status_int == 200
    assert "Aucune erreur à afficher." in page.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_html5_with_a_label_for_every_field(logged_in, path):
    browser, _ = logged_in
    page = browser.get(path)
    text = page.text
    assert page.content_type == "text/html"
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"fr\">")
    assert '<meta charset="utf-8">' in text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    fields = re.findall(r'<input type="(?:text|password|radio)" id="([^"]+)"', text)
    labels = set(re.findall(r'<label for="([^"]+)"', text))
    assert set(fields) <= labels


def test_the_stylesheet_is_served_by_the_application(browser):
    page = start(browser)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
    assert href == HOST + "/static/impots.css"
    css = browser.get(href)
    assert css.content_type == "text/css"
    assert "max-age=3600" in css.headers["Cache-Control"]
    assert "@media" in css.text
    assert not re.search(r"https?://", css.text + page.text.replace(HOST, ""))  # no CDN


def test_english_when_the_browser_prefers_it(browser):
    english = {"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"}
    page = browser.get("/init-session/html").follow(headers=english)
    assert '<html lang="en">' in page.text
    assert "<h1>Authenticate yourself</h1>" in page.text
    page = log_in(browser)
    result = calculate(browser, page, salary="55555").follow(headers=english)
    assert "Result of simulation no. 1" in result.text
    assert '<dd class="amount" id="tax">€2,815</dd>' in result.text
    assert '<dd class="amount" id="rate">14%</dd>' in result.text
    assert "List of simulations" in result.text and "End of session" in result.text


def test_french_when_the_browser_prefers_french_or_says_nothing(browser):
    page = browser.get("/init-session/html").follow(
        headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    assert '<html lang="fr">' in page.text
    assert '<html lang="fr">' in browser.get("/display-authentication-view").text


def test_urls_carry_the_mount_point_and_the_prefix(mounted_browser):
    browser = mounted_browser
    mount = HOST + "/impots"
    assert browser.get("/impots/do/").location == mount + "/do/init-session/html"
    answer = browser.get("/impots/do/init-session/html")
    assert answer.location == mount + "/do/display-authentication-view"
    page = answer.follow()
    assert 'action="/impots/do/authenticate-user"' in page.text
    assert f'href="{mount}/static/impots.css"' in page.text  # static: not under the prefix
    assert browser.get("/impots/static/impots.css").status_int == 200
    answer = browser.post("/impots/do/authenticate-user", {
        "user": "admin", "password": "admin", "csrf_token": csrf_token(page)})
    assert answer.location == mount + "/do/display-tax-calculation-view"
    page = answer.follow()
    for url in ("/impots/do/display-simulations-view", "/impots/do/end-session",
                "/impots/do/calculate-tax", "/impots/do/display-tax-calculation-view"):
        assert f'"{url}"' in page.text
    answer = browser.post("/impots/do/calculate-tax", {
        "married": "no", "children": "0", "salary": "30000", "csrf_token": csrf_token(page)})
    assert answer.location == mount + "/do/display-tax-calculation-view"
    listing = browser.get("/impots/do/display-simulations-view")
    assert 'action="/impots/do/delete-simulation/1"' in listing.text
    answer = browser.post("/impots/do/delete-simulation/1", {"csrf_token": csrf_token(listing)})
    assert answer.location == mount + "/do/display-simulations-view"
    answer = browser.post("/impots/do/end-session", {"csrf_token": csrf_token(listing)})
    assert answer.location == mount + "/do/init-session/html"


def _catalog(language):
    text = (PACKAGE / "locale" / language / "LC_MESSAGES" / "impots_pyramid.po").read_text()
    pairs = re.findall(r'^msgid "(.*)"\nmsgstr "(.*)"$', text, re.M)
    return {msgid.replace('\\"', '"'): msgstr for msgid, msgstr in pairs if msgid}


def _messages_in_use():
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    found = set()
    for path in (PACKAGE / "templates").glob("*.jinja2"):
        found |= {message for _, _, message in
                  environment.extract_translations(path.read_text()) if isinstance(message, str)}
    for path in (PACKAGE / "html").glob("*.py"):
        found |= set(re.findall(r'\b_\(\s*"([^"]+)"', path.read_text()))
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_message_is_in_the_catalogs_and_compiled(language):
    catalog = _catalog(language)
    in_use = _messages_in_use()
    assert len(in_use) > 30
    assert in_use - set(catalog) == set()
    assert all(catalog[message] for message in in_use)
    compiled = PACKAGE / "locale" / language / "LC_MESSAGES" / "impots_pyramid.mo"
    source = compiled.with_suffix(".po")
    assert compiled.stat().st_size > 1000
    import gettext
    with compiled.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    assert {m: translations.gettext(m) for m in in_use} == {m: catalog[m] for m in in_use}, \
        f"{compiled} is older than {source}: run msgfmt again"
