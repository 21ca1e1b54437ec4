"""The action API's one table: every action's URL, methods, statuses and needs.

It feeds the routes (``actions.includeme``), the views' registrations and checks
(``registration.action_view``, ``checks``), the envelope's statuses (``envelope``), the 405
answers (their Allow comes from the registrations), the OpenAPI document (``openapi``) and
the browser's reading of failures (``html``). Adding an action is one row plus its views.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Action:
    name: str               # also the route's name, and "action" in the envelope
    pattern: str            # under impots.url_prefix
    method: str             # GET for those that only read, POST for the others
    success: int            # the envelope's status on success; on failure: success + 1
    needs_session: bool = True      # a response type chosen by init-session first
    needs_login: bool = True
    state_changing: bool = False    # also GET (the course's clients) when CSRF is off

    @property
    def failure(self) -> int:
        return self.success + 1

    def methods(self, csrf: bool) -> tuple:
        """The methods its views take: a state-changing action answers GET too, as the
        course's clients send it, only while CSRF protection is off."""
        if self.state_changing and not csrf:
            return (self.method, "GET")
        return (self.method,)


ACTIONS = {action.name: action for action in (
    Action("init-session", "/init-session/{type}", "GET", 700,
           needs_session=False, needs_login=False),
    Action("authenticate-user", "/authenticate-user", "POST", 200, needs_login=False),
    Action("calculate-tax", "/calculate-tax", "POST", 300),
    Action("calculate-taxes", "/calculate-taxes", "POST", 1500),
    Action("list-simulations", "/list-simulations", "GET", 500),
    Action("delete-simulation", "/delete-simulation/{id}", "POST", 600, state_changing=True),
    Action("end-session", "/end-session", "POST", 400, state_changing=True),
    Action("display-tax-calculation", "/display-tax-calculation", "GET", 800),
    Action("get-admindata", "/get-admindata", "GET", 1000),
)}

# The envelope's statuses that belong to no one action.
NO_SESSION = 101  # no response type yet, or not authenticated
CSRF_FAILED = 121
UNEXPECTED = 131
UNAVAILABLE = 171


def action_of(request):
    """The request's action (from its route), or None."""
    route = getattr(request, "matched_route", None)
    return ACTIONS.get(route.name) if route is not None else None
