"""The API's schema and its documentation page, served without the internet."""

from __future__ import annotations

import re

from django.test import Client

from tests.core.api_client import PREFIX


def test_the_openapi_schema_describes_the_endpoints_and_both_kinds_of_auth(parties):
    response = Client().get(PREFIX + "/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for registry in (
        "parties",
        "organisations",
        "admin-areas",
        "settlements",
        "zones",
        "facilities",
    ):
        assert f"{PREFIX}/{registry}/" in paths
        assert f"{PREFIX}/{registry}/{{public_id}}/history" in paths
    assert "patch" in paths[f"{PREFIX}/settlements/{{public_id}}"]
    assert "patch" not in paths[f"{PREFIX}/parties/{{public_id}}"]
    post = paths[f"{PREFIX}/settlements/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_the_docs_page_loads_nothing_from_the_internet(parties):
    client = Client()
    response = client.get(PREFIX + "/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "docs page uses a remote asset"
    # Every asset it names is served by this server.
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
    assert '"validatorUrl": null' in html
    # "Try it out" from a logged-in browser sends the CSRF token unsafe methods need.
    assert 'data-api-csrf="true"' in html
