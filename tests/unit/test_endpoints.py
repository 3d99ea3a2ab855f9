import pytest

from workbench.core.endpoints import (
    EndpointKind,
    EndpointProblem,
    format_headers,
    local_endpoint,
    new_endpoint,
    parse_headers,
    validate_endpoint,
)


def test_every_kind_has_a_preset_and_needs_key_follows_it() -> None:
    assert new_endpoint(EndpointKind.OPENAI).needs_key
    assert not new_endpoint(EndpointKind.OLLAMA).needs_key
    assert new_endpoint(EndpointKind.OLLAMA).base_url == "http://127.0.0.1:11434/v1"


def test_local_endpoint_needs_no_url() -> None:
    validate_endpoint(local_endpoint(), taken_names=set())


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"name": " "}, "Give the endpoint a name"),
        ({"name": "openai"}, "already an endpoint"),
        ({"base_url": "ftp://x"}, "http:// or https://"),
        ({"base_url": "https://YOUR-RESOURCE.openai.azure.com/openai/v1"}, "Azure resource"),
        ({"headers": (("Authorization", "Bearer x"),)}, "keyring"),
        ({"headers": (("Bad Name", "x"),)}, "not a valid header"),
    ],
)
def test_problems_are_explained(changes: dict, says: str) -> None:
    endpoint = new_endpoint(EndpointKind.CUSTOM, "Mine").with_changes(**changes)
    with pytest.raises(EndpointProblem, match=says):
        validate_endpoint(endpoint, taken_names={"OpenAI"})


def test_headers_round_trip_and_bad_lines() -> None:
    headers = parse_headers("X-Title: Workbench\n\nHTTP-Referer: https://example.org\n")
    assert headers == (("X-Title", "Workbench"), ("HTTP-Referer", "https://example.org"))
    assert parse_headers(format_headers(headers)) == headers
    with pytest.raises(EndpointProblem, match="Name: value"):
        parse_headers("no colon here")
