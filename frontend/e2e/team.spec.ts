/**
 * A team's first week (#15): an invited sales rep sees the team's records and changes only their own; a role
 * that narrows what a member sees says so on an empty list; invitations without a mail server hand the admin
 * a link to copy, and can be resent (a new link; the old one stops working) and revoked.
 */
import type { APIRequestContext } from "@playwright/test";
import { apiToken, expect, signIn, test, unique } from "./fixtures";

const PASSWORD = "Team-e2e-Passw0rd!";

/** Invite `role` through the API and accept with the link the answer carries (the e2e server sends no mail). */
async function join(request: APIRequestContext, owner: string, role: string): Promise<string> {
  const email = `${unique(role)}@e2e.example`;
  const invited = await request.post("/api/v1/invitations", { headers: { authorization: `Bearer ${owner}` }, data: { email, role } });
  expect(invited.status(), await invited.text()).toBe(201);
  const { emailed, link } = (await invited.json()) as { emailed: boolean; link: string };
  expect(emailed).toBe(false);
  const token = new URL(link).searchParams.get("token");
  const accepted = await request.post("/api/v1/invitations/accept", { data: { token, password: PASSWORD, full_name: "Team Mate" } });
  expect(accepted.status(), await accepted.text()).toBe(200);
  return email;
}

test("an invited sales rep sees the team's contacts and can change only their own", async ({ page, request }) => {
  const owner = await apiToken(request);
  const name = unique("Teamwide");
  const made = await request.post("/api/v1/contacts", { headers: { authorization: `Bearer ${owner}` }, data: { first_name: "Owen", last_name: name } });
  expect(made.status(), await made.text()).toBe(201);
  const { id } = (await made.json()) as { id: string };
  const rep = await join(request, owner, "sales_rep");

  await signIn(page, rep, PASSWORD);
  await page.goto("/contacts");
  await expect(page.getByRole("row").filter({ hasText: name })).toBeVisible();
  await expect(page.getByTestId("role-narrowing")).toHaveCount(0);

  // Someone else's contact opens read-only, saying why; the server refuses a change to it too.
  await page.goto(`/contacts/${id}`);
  await expect(page.getByTestId("record-title")).toContainText(name);
  await expect(page.getByTestId("record-read-only")).toHaveText("Your role lets you read this contact but change only your own contacts.");
  await expect(page.getByRole("button", { name: "Delete contact" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Edit / })).toHaveCount(0);
  const token = await apiToken(request, rep, PASSWORD);
  const refused = await request.patch(`/api/v1/contacts/${id}`, { headers: { authorization: `Bearer ${token}` }, data: { first_name: "Rita" } });
  expect(refused.status()).toBe(403);
  expect(((await refused.json()) as { code: string }).code).toBe("record_read_only");

  // Their own contact is theirs to change.
  const mine = await request.post("/api/v1/contacts", { headers: { authorization: `Bearer ${token}` }, data: { last_name: unique("Mine") } });
  expect(mine.status(), await mine.text()).toBe(201);
  await page.goto(`/contacts/${((await mine.json()) as { id: string }).id}`);
  await expect(page.getByRole("button", { name: "Delete contact" })).toBeVisible();
  await expect(page.getByTestId("record-read-only")).toHaveCount(0);

  // The roles page says what the role does, reads and changes.
  await page.goto("/settings/roles");
  await expect(page.getByText(/^Reads every record\. Creates sales records .* and changes or deletes their own/)).toBeVisible();
  await page.goto("/settings/roles/sales_rep");
  await expect(page.getByLabel("Records of Contacts this role sees")).toHaveValue("all");
  await expect(page.getByLabel("Records of Contacts this role may change")).toHaveValue("own");
});

test("a role that shows only its own records says so on an empty list", async ({ page, request }) => {
  const owner = await apiToken(request);
  const auth = { authorization: `Bearer ${owner}` };
  const made = await request.post("/api/v1/contacts", { headers: auth, data: { last_name: unique("Hidden") } });
  expect(made.status(), await made.text()).toBe(201);
  const key = unique("own_only").replace(/-/g, "_").toLowerCase();
  const role = await request.post("/api/v1/roles", {
    headers: auth,
    data: { key, name: `Own only ${key}`, permissions: { objects: { "*": { actions: ["read", "create", "update"], visibility: "own" } } } },
  });
  expect(role.status(), await role.text()).toBe(201);
  const member = await join(request, owner, key);

  await signIn(page, member, PASSWORD);
  await page.goto("/contacts");
  await expect(page.getByText("No contacts you can see")).toBeVisible();
  await expect(page.getByTestId("role-narrowing")).toHaveText("Your role shows you only your own contacts; others' are hidden from you.");
  await expect(page.getByRole("button", { name: "Create the first contact" })).toHaveCount(0);
});

test("without a mail server, an admin copies the invitation link, resends it and revokes it", async ({ page, request }) => {
  await signIn(page);
  await page.goto("/settings/members");
  const email = `${unique("nomail")}@e2e.example`;
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Sales Rep" });
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Not e-mailed: copy the invitation link for ${email}` })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Invitation sent" })).toHaveCount(0);
  const dialog = page.getByRole("dialog", { name: "Copy the invitation link" });
  await expect(dialog).toContainText(`nothing was sent to ${email}`);
  const first = await dialog.getByRole("textbox", { name: "Invitation link" }).inputValue();
  expect(first.startsWith(`${process.env.KRONOS_E2E_BASE}/invitations/accept?token=`)).toBe(true);
  await expect(dialog.getByRole("button", { name: "Copy invitation link" })).toBeVisible();
  await dialog.getByRole("button", { name: "Done" }).click();

  // Resend: a new link; the first one stops working.
  const row = page.getByTestId("invitation").filter({ hasText: email });
  await row.getByRole("button", { name: `Resend invitation to ${email}` }).click();
  const second = await dialog.getByRole("textbox", { name: "Invitation link" }).inputValue();
  expect(second).not.toBe(first);
  await dialog.getByRole("button", { name: "Done" }).click();
  const stale = await request.post("/api/v1/invitations/accept", { data: { token: new URL(first).searchParams.get("token"), password: PASSWORD } });
  expect(stale.status()).toBe(404);

  // Revoke: the row goes, and the second link stops working too.
  await row.getByRole("button", { name: `Revoke invitation for ${email}` }).click();
  await page.getByRole("dialog", { name: "Revoke this invitation?" }).getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Invitation for ${email} revoked` })).toBeVisible();
  await expect(row).toHaveCount(0);
  const revoked = await request.post("/api/v1/invitations/accept", { data: { token: new URL(second).searchParams.get("token"), password: PASSWORD } });
  expect(revoked.status()).toBe(404);
});
