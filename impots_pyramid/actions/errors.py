"""The action API's failures in its envelope, in the response type of the request
(``request.response_type``: init-session/json and /xml answer in the type they set; JSON
when the session has none).

- ActionFailure: the action's own status and HTTP code;
- everything else, by the application's failure policy (``web.failures``): a service
  down is 171 with HTTP 503, an unexpected error 131 with HTTP 500, any other refusal
  (405, 401, 429...) the action's failure status with its HTTP code.
An html session's failures are pages instead: the browser pages register their own
failure views for these routes, chosen by the ``response_type`` predicate.
"""
from pyramid.renderers import render_to_response
from pyramid.response import Response

from .envelope import ActionFailure, envelope, failure_status
from .table import ACTIONS, UNAVAILABLE, UNEXPECTED

POLICY_STATUSES = {503: UNAVAILABLE, 500: UNEXPECTED}


def envelope_status(request, failure) -> int:
    """The envelope's status for a failure of the policy (web.failures.Failure)."""
    return POLICY_STATUSES.get(failure.status) or failure_status(request)


def render_envelope(request, status, response, http_status, headers=None):
    renderer = "xml" if request.response_type == "xml" else "json"
    result = render_to_response(renderer, envelope(request, status, response),
                                request=request, response=Response())
    result.status = http_status
    result.headers.update(headers or {})
    return result


def add_action_failure_views(config, render, **predicates):
    """The failure views of every action: its own failures and the policy's, each drawn
    by ``render(request, status, response, http_status, headers)`` (the envelope here;
    the browser pages register theirs with ``response_type="html"``)."""
    def action_failure(exc, request):
        return render(request, exc.status, exc.response, exc.http_status, exc.headers)

    def policy_failure(request, failure):
        return render(request, envelope_status(request, failure), [failure.message],
                      failure.status, failure.headers)

    for name in ACTIONS:
        config.add_exception_view(action_failure, context=ActionFailure, route_name=name,
                                  **predicates)
    config.add_failure_views(policy_failure, list(ACTIONS), **predicates)


def includeme(config):
    add_action_failure_views(config, render_envelope)
