import type { APIRequestContext, Page } from "@playwright/test";
import { apiToken, expect, signIn, test, totp, unique } from "./fixtures";

async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

async function newAccount(request: APIRequestContext, label: string): Promise<{ email: string; password: string }> {
  const email = `${unique(label)}@e2e.example`;
  const password = "Settings-e2e-Passw0rd!";
  const response = await request.post("/api/v1/auth/signup", {
    data: { email, password, workspace_name: `${label} workspace`, full_name: "Sam Settings" },
  });
  expect(response.status(), await response.text()).toBe(201);
  return { email, password };
}

test("invite a member, change their role, and hide a field from them with a custom role", async ({ page, browser, request }) => {
  // A company with a domain, so both lists below show rows (an empty list shows no columns at all).
  const owner = await apiToken(request);
  const company = unique("Visible Co");
  const created = await request.post("/api/v1/companies", {
    headers: { authorization: `Bearer ${owner}` },
    data: { name: company, domain: "visible.example" },
  });
  expect(created.status(), await created.text()).toBe(201);
  await signIn(page);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/settings\/profile$/);
  await openSection(page, "Members");

  // Invite: a bad address is refused beside the field, then a good one is sent and listed as pending.
  const email = `${unique("mia")}@e2e.example`;
  await page.getByLabel("E-mail").fill("not-an-address");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByLabel("E-mail")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Read-only" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  // The e2e server sends no mail: the owner gets the link to pass on, on the port actually served.
  await expect(page.getByRole("status").filter({ hasText: `Not e-mailed: copy the invitation link for ${email}` })).toBeVisible();
  const shared = page.getByRole("dialog", { name: "Copy the invitation link" });
  const link = await shared.getByRole("textbox", { name: "Invitation link" }).inputValue();
  expect(link).toMatch(new RegExp(`^${process.env.KRONOS_E2E_BASE}/invitations/accept\\?token=`));
  await shared.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("invitation").filter({ hasText: email })).toContainText("Read-only");

  // Accept it in another browser context, as the invited person would.
  const context = await browser.newContext();
  const member = await context.newPage();
  await member.goto(link);
  await member.getByLabel("Your name").fill("Mia Member");
  await member.getByLabel("Password").fill("Member-e2e-Passw0rd!");
  await member.getByRole("button", { name: "Accept invitation" }).click();
  await expect(member.getByRole("navigation", { name: "Main" })).toBeVisible();

  // An ordinary member sees the members read-only, without invitations.
  await member.goto("/settings/members");
  await expect(member.getByText("Only admins manage members.")).toBeVisible();
  await expect(member.getByTestId("member").filter({ hasText: "Mia Member" })).toContainText("Read-only");
  await expect(member.getByRole("button", { name: "Send invitation" })).toHaveCount(0);

  // The owner changes the new member's role; the pending invitation is gone.
  await page.reload();
  await expect(page.getByText("No pending invitations.")).toBeVisible();
  const row = page.getByTestId("member").filter({ hasText: "Mia Member" });
  await row.getByLabel("Role of Mia Member").selectOption({ label: "Sales Rep" });
  await expect(page.getByRole("status").filter({ hasText: "Mia Member is now Sales Rep" })).toBeVisible();
  await member.goto("/contacts");
  await expect(member.getByRole("button", { name: "Account" })).toContainText(/sales rep/i);

  // A custom role that reads everything but hides companies' domain.
  await openSection(page, "Roles");
  await page.getByRole("link", { name: "New role" }).click();
  await page.getByLabel("Name", { exact: true }).fill("No domain");
  await expect(page.getByLabel("Key", { exact: true })).toHaveValue("no_domain");
  await page.getByRole("button", { name: "Field rules for Companies" }).click();
  await page.getByRole("list", { name: "Field rules for Companies" }).getByLabel("Domain").selectOption("hidden");
  await expect(page.getByTestId("grant-companies")).toContainText("1 hidden");
  await page.getByRole("button", { name: "Create role" }).click();
  await expect(page).toHaveURL(/\/settings\/roles\/no_domain$/);
  await expect(page.getByRole("status").filter({ hasText: "Role “No domain” created" })).toBeVisible();

  await openSection(page, "Members");
  await row.getByLabel("Role of Mia Member").selectOption({ label: "No domain" });
  await expect(page.getByRole("status").filter({ hasText: "Mia Member is now No domain" })).toBeVisible();

  // The member's company list has no Domain column any more; the owner's still has it.
  await member.goto("/companies");
  await expect(member.getByRole("row").filter({ hasText: company })).toBeVisible();
  await expect(member.getByRole("columnheader", { name: "Name" })).toBeVisible();
  await expect(member.getByRole("columnheader", { name: "Domain" })).toHaveCount(0);
  await expect(member.getByText("visible.example")).toHaveCount(0);
  await page.goto("/companies");
  await expect(page.getByRole("row").filter({ hasText: company })).toContainText("visible.example");
  await expect(page.getByRole("columnheader", { name: "Domain" })).toBeVisible();

  // Built-in roles are shown read-only.
  await page.goto("/settings/roles/sales_rep");
  await expect(page.getByText("Built-in roles cannot be changed.")).toBeVisible();
  await expect(page.getByLabel("Read Contacts")).toBeDisabled();
  await expect(page.getByRole("button", { name: "Save role" })).toHaveCount(0);
  await context.close();
});

test("create an API key, call the API with it, then revoke it", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/settings/api-keys");
  await page.getByLabel("Key name").fill("CI sync");
  await page.getByRole("radio", { name: /^Read only/ }).check();
  await page.getByRole("button", { name: "Create key" }).click();
  const dialog = page.getByRole("dialog", { name: "Copy your new API key" });
  const key = await dialog.getByRole("textbox", { name: "API key" }).inputValue();
  expect(key).toMatch(/^kr_[0-9a-f]{12}_/);
  await dialog.getByRole("button", { name: "Done" }).click();

  const auth = { authorization: `Bearer ${key}` };
  const read = await request.get("/api/v1/companies?limit=1", { headers: auth });
  expect(read.status(), await read.text()).toBe(200);
  // Read only: the key cannot create, even though its owner can.
  const write = await request.post("/api/v1/companies", { headers: auth, data: { name: unique("Keyed") } });
  expect(write.status()).toBe(403);

  await page.reload();
  const row = page.getByTestId("api-key").filter({ hasText: "CI sync" });
  await expect(row).toContainText("Read only");
  await expect(row).not.toContainText("last used never");
  await row.getByRole("button", { name: "Revoke CI sync" }).click();
  await page.getByRole("dialog", { name: "Revoke “CI sync”?" }).getByRole("button", { name: "Revoke key" }).click();
  await expect(row).toContainText("Revoked");
  expect((await request.get("/api/v1/companies?limit=1", { headers: auth })).status()).toBe(401);
});

test("turn on two-factor sign-in, sign in with a recovery code, turn it off", async ({ page, request }) => {
  const account = await newAccount(request, "twofa");
  await signIn(page, account.email, account.password);
  await page.goto("/settings/security");
  const card = page.getByRole("region", { name: "Two-factor authentication" });
  await expect(card).toContainText("Off");
  await card.getByRole("button", { name: "Set up two-factor" }).click();
  await expect(card.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  const secret = await card.getByRole("textbox", { name: "Secret" }).inputValue();
  await expect(card.getByRole("textbox", { name: "Setup link" })).toHaveValue(new RegExp(`^otpauth://totp/.*secret=${secret}`));

  // A wrong code is refused beside the field; the right one turns 2FA on and shows the recovery codes once.
  await card.getByLabel("Authentication code").fill("000000" === totp(secret) ? "111111" : "000000");
  await card.getByRole("button", { name: "Turn on" }).click();
  await expect(card.getByLabel("Authentication code")).toHaveAttribute("aria-invalid", "true");
  await card.getByLabel("Authentication code").fill(totp(secret));
  await card.getByRole("button", { name: "Turn on" }).click();
  const recovery = card.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(recovery).toHaveCount(10);
  const codes = await recovery.allInnerTexts();
  await card.getByRole("button", { name: "I have saved them" }).click();
  await expect(card).toContainText("On");

  // Signing in now asks for a code; a recovery code works once.
  await page.getByRole("button", { name: "Account" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.getByLabel("E-mail").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Authentication code").fill(codes[0]!);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();

  // Turning it off needs the password and a code (another recovery code here).
  await page.goto("/settings/security");
  await card.getByRole("button", { name: "Turn off" }).click();
  await card.getByLabel("Password").fill(account.password);
  await card.getByLabel("Authentication code").fill(codes[1]!);
  await card.getByRole("button", { name: "Turn off two-factor" }).click();
  await expect(card).toContainText("Off");
  await expect(card.getByRole("button", { name: "Set up two-factor" })).toBeVisible();
});

test("profile name, sessions, and the phone layout's section picker", async ({ page, request }) => {
  const account = await newAccount(request, "profile");
  // Another signed-in device, to sign out from here.
  const other = await request.post("/api/v1/auth/login", {
    data: { email: account.email, password: account.password },
    headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0" },
  });
  expect(other.ok()).toBeTruthy();
  const otherToken = ((await other.json()) as { access_token: string }).access_token;
  await signIn(page, account.email, account.password);

  await page.goto("/settings/profile");
  await page.getByLabel("Full name").fill("Sam Renamed");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Profile saved" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Account" })).toContainText("Sam Renamed");

  await openSection(page, "Security");
  const session = page.getByTestId("session").filter({ hasText: "Firefox on Windows" });
  await session.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("dialog", { name: "Sign out this session?" }).getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Session signed out" })).toBeVisible();
  await expect(session).toHaveCount(0);
  const me = await request.get("/api/v1/auth/me", { headers: { authorization: `Bearer ${otherToken}` } });
  expect(me.status()).toBe(401);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel("Settings section").selectOption({ label: "API keys" });
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
});
