"""schemathesis against the live app on its own OpenAPI document: every operation, every
check, positive and negative data. No 500, every response as documented (status, content
type, body), invalid data refused, auth not ignored."""
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from portal.blueprints.api.core import IDEMPOTENCY_HEADER
from portal.blueprints.api.listing import CURSOR_FORMAT
from portal.domain import api
from tests import api_helpers

EXAMPLES = 25  # per operation and mode; the whole run stays within seconds per operation


# A list's `cursor` is what an earlier page answered (a (created_at, id) encode_cursor made):
# valid data is one of those; any other text is refused (422), as negative data must be.
schemathesis.openapi.format(CURSOR_FORMAT, st.builds(
    lambda moment, ident: api.encode_cursor([moment.isoformat(), ident]),
    st.datetimes(), st.integers(1, 2_147_483_647)))


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT": "100000 per minute", "PROPAGATE_EXCEPTIONS": True}


@pytest.fixture(autouse=True)
def node_id_for_schemathesis(request):
    # schemathesis 4.32's lazy schema reads and rewrites `node._nodeid`, which pytest 9.2
    # no longer has (it became `_id`); give it the attribute it reports through.
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def keyed(app):
    return api_helpers.keyed()


# A request the schema allows may still break a business rule the schema cannot say
# (a product that takes no «affiliation» batch, a cursor from another listing, a batch
# already confirmed): 422/409 with a Spanish detail is an acceptance of well-formed data.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture
def api_schema(app, keyed):
    # The key is the document's security scheme «llave»: given to schemathesis as such, so
    # that its cases without credentials (ignored_auth, negative data) really go without.
    config = SchemathesisConfig.from_dict({
        "auth": {"openapi": {"llave": {"bearer": keyed.secret}}},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_matches_its_document(case, keyed):
    _own_idempotency_key(case)
    response = case.call_and_validate()
    if response.request.headers.get("Authorization") == f"Bearer {keyed.secret}":
        assert response.status_code != 401, "the key was refused: the run would test nothing past the door"


def _own_idempotency_key(case):
    """Generated keys repeat («0») across requests, and a key is the company's on every path:
    the second request would be told «ya se usó con otra solicitud» (422), rightly. A valid
    key is made unique per request; an invalid one is left to be refused."""
    key = (case.headers or {}).get(IDEMPOTENCY_HEADER)
    if isinstance(key, str) and api.IDEMPOTENCY_KEY.match(key):
        case.headers[IDEMPOTENCY_HEADER] = f"{key[:200]}-{next(_requests)}"


_requests = itertools.count()
