"""The resource API's traversal tree: Root -> "api" -> "tax-years" -> a tax year -> "tax"
-> "explanation" | "curve".

The route ``/api/*traverse`` starts traversal at ``root["api"]`` (``api_root_factory``), so
the URL path and each resource's lineage agree and ``request.resource_url`` gives the
right URL under any mount point (it starts from ``request.application_url``, which
carries SCRIPT_NAME). Permissions come from the ``__acl__`` of the lineage: the
description of the API is public, everything else needs an authenticated user.
"""
from pyramid.authorization import DENY_ALL, Allow, Authenticated, Everyone

# Permissions of the views (api.views).
DESCRIBE = "describe"  # read the OpenAPI document
VIEW = "view"  # read tax years
CALCULATE = "calculate"  # compute a tax


class Resource:
    """A node of the tree: a name, a parent, and URLs without a trailing slash."""

    __name__ = ""
    __parent__ = None

    def __init__(self, name="", parent=None):
        self.__name__ = name
        self.__parent__ = parent

    def __resource_url__(self, request, info):
        # Pyramid's default ends every resource URL with "/"; the documented URLs do not.
        # (So elements are not joined with a "/": name views' URLs come from route_url.)
        return info["app_url"] + info["virtual_path"].rstrip("/")


class Root(Resource):
    """The application root; only ``api`` lives here (other URLs are routes)."""

    __acl__ = [DENY_ALL]  # whatever a resource below does not allow is refused

    def __init__(self, request):
        super().__init__()
        self.request = request  # the tax years are read through it (database, cached)

    def __getitem__(self, name):
        if name == "api":
            return Api("api", self)
        raise KeyError(name)


class Api(Resource):
    """``/api``: its index and ``openapi.json`` (a view name on it)."""

    __acl__ = [
        (Allow, Everyone, DESCRIBE),
        (Allow, Authenticated, (VIEW, CALCULATE)),
    ]

    def __getitem__(self, name):
        if name == "tax-years":
            return TaxYears("tax-years", self)
        raise KeyError(name)


class TaxYears(Resource):
    """``/api/tax-years``: the tax years of the database (``request.tax_years``)."""

    def years(self) -> dict:
        """{year: TaxYearParameters}, from ``request.tax_years``."""
        return find_root(self).request.tax_years

    def __getitem__(self, name):
        # Non-numeric ("abc", "2019.0") and unknown years alike: KeyError, hence a 404.
        if not (name.isascii() and name.isdigit()) or len(name) > 4:
            raise KeyError(name)
        parameters = self.years().get(int(name))
        if parameters is None:
            raise KeyError(name)
        return TaxYear(name, self, parameters)


class TaxYear(Resource):
    """``/api/tax-years/{year}``: one tax year's parameters."""

    def __init__(self, name, parent, parameters):
        super().__init__(name, parent)
        self.parameters = parameters

    @property
    def year(self) -> int:
        return self.parameters.tax_year

    def __getitem__(self, name):
        if name == "tax":
            return TaxCalculation("tax", self)
        raise KeyError(name)


class TaxCalculation(Resource):
    """``/api/tax-years/{year}/tax``: the tax of one household (GET) or of a batch (POST)."""

    @property
    def tax_year(self) -> TaxYear:
        return self.__parent__

    def __getitem__(self, name):
        if name == "explanation":
            return TaxExplanation("explanation", self)
        if name == "curve":
            return TaxCurve("curve", self)
        raise KeyError(name)


class TaxExplanation(Resource):
    """``/api/tax-years/{year}/tax/explanation``: the steps of one household's tax (GET).

    No ``__acl__`` of its own: the lineage's (``Api``) decides, as for ``tax``."""

    @property
    def tax_year(self) -> TaxYear:
        return self.__parent__.tax_year


class TaxCurve(TaxExplanation):
    """``/api/tax-years/{year}/tax/curve``: the tax of a household type against the salary
    (GET), the ACL of the lineage."""


def find_root(resource) -> Root:
    while resource.__parent__ is not None:
        resource = resource.__parent__
    return resource


def api_root_factory(request):
    """The route factory of ``/api/*traverse``: traversal starts at ``/api``."""
    return Root(request)["api"]
