"""Under a mount point (SCRIPT_NAME, as Apache's WSGIScriptAlias /impots gives it) and with
impots.url_prefix, every URL works and every generated URL carries both."""
import webtest

from tests.actions.client import ActionClient


def test_mount_point_and_prefix(make_app):
    app = webtest.TestApp(make_app(**{"impots.url_prefix": "/do"}),
                          extra_environ={"SCRIPT_NAME": "/impots", "HTTP_HOST": "example.com"})
    assert app.get("/", status=302).location == "http://example.com/impots/do/init-session/html"
    assert app.get("/do/", status=302).location == "http://example.com/impots/do/init-session/html"
    app.get("/init-session/json", status=404)  # the actions live under the prefix only
    client = ActionClient(app, prefix="/do").start()
    assert client.calculate(married="yes", children="2", salary="55555")[1]["response"]["tax"] == 2815
    assert app.get("/health").json == {"database": "ok", "sessions": "ok"}  # not prefixed
    assert [s["id"] for s in client.simulations()] == [1]
