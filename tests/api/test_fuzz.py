"""Schemathesis against the resource API's operations of /api/openapi.json: whatever it
generates (valid or not), the answer is never a 5xx and conforms to the document (status
codes, content types, schemas, headers).

Not checked: that every schema-valid request is accepted, because the CSV and XML batch
bodies are described as free text (their shape is in prose and examples), so most
generated ones are rightly refused."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import TEST_PASSWORD, TEST_USER, basic_authorization, forget_failed_logins

AUTHORIZATION = basic_authorization(TEST_USER, TEST_PASSWORD)


@pytest.fixture(scope="module")
def api_schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    # A body that breaks the schema may also pass a size bound (an item over 4 KiB, a
    # field name over 100 characters): the documented 413 refuses it as well as a 400.
    checks = schema.config.checks
    rejection = checks.negative_data_rejection
    checks.negative_data_rejection = type(rejection)(
        expected_statuses=[*rejection.expected_statuses, "413"])
    return schema


# Only the resource API: the action API's operations need a session and CSRF tokens.
schema = schemathesis.pytest.from_fixture("api_schema").include(path_regex="^/api/tax-years")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, app):
    # Schemathesis also sends wrong credentials (to see them refused): each case starts
    # with none counted, or the failed-login throttle would answer 429 (documented) to
    # the next cases' right ones.
    forget_failed_logins(app)
    case.call_and_validate(headers={"Authorization": AUTHORIZATION},
                           excluded_checks=[positive_data_acceptance])
