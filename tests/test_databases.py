"""The suite's own database helpers: a missing server is a skip, except where servers are
required (CI), where it fails the test."""

from __future__ import annotations

import pytest

from tests.databases import REQUIRE_VARIABLE, DatabaseServers

REASON = "postgresql: ORMAR_BOT_TEST_POSTGRESQL_URL is unset and postgresql: not installed"


@pytest.mark.parametrize("value", ["", "0"])
def test_a_missing_server_is_a_skip_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, value)
    servers = DatabaseServers(_skips={"postgresql": REASON})
    with pytest.raises(pytest.skip.Exception, match=REASON):
        servers.url("postgresql")


def test_a_missing_server_fails_where_servers_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    servers = DatabaseServers(_skips={"postgresql": REASON})
    with pytest.raises(pytest.fail.Exception) as failure:
        servers.url("postgresql")
    assert str(failure.value) == f"{REASON} ({REQUIRE_VARIABLE} is set: the servers must be there)"
