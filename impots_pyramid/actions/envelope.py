"""The action API's envelope {"action", "status", "response"} and its failures."""
from .table import action_of


class ActionFailure(Exception):
    """An action that cannot be done: rendered as the envelope by an exception view."""

    def __init__(self, status: int, response, http_status: int = 400, headers=None):
        super().__init__(response)
        self.status = status
        self.response = response
        self.http_status = http_status
        self.headers = dict(headers or {})


def action_name(request):
    action = action_of(request)
    return action.name if action is not None else None


def failure_status(request) -> int:
    """The action's own failure status (its success + 1); 1 outside any action."""
    action = action_of(request)
    return action.failure if action is not None else 1


def envelope(request, status: int, response, **extra) -> dict:
    data = {"action": action_name(request), "status": status, "response": response}
    data.update(extra)
    return data


def success(request, response, **extra) -> dict:
    return envelope(request, action_of(request).success, response, **extra)


def fail(request, response, http_status: int = 400, headers=None) -> ActionFailure:
    """The action's own failure (its success status + 1)."""
    return ActionFailure(failure_status(request), response, http_status, headers)
