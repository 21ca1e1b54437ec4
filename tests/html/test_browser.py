"""End to end in headless Chromium (Debian's chromium and chromium-driver, no download):
the application served by waitress on a loopback port under the mount point /impots,
with its own migrated database. Screenshots of each page: test-output/screenshots/."""
import csv
import io
import os
import pathlib
import shutil
import socket
import tempfile
import threading
import time

import pytest

from impots_pyramid.scripts import batch
from tests.helpers import TEST_PASSWORD, TEST_USER, migrated_database, new_app
from tests.services import REQUIRE_SERVICES

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
MOUNT = "/impots"
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1000,900"]


def require_browser():
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        message = (f"{' and '.join(missing)} not installed: "
                   "apt-get install chromium chromium-driver")
        if REQUIRE_SERVICES:
            pytest.fail(message + " [IMPOTS_REQUIRE_SERVICES=1]", pytrace=False)
        pytest.skip(message)
    return pytest.importorskip("selenium.webdriver")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The application under http://127.0.0.1:<port>/impots (waitress sets SCRIPT_NAME)."""
    require_browser()
    import waitress

    for url in migrated_database("sqlite", tmp_path_factory):
        app = new_app(url)
        server = waitress.create_server(app, host="127.0.0.1", port=free_port(),
                                        url_prefix=MOUNT, threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.effective_port}{MOUNT}"
        finally:
            server.close()
            thread.join(timeout=5)


@pytest.fixture
def chromium():
    webdriver = require_browser()
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="impots-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--lang=fr-FR")
    downloads = pathlib.Path(profile) / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {
        "intl.accept_languages": "fr-FR,fr", "download.default_directory": str(downloads),
        "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    driver.implicitly_wait(2)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Journey:
    """The person at the browser: clicks, types, reloads, and photographs each page."""

    def __init__(self, driver, site):
        from selenium.webdriver.common.by import By
        self.driver, self.site, self.by, self.shots = driver, site, By, 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def find(self, css):
        return self.driver.find_element(self.by.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(self.by.CSS_SELECTOR, css)

    def text(self, css="main"):
        return self.find(css).text

    def path(self):
        return self.driver.current_url.removeprefix(self.site)

    def _leave(self, action):
        """Do what leads to another page, and wait until that page has replaced this one
        (a redirect to the same URL included)."""
        from selenium.common.exceptions import (
            StaleElementReferenceException, WebDriverException,
        )
        from selenium.webdriver.support.wait import WebDriverWait

        old_page = self.find("html")

        def replaced(driver):
            try:
                old_page.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                # ChromeDriver (156) may say it this way while the new page comes in.
                if "does not belong to the document" in (exc.msg or ""):
                    return True
                raise

        action()
        wait = WebDriverWait(self.driver, 10)
        wait.until(replaced)
        wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def click(self, css):
        self._leave(self.find(css).click)

    def type(self, css, value):
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def choose(self, css, value):
        from selenium.webdriver.support.select import Select
        Select(self.find(css)).select_by_value(value)

    def reload(self):
        self._leave(self.driver.refresh)

    def downloaded(self, name, timeout=10):
        """The bytes of the file the browser saves as ``name`` (waited for), then removed,
        so that the next download of that name is not taken for it."""
        path = self.driver.downloads / name
        deadline = time.monotonic() + timeout
        while not path.exists() or (self.driver.downloads / (name + ".crdownload")).exists():
            assert time.monotonic() < deadline, f"{name} not downloaded: " \
                f"{sorted(p.name for p in self.driver.downloads.iterdir())}"
            time.sleep(0.1)
        data = path.read_bytes()
        path.unlink()
        return data

    def screenshot(self, name):
        self.shots += 1
        self.driver.save_screenshot(str(SCREENSHOTS / f"{self.shots:02d}-{name}.png"))


def simulation_rows(journey):
    return [row.get_attribute("id") for row in journey.find_all("tbody tr")]


def upload_a_file(journey, tmp_path):
    """The batch page: a file of good and bad rows in, what impots-batch writes for it
    out; a file without a salary column refused with the page again."""
    journey.click("nav a[href$='/display-batch-view']")
    assert journey.path() == "/display-batch-view"
    assert journey.text("h1") == "Calcul d'un fichier de foyers"
    assert journey.find("#year option:checked").get_attribute("value") == "2026"
    assert "pas enregistrés" in journey.text()
    households = tmp_path / "foyers.csv"
    households.write_bytes("nom,marié,enfants,salaire\nDupont,oui,2,55555\n"
                           "Durand,peut-être,1,30000\nMartin,non,0,42000\n".encode())
    journey.find("#households").send_keys(str(households))
    journey.choose("#year", "2024")
    journey.screenshot("batch-form")
    journey.find("#batch-form button[type=submit]").click()
    taxes = journey.downloaded("taxes.csv")
    assert batch.main(["--year", "2024", str(households), str(tmp_path / "taxes.csv")]) == 1
    assert taxes == (tmp_path / "taxes.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(taxes.decode())))
    assert [(r["nom"], r["year"], bool(r["tax"]), bool(r["error"])) for r in rows] == [
        ("Dupont", "2024", True, False), ("Durand", "", False, True),
        ("Martin", "2024", True, False)]
    assert journey.path() == "/display-batch-view"  # the page stays

    wrong = tmp_path / "sans-salaire.csv"
    wrong.write_text("married,children\nyes,2\n", encoding="utf-8")
    journey.find("#households").send_keys(str(wrong))
    journey.click("#batch-form button[type=submit]")
    assert journey.path() == "/calculate-batch-csv"
    assert "Il manque au fichier la colonne salary or salaire" in journey.text("#batch-error")
    assert journey.find("#year option:checked").get_attribute("value") == "2024"
    journey.screenshot("batch-refused")
    journey.click("nav a[href$='/display-simulations-view']")
    assert simulation_rows(journey) == ["simulation-2", "simulation-3"]  # nothing added


def test_log_in_calculate_list_delete_log_out(chromium, site, tmp_path):
    journey = Journey(chromium, site)
    chromium.get(site + "/")
    assert journey.path() == "/display-authentication-view"
    assert chromium.find_element(journey.by.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert journey.text("h1") == "Authentifiez-vous"
    journey.screenshot("authentication")

    journey.type("#user", TEST_USER)
    journey.type("#password", "wrong")
    journey.click("button[type=submit]")
    assert journey.path() == "/display-authentication-view"
    assert "Échec de l'authentification" in journey.text(".alert")
    journey.screenshot("authentication-failed")

    journey.type("#password", TEST_PASSWORD)
    journey.click("main button[type=submit]")
    assert journey.path() == "/display-tax-calculation-view"
    assert journey.text("h1") == "Calcul de l'impôt"
    menu = journey.text("nav")
    assert "Liste des simulations" in menu and "Fin de session" in menu
    journey.reload()
    assert journey.path() == "/display-tax-calculation-view"

    # The latest tax year comes preselected: the course's figures are 2019's.
    assert journey.find("#year option:checked").get_attribute("value") == "2026"
    journey.choose("#year", "2019")
    journey.find("#married-yes").click()
    journey.type("#children", "abc")
    journey.type("#salary", "55555")
    journey.click("main button[type=submit]")
    assert journey.path() == "/display-tax-calculation-view"
    assert "[abc] n'est pas valide" in journey.text("#children-error")
    assert journey.find("#salary").get_attribute("value") == "55555"
    journey.screenshot("calculation-errors")

    journey.type("#children", "2")
    journey.click("main button[type=submit]")
    assert journey.path() == "/display-tax-calculation-view"
    assert "Résultat de la simulation n° 1" in journey.text(".result")
    assert journey.text("#tax") == "2 815 €"
    assert journey.text("#rate") == "14 %"
    journey.screenshot("calculation-result")
    journey.reload()  # must not calculate again
    assert "Résultat de la simulation n° 1" in journey.text(".result")

    journey.type("#children", "3")
    journey.type("#salary", "100000")
    journey.click("main button[type=submit]")
    assert journey.text("#surcharge") == "2 180 €"

    journey.click("nav a[href$='/display-simulations-view']")
    assert journey.path() == "/display-simulations-view"
    assert simulation_rows(journey) == ["simulation-1", "simulation-2"]
    journey.screenshot("simulations")

    # The list as a CSV file: the browser saves it, the page stays.
    journey.find("a[href$='/display-simulations-view.csv']").click()
    listed = list(csv.DictReader(io.StringIO(journey.downloaded("simulations.csv").decode())))
    assert [(r["id"], r["married"], r["children"], r["salary"], r["year"], r["tax"])
            for r in listed] == [("1", "yes", "2", "55555", "2019", "2815"),
                                 ("2", "yes", "3", "100000", "2019", "9200")]
    assert journey.path() == "/display-simulations-view"
    journey.reload()
    assert simulation_rows(journey) == ["simulation-1", "simulation-2"]

    journey.click("#simulation-1 button")
    assert journey.path() == "/display-simulations-view"
    assert simulation_rows(journey) == ["simulation-2"]
    journey.screenshot("simulation-deleted")
    journey.reload()  # must not delete again (nor fail on the deleted one)
    assert journey.path() == "/display-simulations-view"
    assert simulation_rows(journey) == ["simulation-2"]

    chromium.set_window_size(390, 844)  # a phone
    journey.screenshot("simulations-phone")
    chromium.set_window_size(1000, 900)

    # Tax year 2026, explained, with the chart (drawn without script, inside the CSP).
    journey.click("nav a[href$='/display-tax-calculation-view']")
    assert journey.find("#year option:checked").get_attribute("value") == "2019"
    journey.choose("#year", "2026")
    journey.type("#salary", "55555")
    journey.type("#children", "2")
    journey.click("main button[type=submit]")
    assert journey.find("#year option:checked").get_attribute("value") == "2026"
    assert journey.text("#tax") == "946 €"
    assert "Comment l'impôt 2026 est calculé" in journey.text(".explanation")
    assert "À payer : 946 €." in journey.text("#step-payable")
    assert len(journey.find_all(".comparison tbody tr")) == 8
    chart = journey.find("#tax-chart")
    assert chart.size["width"] > 300 and chart.size["height"] > 100
    assert journey.find("#tax-marker").get_attribute("data-tax") == "946"
    chromium.execute_script("arguments[0].scrollIntoView()", chart)
    journey.screenshot("calculation-explained-2026")
    violations = [entry for entry in chromium.get_log("browser")
                  if "Content Security Policy" in entry.get("message", "")]
    assert violations == []

    upload_a_file(journey, tmp_path)

    journey.click("nav button")  # Fin de session
    assert journey.path() == "/display-authentication-view"
    assert journey.find_all("nav") == []
    journey.screenshot("after-end-of-session")
    chromium.get(site + "/display-simulations-view")
    assert journey.path() == "/display-authentication-view"


def test_stylesheet_is_served_under_the_mount_point(chromium, site):
    chromium.get(site + "/init-session/html")
    link = chromium.find_element("css selector", "link[rel=stylesheet]").get_attribute("href")
    assert link == site + "/static/impots.css"
    banner = chromium.find_element("css selector", ".banner")
    assert banner.value_of_css_property("background-color") == "rgba(31, 78, 156, 1)"
