"""A login whose form cannot be read (another charset than UTF-8, a multipart body
without its boundary, a field sent as a file) or that is sent with GET: the
authentication page again, saying what was wrong, never a 500. Browsers send none of
these; hand-made clients in an html session do."""
import pytest
import webtest

from tests.helpers import HOST, csrf_token, start

WRONG_CREDENTIALS = "Échec de l&#39;authentification : nom d&#39;utilisateur ou mot de passe incorrect."
FILE_FIELD = (b'--B\r\nContent-Disposition: form-data; name="user"; filename="f.txt"\r\n\r\n'
              b"admin\r\n--B--\r\n")


def send_raw(browser, method, body, content_type, token):
    """Built by hand: WebTest would re-encode the form or complete its content type."""
    request = webtest.TestRequest.blank("/authenticate-user", method=method, body=body, headers={
        "Content-Type": content_type, "X-CSRF-Token": token, "Accept": "text/html"},
        environ=browser.extra_environ)
    return browser.do_request(request, status="*", expect_errors=True)  # adds the cookies


@pytest.mark.parametrize("method, body, content_type, message", [
    ("POST", "user=admin&password=wrong".encode("utf-16"),
     "application/x-www-form-urlencoded; charset=utf-16", "form data must be UTF-8, not utf-16"),
    ("POST", b"user=admin&password=wrong", "multipart/form-data",
     "the form data cannot be read as multipart/form-data"),
    ("POST", FILE_FIELD, "multipart/form-data; boundary=B",
     "the form field [user] is a file (f.txt): send its value as text"),
    ("GET", b"user=admin", "application/x-www-form-urlencoded; charset=utf-16",
     "method GET is not allowed here: use POST"),
], ids=["utf-16", "no-boundary", "file-field", "get"])
def test_an_unreadable_login_form_comes_back_to_the_authentication_page(
        browser, method, body, content_type, message):
    token = csrf_token(start(browser))
    answer = send_raw(browser, method, body, content_type, token)
    assert answer.status_int == 303
    assert answer.location == HOST + "/display-authentication-view"
    page = answer.follow()
    assert message in page.text
    assert WRONG_CREDENTIALS not in page.text  # no password was checked
    assert 'name="user" value=""' in page.text  # nothing could be read to fill it in
