"""The account-takeover holes an attacker found (issue #14), each closed: sign-up never opens an existing
account on a password alone, every password check counts toward the lock-out, single-use secrets are spent
once under concurrency, and the web app's refresh token lives in an HttpOnly cookie."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pyotp
from sqlalchemy import select

from kronos.kit.db import Database
from kronos.modules.identity.models import Membership, User, Workspace
from tests.modules.identity.conftest import (
    PASSWORD,
    FrozenClock,
    Mailbox,
    bearer,
    login,
    problem,
    signup,
)

WRONG = "not-the-password-1"


async def _enable_2fa(client: httpx.AsyncClient, tokens: dict[str, Any], frozen: FrozenClock) -> pyotp.TOTP:
    auth = bearer(tokens)
    secret = (await client.post("/api/v1/auth/2fa/setup", headers=auth)).json()["secret"]
    totp = pyotp.TOTP(secret)
    enabled = await client.post("/api/v1/auth/2fa/enable", headers=auth, json={"otp": totp.at(frozen.now)})
    assert enabled.status_code == 200, enabled.text
    frozen.advance(seconds=30)  # the code that enabled 2FA is spent
    return totp


async def _signup(
    client: httpx.AsyncClient, email: str, password: str, name: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": password, "workspace_name": name, **extra}
    )


async def _workspaces_of(db: Database, email: str) -> list[str]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(Workspace.name)
            .join(Membership, Membership.tenant_id == Workspace.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email)
            .order_by(Workspace.name)
        )
        return [name for (name,) in rows]


async def test_signup_with_an_existing_email_is_a_sign_in_with_its_second_factor(
    client: httpx.AsyncClient, frozen: FrozenClock, db: Database, mailbox: Mailbox
) -> None:
    owner = await signup(client, "ada@example.com", "Victim Ltd")
    totp = await _enable_2fa(client, owner, frozen)

    # The password alone no longer opens the account through sign-up.
    problem(await _signup(client, "ada@example.com", PASSWORD, "Evil"), 401, "otp_required")
    problem(await _signup(client, "ada@example.com", PASSWORD, "Evil", otp="000000"), 401, "invalid_otp")
    assert await _workspaces_of(db, "ada@example.com") == ["Victim Ltd"]

    # The owner, with their code, may still create another workspace this way, and is told by e-mail.
    made = await _signup(client, "ada@example.com", PASSWORD, "Second", otp=totp.at(frozen.now))
    assert made.status_code == 201, made.text
    assert await _workspaces_of(db, "ada@example.com") == ["Second", "Victim Ltd"]
    assert mailbox.messages[-1].to == "ada@example.com"
    assert "Second" in mailbox.messages[-1].text


async def test_signup_goes_through_the_lock_out_and_counts_toward_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    await signup(client, "ada@example.com", "Victim Ltd")
    for _ in range(4):
        problem(await _signup(client, "ada@example.com", WRONG, "Evil"), 401, "invalid_credentials")
    problem(await login(client, "ada@example.com", WRONG), 401, "invalid_credentials")
    # Five failures, through sign-up and sign-in alike: both refuse even the right password now.
    locked = problem(await _signup(client, "ada@example.com", PASSWORD, "Evil"), 429, "too_many_attempts")
    assert locked["retry_after"] > 0
    problem(await login(client, "ada@example.com"), 429, "too_many_attempts")
    assert await _workspaces_of(db, "ada@example.com") == ["Victim Ltd"]


async def test_a_wrong_password_at_sign_up_says_what_sign_in_says(client: httpx.AsyncClient) -> None:
    await signup(client, "ada@example.com")
    wrong = problem(await _signup(client, "ada@example.com", WRONG, "Evil"), 401, "invalid_credentials")
    unknown = problem(await login(client, "nobody@example.com", WRONG), 401, "invalid_credentials")
    assert wrong["detail"] == unknown["detail"]


async def test_password_change_guesses_count_toward_the_lock_out(client: httpx.AsyncClient) -> None:
    tokens = await signup(client, "ada@example.com")
    for _ in range(5):
        wrong = await client.post(
            "/api/v1/auth/password/change",
            headers=bearer(tokens),
            json={"current_password": WRONG, "new_password": "violet-harbour-2208"},
        )
        problem(wrong, 422, "wrong_password")
    right = await client.post(
        "/api/v1/auth/password/change",
        headers=bearer(tokens),
        json={"current_password": PASSWORD, "new_password": "violet-harbour-2208"},
    )
    problem(right, 429, "too_many_attempts")
    problem(await login(client, "ada@example.com"), 429, "too_many_attempts")


async def test_two_factor_disable_guesses_count_toward_the_lock_out(
    client: httpx.AsyncClient, frozen: FrozenClock
) -> None:
    tokens = await signup(client, "ada@example.com")
    totp = await _enable_2fa(client, tokens, frozen)
    for _ in range(5):
        wrong = await client.post(
            "/api/v1/auth/2fa/disable", headers=bearer(tokens), json={"password": WRONG, "otp": "000000"}
        )
        problem(wrong, 422, "wrong_password")
    right = await client.post(
        "/api/v1/auth/2fa/disable",
        headers=bearer(tokens),
        json={"password": PASSWORD, "otp": totp.at(frozen.now)},
    )
    problem(right, 429, "too_many_attempts")


async def test_one_totp_code_signs_in_once_under_concurrency(
    client: httpx.AsyncClient, frozen: FrozenClock
) -> None:
    owner = await signup(client, "ada@example.com")
    totp = await _enable_2fa(client, owner, frozen)
    code = totp.at(frozen.now)
    answers = await asyncio.gather(*(login(client, "ada@example.com", otp=code) for _ in range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 401, 401, 401], [a.text for a in answers]


async def test_one_reset_link_resets_once_under_concurrency(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await signup(client, "ada@example.com")
    assert (
        await client.post("/api/v1/auth/password/forgot", json={"email": "ada@example.com"})
    ).status_code == 202
    await asyncio.sleep(0)  # the mail goes out after the response
    token = mailbox.token_for("ada@example.com")
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/auth/password/reset", json={"token": token, "password": f"new-harbour-{i}99x"}
            )
            for i in range(3)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [204, 400, 400], [a.text for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 204)
    assert (await login(client, "ada@example.com", f"new-harbour-{winner}99x")).status_code == 200


async def test_one_invitation_is_accepted_once_under_concurrency(
    client: httpx.AsyncClient, mailbox: Mailbox, db: Database
) -> None:
    owner = await signup(client, "ada@example.com")
    sent = await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    assert sent.status_code == 201, sent.text
    await asyncio.sleep(0)
    token = mailbox.token_for("bob@example.com")
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/invitations/accept", json={"token": token, "password": "bob-harbour-2208"})
            for _ in range(3)
        )
    )
    assert sorted(a.status_code for a in answers)[0] == 200
    assert sum(a.status_code == 200 for a in answers) == 1, [a.text for a in answers]
    assert all(a.status_code in (200, 409, 410) for a in answers), [a.text for a in answers]
    async with db.read_session() as session:
        bob = select(User.id).where(User.email == "bob@example.com").scalar_subquery()
        members = (await session.scalars(select(Membership).where(Membership.user_id == bob))).all()
        assert len(members) == 1


async def test_an_existing_account_joins_by_invitation_through_the_sign_in_policy(
    client: httpx.AsyncClient, mailbox: Mailbox, frozen: FrozenClock
) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    bob = await signup(client, "bob@example.com", "Bob's")
    await _enable_2fa(client, bob, frozen)
    sent = await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    assert sent.status_code == 201
    await asyncio.sleep(0)
    token = mailbox.token_for("bob@example.com")
    for _ in range(5):
        wrong = await client.post("/api/v1/invitations/accept", json={"token": token, "password": WRONG})
        problem(wrong, 401, "invalid_credentials")
    locked = await client.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    problem(locked, 429, "too_many_attempts")


async def test_an_existing_account_with_2fa_joins_with_its_code(
    client: httpx.AsyncClient, mailbox: Mailbox, frozen: FrozenClock
) -> None:
    owner = await signup(client, "ada@example.com", "Acme")
    bob = await signup(client, "bob@example.com", "Bob's")
    totp = await _enable_2fa(client, bob, frozen)
    await client.post(
        "/api/v1/invitations", headers=bearer(owner), json={"email": "bob@example.com", "role": "sales_rep"}
    )
    await asyncio.sleep(0)
    token = mailbox.token_for("bob@example.com")
    no_code = await client.post("/api/v1/invitations/accept", json={"token": token, "password": PASSWORD})
    problem(no_code, 401, "otp_required")
    joined = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "password": PASSWORD, "otp": totp.at(frozen.now)}
    )
    assert joined.status_code == 200, joined.text
    assert joined.json()["tokens"]["workspace_id"] == owner["workspace_id"]


# --- rate limits ------------------------------------------------------------------------------------------


async def test_sign_up_is_rate_limited_per_client_address(client_with: Callable[..., Any]) -> None:
    async with client_with(signup_max_per_ip=3) as http:
        for i in range(3):
            assert (await _signup(http, f"u{i}@example.com", PASSWORD, f"W{i}")).status_code == 201
        limited = await _signup(http, "u9@example.com", PASSWORD, "W9")
        body = problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0
        assert limited.headers["ratelimit-limit"] == "3"
        assert limited.headers["ratelimit-remaining"] == "0"
        assert body["retry_after"] == int(limited.headers["retry-after"])


async def test_password_reset_requests_are_rate_limited_per_client_address(
    client_with: Callable[..., Any],
) -> None:
    async with client_with(password_reset_max_per_ip=2) as http:
        for _ in range(2):
            assert (
                await http.post("/api/v1/auth/password/forgot", json={"email": "x@example.com"})
            ).status_code == 202
        limited = await http.post("/api/v1/auth/password/forgot", json={"email": "y@example.com"})
        problem(limited, 429, "rate_limited")
        assert "retry-after" in limited.headers


async def test_invitations_are_rate_limited_per_workspace(client_with: Callable[..., Any]) -> None:
    async with client_with(invitations_max_per_workspace=2) as http:
        owner = await signup(http, "ada@example.com")
        for i in range(2):
            sent = await http.post(
                "/api/v1/invitations",
                headers=bearer(owner),
                json={"email": f"p{i}@example.com", "role": "sales_rep"},
            )
            assert sent.status_code == 201, sent.text
        limited = await http.post(
            "/api/v1/invitations",
            headers=bearer(owner),
            json={"email": "p9@example.com", "role": "sales_rep"},
        )
        problem(limited, 429, "rate_limited")


async def test_the_api_is_rate_limited_per_user_with_headers_on_every_answer(
    client_with: Callable[..., Any],
) -> None:
    async with client_with(api_rate_limit=3, api_rate_limit_window=60) as http:
        owner = await signup(http, "ada@example.com")
        first = await http.get("/api/v1/companies", headers=bearer(owner))
        assert first.status_code == 200
        assert first.headers["ratelimit-limit"] == "3"
        assert first.headers["ratelimit-remaining"] == "2"
        assert 0 < int(first.headers["ratelimit-reset"]) <= 60
        # Another session of the same person shares the budget.
        other = (await login(http, "ada@example.com")).json()
        assert (await http.get("/api/v1/workspace", headers=bearer(other))).headers[
            "ratelimit-remaining"
        ] == "1"
        assert (await http.get("/api/v1/companies", headers=bearer(owner))).status_code == 200
        limited = await http.get("/api/v1/companies", headers=bearer(owner))
        problem(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) > 0
        assert limited.headers["ratelimit-remaining"] == "0"
        assert limited.headers.get_list("ratelimit-limit") == ["3"]  # once, not twice
        # Someone else is not affected.
        eve = await signup(http, "eve@example.com")
        assert (await http.get("/api/v1/companies", headers=bearer(eve))).status_code == 200


async def test_each_api_key_has_its_own_rate_limit(client_with: Callable[..., Any]) -> None:
    async with client_with(api_rate_limit=2) as http:
        owner = await signup(http, "ada@example.com")
        made = await http.post(
            "/api/v1/api-keys",
            headers=bearer(owner),
            json={"name": "sync", "permissions": {"objects": {"companies": ["read"]}}},
        )
        assert made.status_code == 201, made.text
        key = {"Authorization": f"Bearer {made.json()['key']}"}
        for _ in range(2):
            assert (await http.get("/api/v1/companies", headers=key)).status_code == 200
        problem(await http.get("/api/v1/companies", headers=key), 429, "rate_limited")


# --- the web app's cookie session ------------------------------------------------------------------------

COOKIE_MODE = {"X-Kronos-Session": "cookie"}


async def test_cookie_mode_keeps_the_refresh_token_out_of_reach_of_scripts(client: httpx.AsyncClient) -> None:
    await signup(client, "ada@example.com")
    signed_in = await client.post(
        "/api/v1/auth/login", headers=COOKIE_MODE, json={"email": "ada@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["refresh_token"] is None
    set_cookies = signed_in.headers.get_list("set-cookie")
    refresh_cookie = next(c for c in set_cookies if c.startswith("kronos_refresh="))
    assert "HttpOnly" in refresh_cookie
    assert "SameSite=strict" in refresh_cookie or "samesite=strict" in refresh_cookie.lower()
    assert "Path=/api/v1/auth" in refresh_cookie
    csrf = client.cookies["kronos_csrf"]

    # Without the CSRF header the cookie does nothing; with it, the session refreshes and rotates.
    problem(await client.post("/api/v1/auth/refresh"), 403, "csrf_failed")
    problem(await client.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": "forged"}), 403, "csrf_failed")
    old_refresh = client.cookies["kronos_refresh"]
    refreshed = await client.post("/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf, **COOKIE_MODE})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] is None
    assert client.cookies["kronos_refresh"] != old_refresh
    assert client.cookies["kronos_csrf"] != csrf  # rotates with the refresh token
    me = await client.get("/api/v1/auth/me", headers=bearer(refreshed.json()))
    assert me.status_code == 200

    # Logging out ends the session and clears the cookies.
    out = await client.post("/api/v1/auth/logout", headers=bearer(refreshed.json()))
    assert out.status_code == 204
    assert "kronos_refresh" not in client.cookies
    problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": client.cookies.get("x", "y" * 43)}),
        401,
        "invalid_refresh_token",
    )


async def test_api_clients_still_get_both_tokens_in_the_body(client: httpx.AsyncClient) -> None:
    tokens = await signup(client, "ada@example.com")
    assert tokens["refresh_token"]
    assert "kronos_refresh" not in client.cookies
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"]
    problem(await client.post("/api/v1/auth/refresh"), 422, "validation_failed")
