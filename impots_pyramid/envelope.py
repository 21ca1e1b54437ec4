"""The action API's envelope {"action", "status", "response"} and its failures."""

# Each action's success status; its failure status is the next number (the course's).
SUCCESS_STATUS = {
    "init-session": 700,
    "authenticate-user": 200,
    "calculate-tax": 300,
    "calculate-taxes": 1500,
    "list-simulations": 500,
    "delete-simulation": 600,
    "end-session": 400,
    "display-tax-calculation": 800,
    "get-admindata": 1000,
}
NO_SESSION = 101  # no response type yet, or not authenticated
CSRF_FAILED = 121
UNEXPECTED = 131
UNAVAILABLE = 171


class ActionFailure(Exception):
    """An action that cannot be done: rendered as the envelope by an exception view."""

    def __init__(self, status: int, response, http_status: int = 400, headers=None):
        super().__init__(response)
        self.status = status
        self.response = response
        self.http_status = http_status
        self.headers = dict(headers or {})


def action_name(request):
    route = getattr(request, "matched_route", None)
    return route.name if route is not None else None


def failure_status(request) -> int:
    return SUCCESS_STATUS.get(action_name(request), 0) + 1


def envelope(request, status: int, response, **extra) -> dict:
    data = {"action": action_name(request), "status": status, "response": response}
    data.update(extra)
    return data


def success(request, response, **extra) -> dict:
    return envelope(request, SUCCESS_STATUS[action_name(request)], response, **extra)


def fail(request, response, http_status: int = 400, headers=None) -> ActionFailure:
    """The action's own failure (its success status + 1)."""
    return ActionFailure(failure_status(request), response, http_status, headers)
