"""The resource API's errors as RFC 9457 problem documents (``problems``), on the ``api``
route only: its own (a Problem, bad input, an unreadable body, a query string that is not
UTF-8, no or wrong credentials, an unknown tax year), then everything else by the
application's failure policy (``web.failures``: 405, 429, 503, 500...).
"""
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import exception_view_config

from ..tax import InvalidInput
from ..web import bodies
from ..web.echo import shortened, shortened_messages
from .negotiation import API_ROUTE
from .problems import Problem, problem_document, problem_response
from .resources import TaxYears


AUTHENTICATE = 'Basic realm="impots"'


@exception_view_config(Problem, route_name=API_ROUTE)
def problem(exc, request):
    return problem_response(request, exc.as_dict(request), exc.headers)


@exception_view_config(InvalidInput, route_name=API_ROUTE)
def invalid_input(exc, request):
    return problem_response(request, problem_document(
        request, 400, "; ".join(shortened_messages(exc)),
        [shortened(error).as_dict() for error in exc.errors]))


@exception_view_config(bodies.BodyError, route_name=API_ROUTE)
def unreadable_body(exc, request):
    position = {"position": exc.position} if exc.position else {}
    return problem_response(request, problem_document(request, exc.status_code, exc.message,
                                                      **position))


@exception_view_config(UnicodeDecodeError, route_name=API_ROUTE)
def undecodable_query(exc, request):
    # WebOb decodes the query string lazily, as UTF-8: any view may be the first to try.
    return problem_response(request, problem_document(
        request, 400, f"the query string is not UTF-8 (byte {exc.start + 1})"))


@exception_view_config(HTTPForbidden, route_name=API_ROUTE)
def forbidden(exc, request):
    if request.identity is None:
        detail = ("authentication required: HTTP Basic with a user of the service"
                  if request.authorization is None else "unknown user or wrong password")
        return problem_response(request, problem_document(request, 401, detail),
                                {"WWW-Authenticate": AUTHENTICATE})
    return problem_response(request, problem_document(
        request, 403, f"{request.identity['login']} may not do this"))


@exception_view_config(HTTPNotFound, route_name=API_ROUTE)
def not_found(exc, request):
    if isinstance(request.context, TaxYears) and request.view_name:
        # Traversal stopped at the tax years: the next segment is the unknown year.
        known = ", ".join(str(year) for year in sorted(request.context.years()))
        return problem_response(request, problem_document(
            request, 404, f"no tax year {request.view_name}",
            [{"field": "year", "value": request.view_name,
              "detail": f"a tax year among {known} expected"}]))
    return problem_response(request, problem_document(request, 404, "no such resource"))


def policy_failure(request, failure):
    return problem_response(request, problem_document(request, failure.status, failure.message),
                            failure.headers)


def includeme(config):
    config.scan(__name__)
    config.add_failure_views(policy_failure, [API_ROUTE, "api-without-slash"])
