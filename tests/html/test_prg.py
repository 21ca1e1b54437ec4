"""Post/Redirect/Get: every action of an html session answers 303 to the page that shows
its outcome, and reloading that page repeats nothing."""
from tests.helpers import HOST, calculate, csrf_token, log_in, start


def test_root_leads_to_the_html_session(browser):
    answer = browser.get("/")
    assert answer.status_int == 302
    assert answer.location == HOST + "/init-session/html"


def test_init_session_shows_the_authentication_page(browser):
    answer = browser.get("/init-session/html")
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-authentication-view"


def test_init_session_when_logged_in_shows_the_calculation_page(logged_in):
    browser, _ = logged_in
    answer = browser.get("/init-session/html")
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-tax-calculation-view"


def test_login_redirects_to_the_calculation_page(browser):
    page = start(browser)
    answer = browser.post("/authenticate-user", {"user": "admin", "password": "admin",
                                                 "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-tax-calculation-view"
    assert "Calcul de l&#39;impôt</h1>" in answer.follow().text


def test_failed_login_comes_back_with_the_message_and_the_name(browser):
    page = start(browser)
    answer = browser.post("/authenticate-user", {"user": "admin", "password": "wrong",
                                                 "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-authentication-view"
    again = answer.follow()
    assert "Échec de l&#39;authentification" in again.text
    assert 'name="user" value="admin"' in again.text
    # The message is for that one display.
    assert "Échec" not in browser.get("/display-authentication-view").text


def test_login_without_a_password_asks_for_both_fields(browser):
    page = start(browser)
    answer = browser.post("/authenticate-user", {"user": "admin", "password": "",
                                                 "csrf_token": csrf_token(page)})
    assert answer.location == HOST + "/display-authentication-view"
    assert "Veuillez saisir votre nom d&#39;utilisateur et votre mot de passe." in answer.follow().text


def test_calculation_shows_the_new_result(logged_in):
    browser, page = logged_in
    answer = calculate(browser, page, married="yes", children="3", salary="100000")
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-tax-calculation-view"
    result = answer.follow()
    assert "Résultat de la simulation n° 1" in result.text
    assert '<dd class="amount" id="tax">9 200 €</dd>' in result.text
    assert '<dd class="amount" id="surcharge">2 180 €</dd>' in result.text
    assert '<dd class="amount" id="rate">30 %</dd>' in result.text


def test_reloading_the_result_calculates_nothing_more(logged_in):
    browser, page = logged_in
    calculate(browser, page).follow()
    reloaded = browser.get("/display-tax-calculation-view")
    assert "Résultat de la simulation n° 1" in reloaded.text
    listing = browser.get("/display-simulations-view")
    assert listing.text.count('<tr id="simulation-') == 1


def test_a_form_with_errors_comes_back_with_messages_beside_fields_and_typed_values(logged_in):
    browser, page = logged_in
    answer = calculate(browser, page, married="maybe", children="-1", salary="12x")
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-tax-calculation-view"
    form = answer.follow()
    assert '<p class="field-error" id="married-error">[maybe] n&#39;est pas valide : ' \
           'répondez oui ou non.</p>' in form.text
    assert '<p class="field-error" id="children-error">[-1] n&#39;est pas valide : ' \
           'saisissez un nombre entier de 0 à 20.</p>' in form.text
    assert '<p class="field-error" id="salary-error">[12x] n&#39;est pas valide' in form.text
    assert 'id="children" name="children" value="-1"' in form.text
    assert 'id="salary" name="salary" value="12x"' in form.text
    assert "Résultat de la simulation" not in form.text
    assert browser.get("/display-simulations-view").text.count('<tr id="simulation-') == 0


def test_a_missing_field_is_named_beside_it_and_others_are_kept(logged_in):
    browser, page = logged_in
    form = calculate(browser, page, married="no", children="", salary="30000").follow()
    assert '<p class="field-error" id="children-error">Veuillez remplir ce champ.</p>' in form.text
    assert 'name="married" value="no" checked' in form.text
    assert 'id="salary" name="salary" value="30000"' in form.text
    assert 'id="married-error"' not in form.text


def test_form_errors_are_shown_once(logged_in):
    browser, page = logged_in
    calculate(browser, page, salary="abc").follow()
    assert "field-error" not in browser.get("/display-tax-calculation-view").text


def test_delete_redirects_to_the_list_without_the_row(logged_in):
    browser, page = logged_in
    calculate(browser, page).follow()
    result = calculate(browser, page, married="no", children="0", salary="30000").follow()
    listing = browser.get("/display-simulations-view")
    answer = browser.post("/delete-simulation/1", {"csrf_token": csrf_token(listing)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-simulations-view"
    after = answer.follow()
    assert 'id="simulation-1"' not in after.text
    assert 'id="simulation-2"' in after.text
    assert "Résultat de la simulation n° 2" in result.text


def test_deleting_a_deleted_simulation_shows_the_errors_page(logged_in):
    browser, page = logged_in
    calculate(browser, page).follow()
    listing = browser.get("/display-simulations-view")
    browser.post("/delete-simulation/1", {"csrf_token": csrf_token(listing)})
    answer = browser.post("/delete-simulation/1", {"csrf_token": csrf_token(listing)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-errors-view"
    errors = answer.follow()
    assert "Les erreurs suivantes se sont produites :" in errors.text
    assert "no simulation [1] in this session" in errors.text


def test_delete_by_get_is_refused_when_csrf_is_on(logged_in):
    browser, page = logged_in
    calculate(browser, page).follow()
    answer = browser.get("/delete-simulation/1")
    assert answer.location == HOST + "/display-errors-view"
    assert 'id="simulation-1"' in browser.get("/display-simulations-view").text


def test_delete_by_get_works_when_csrf_is_off(no_csrf_browser):
    page = log_in(no_csrf_browser)
    calculate(no_csrf_browser, page).follow()
    answer = no_csrf_browser.get("/delete-simulation/1")
    assert answer.location == HOST + "/display-simulations-view"
    assert "Votre liste de simulations est vide." in answer.follow().text


def test_a_form_without_the_csrf_token_is_refused(logged_in):
    browser, _ = logged_in
    # The errors page in place, 403: a forged request writes nothing, not even a message.
    answer = browser.post("/calculate-tax", {"married": "yes", "children": "1", "salary": "1"},
                          status=403)
    assert "missing or invalid CSRF token" in answer.text
    assert "Set-Cookie" not in answer.headers
    assert browser.get("/display-simulations-view").text.count('<tr id="simulation-') == 0


def test_end_of_session_starts_again(logged_in):
    browser, page = logged_in
    calculate(browser, page).follow()
    answer = browser.post("/end-session", {"csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/init-session/html"
    assert answer.follow().location == HOST + "/display-authentication-view"
    # logged out (the html session begins again), simulations gone
    assert browser.get("/display-simulations-view").location == \
        HOST + "/display-authentication-view"
    log_in(browser)
    assert "Votre liste de simulations est vide." in browser.get("/display-simulations-view").text


def test_the_get_actions_lead_to_their_pages(logged_in):
    browser, _ = logged_in
    assert browser.get("/list-simulations").location == HOST + "/display-simulations-view"
    assert browser.get("/display-tax-calculation").location == HOST + "/display-tax-calculation-view"


def test_actions_not_meant_for_a_browser_show_the_errors_page(logged_in):
    browser, _ = logged_in
    answer = browser.get("/get-admindata")
    assert answer.location == HOST + "/display-errors-view"
    assert "get-admindata is not available in an html session" in answer.follow().text


def test_an_action_before_login_leads_to_the_authentication_page(browser):
    page = start(browser)
    answer = browser.post("/calculate-tax", {"married": "yes", "children": "1",
                                             "salary": "1", "csrf_token": csrf_token(page)})
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-authentication-view"
    assert "Veuillez d&#39;abord vous authentifier." in answer.follow().text


def test_an_unexpected_error_shows_the_errors_page_and_writes_nothing(logged_in, monkeypatch):
    from impots_pyramid.services import simulations

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    browser, page = logged_in
    monkeypatch.setattr(simulations, "calculate", broken)
    answer = calculate(browser, page)
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-errors-view"
    errors = answer.follow()
    assert "L&#39;action n&#39;a pas pu aboutir à cause d&#39;une erreur interne." in errors.text
    assert "boom" not in errors.text
