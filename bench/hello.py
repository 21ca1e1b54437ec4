"""The ceiling: the smallest Pyramid application, one view answering GET /hello.

Not part of the product. It runs under the same server (waitress, 4 threads) as the
service, so the benchmark can say how much of the framework's own speed the service keeps.
"""
from pyramid.config import Configurator
from pyramid.response import Response


def hello(request):
    return Response("hello", content_type="text/plain")


def make_app():
    """For ``waitress-serve --call bench.hello:make_app``."""
    with Configurator() as config:
        config.add_route("hello", "/hello")
        config.add_view(hello, route_name="hello", request_method="GET")
    return config.make_wsgi_app()
