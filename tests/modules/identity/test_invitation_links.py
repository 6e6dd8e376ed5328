"""Invitation links: built from the public URL (which follows the served address when unset), handed to the
admin only when the server sends no mail, sent again with a new link that stops the old one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kronos.config import Settings, served_url
from tests.modules.identity.conftest import PASSWORD, Mailbox, bearer, problem, signup


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, secret_key="x" * 48, **values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"port": 9123}, "http://127.0.0.1:9123"),
        ({"host": "0.0.0.0", "port": 8080}, "http://localhost:8080"),
        ({"host": "::1", "port": 8001}, "http://[::1]:8001"),
        ({"host": "crm.internal"}, "http://crm.internal:8000"),
        ({"public_url": "https://crm.example.com/", "port": 9123}, "https://crm.example.com"),
    ],
)
def test_the_public_url_follows_the_served_address_unless_set(values: dict[str, Any], expected: str) -> None:
    assert _settings(**values).public_url == expected


def test_served_url_names_the_address_a_browser_reaches() -> None:
    assert served_url("::", 80) == "http://localhost:80"


async def test_without_mail_the_admin_gets_the_link_and_resend_replaces_it(
    client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    assert not settings.smtp_host
    owner = await signup(client, "ada@example.com", "Acme")
    created = await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["emailed"] is False
    first = mailbox.token_for("bob@example.com")
    assert body["link"] == f"{settings.public_url}/invitations/accept?token={first}"
    # The list never carries a link: only the answer to the admin who made it.
    listed = (await client.get("/api/v1/invitations", headers=bearer(owner))).json()
    assert "link" not in listed[0]

    resent = await client.post(f"/api/v1/invitations/{body['id']}/resend", headers=bearer(owner))
    assert resent.status_code == 200, resent.text
    second = mailbox.token_for("bob@example.com")
    assert second != first
    assert resent.json()["link"].endswith(f"token={second}")
    assert resent.json()["status"] == "pending"
    problem(
        await client.post("/api/v1/invitations/accept", json={"token": first, "password": PASSWORD}),
        404,
        "invitation_not_found",
    )
    accepted = await client.post("/api/v1/invitations/accept", json={"token": second, "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    problem(
        await client.post(f"/api/v1/invitations/{body['id']}/resend", headers=bearer(owner)),
        410,
        "invitation_used",
    )
    events = (await client.get("/api/v1/audit-log", headers=bearer(owner))).json()["items"]
    assert "invitation.resent" in {e["event"] for e in events}


async def test_with_mail_the_link_goes_only_to_the_invitee(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    app.state.settings = settings.model_copy(update={"smtp_host": "smtp.example.com"})
    owner = await signup(client, "ada@example.com", "Acme")
    created = await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    assert created.status_code == 201, created.text
    assert (created.json()["emailed"], created.json()["link"]) == (True, None)
    resent = await client.post(f"/api/v1/invitations/{created.json()['id']}/resend", headers=bearer(owner))
    assert (resent.json()["emailed"], resent.json()["link"]) == (True, None)
    assert [m.to for m in mailbox.messages] == ["bob@example.com", "bob@example.com"]


async def test_revoked_and_foreign_invitations_cannot_be_resent(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    other = await signup(client, "eve@example.com", "Eve's")
    created = await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    invitation_id = created.json()["id"]
    url = f"/api/v1/invitations/{invitation_id}/resend"
    problem(await client.post(url, headers=bearer(other)), 404, "invitation_not_found")
    revoked = await client.delete(f"/api/v1/invitations/{invitation_id}", headers=bearer(owner))
    assert revoked.status_code == 204
    problem(await client.post(url, headers=bearer(owner)), 404, "invitation_not_found")
    assert len(mailbox.messages) == 1
