import type { Page } from "@playwright/test";
import { expect, test, totp, unique } from "./fixtures";

/** What the page's own script can see: cookies it can read, and both storages. */
function visibleToScript(page: Page): Promise<string> {
  return page.evaluate(() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)].join("\n"));
}

test("sign up creates a workspace and lands in it; the session is a cookie no script sees; sign out and back in", async ({ page }) => {
  const email = `${unique("founder")}@e2e.example`;
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByRole("link", { name: "Create a workspace" }).click();
  await page.getByLabel("Your name").fill("Grace Hopper");
  await page.getByLabel("Work e-mail").fill(email);
  await page.getByLabel("Password").fill("short");
  await page.getByLabel("Workspace name").fill("Hopper Inc");
  await page.getByRole("button", { name: "Create workspace" }).click();
  // The API's validation message is shown beside the field it names.
  await expect(page.getByRole("alert").filter({ hasText: /at least 10 characters/ })).toBeVisible();

  await page.getByLabel("Password").fill("a-much-Better-passw0rd");
  await page.getByRole("button", { name: "Create workspace" }).click();
  // A new workspace opens on its dashboard; its sales pipeline exists already, and its lists are empty.
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts", exact: true }).click();
  await expect(page.getByText("No contacts yet")).toBeVisible();

  // The refresh token is an HttpOnly, SameSite=Strict cookie for /api/v1/auth only: not in document.cookie,
  // not in any storage; and the access token (a JWT, "eyJ...") is in no storage either, only in memory.
  const refresh = (await page.context().cookies()).find((c) => c.name === "kronos_refresh");
  expect(refresh).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/v1/auth" });
  expect(refresh!.value.length).toBeGreaterThan(20);
  let seen = await visibleToScript(page);
  expect(seen).not.toContain(refresh!.value);
  expect(seen).not.toContain("kronos_refresh");
  expect(seen).not.toContain("eyJ");

  // Reloads keep the session (each one restores it from the cookie), even a reload that lands while the
  // previous page's refresh is in flight: the next page must not send the cookie the server just rotated.
  for (let i = 0; i < 3; i++) {
    const refreshing = page.waitForRequest((r) => r.url().endsWith("/api/v1/auth/refresh"));
    await page.reload({ waitUntil: "commit" });
    await refreshing;
  }
  await page.reload();
  await expect(page.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  await page.reload();
  await expect(page.getByText("No contacts yet")).toBeVisible();
  seen = await visibleToScript(page);
  expect(seen).not.toContain("eyJ");
  const rotated = (await page.context().cookies()).find((c) => c.name === "kronos_refresh");
  expect(rotated!.value).not.toBe(refresh!.value);
  expect(seen).not.toContain(rotated!.value);

  // A new tab shares the session; signing out in one tab signs out the other.
  const other = await page.context().newPage();
  await other.goto("/contacts");
  await expect(other.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  await page.getByRole("button", { name: "Account" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await expect(other).toHaveURL(/\/signin/);
  await other.close();
  expect((await page.context().cookies()).map((c) => c.name)).not.toContain("kronos_refresh");

  // A reload stays signed out, and so does a signed-in address.
  await page.reload();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.goto("/companies");
  await expect(page).toHaveURL(/\/signin\?next=%2Fcompanies/);

  // Signing in from there comes back to where the user was going.
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill("a-much-Better-passw0rd");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/companies$/);
  await expect(page.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  seen = await visibleToScript(page);
  expect(seen).not.toContain("eyJ");
  expect(seen).not.toContain((await page.context().cookies()).find((c) => c.name === "kronos_refresh")!.value);
});

test("wrong password shows the API's message and stays signed out", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill("nobody@e2e.example");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});

test("sign-up with an existing account's e-mail signs in to it (its password, its 2FA code) and adds a workspace", async ({ page, request }) => {
  // An account with two-factor sign-in on, made through the API.
  const email = `${unique("twice")}@e2e.example`;
  const password = "Twice-e2e-Passw0rd!";
  const created = await request.post("/api/v1/auth/signup", { data: { email, password, workspace_name: "First Twice" } });
  expect(created.status(), await created.text()).toBe(201);
  const auth = { authorization: `Bearer ${((await created.json()) as { access_token: string }).access_token}` };
  const setup = await request.post("/api/v1/auth/2fa/setup", { headers: auth });
  expect(setup.ok(), await setup.text()).toBeTruthy();
  const { secret } = (await setup.json()) as { secret: string };
  const enabled = await request.post("/api/v1/auth/2fa/enable", { headers: auth, data: { otp: totp(secret) } });
  expect(enabled.ok(), await enabled.text()).toBeTruthy();
  const codes = ((await enabled.json()) as { recovery_codes: string[] }).recovery_codes;

  await page.goto("/signup");
  await page.getByLabel("Work e-mail").fill(email);
  await page.getByLabel("Password").fill("Not-the-Passw0rd!");
  await page.getByLabel("Workspace name").fill("Second Twice");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByRole("alert")).toContainText("An account with this e-mail exists; the password is not correct.");

  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.getByLabel("Authentication code").fill(codes[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  const switcher = page.getByRole("button", { name: "Switch workspace" });
  await expect(switcher).toContainText("Second Twice");

  // Switching workspace moves the cookie session too: a reload stays in the workspace switched to.
  await switcher.click();
  await page.getByRole("menuitem", { name: /First Twice/ }).click();
  await expect(switcher).toContainText("First Twice");
  await page.reload();
  await expect(switcher).toContainText("First Twice");
});
