import { apiToken, expect, invitationToken, signIn, test, unique } from "./fixtures";

test("a read-only member can read but not edit", async ({ page, request }) => {
  const owner = await apiToken(request);
  const auth = { authorization: `Bearer ${owner}` };
  const company = await request.post("/api/v1/companies", { headers: auth, data: { name: unique("Readable") } });
  expect(company.status()).toBe(201);
  const { id, name } = (await company.json()) as { id: string; name: string };

  const email = `${unique("viewer")}@e2e.example`;
  const invited = await request.post("/api/v1/invitations", { headers: auth, data: { email, role: "read_only" } });
  expect(invited.status(), await invited.text()).toBe(201);

  // Accept through the invitation screen, with the link the server e-mailed (logged in development).
  await expect.poll(() => { try { return invitationToken(email); } catch { return ""; } }).not.toBe("");
  await page.goto(`/invitations/accept?token=${invitationToken(email)}`);
  await page.getByLabel("Your name").fill("Val Viewer");
  await page.getByLabel("Password").fill("Viewer-e2e-Passw0rd!");
  await page.getByRole("button", { name: "Accept invitation" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Account" })).toContainText(/read only/i);

  // Lists: no create button, cells do not open editors.
  await page.goto("/companies");
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(page.getByRole("button", { name: "New company" })).toHaveCount(0);
  await row.locator('[data-field="domain"]').click();
  await expect(page.getByRole("textbox", { name: "Domain" })).toHaveCount(0);

  // Record page: values shown, no edit buttons, history still readable.
  await page.goto(`/companies/${id}`);
  await expect(page.getByTestId("record-title")).toHaveText(name);
  await expect(page.getByRole("button", { name: /^Edit / })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Delete company" })).toHaveCount(0);

  // And the API agrees (the UI only mirrors what the server enforces).
  await page.getByRole("button", { name: "Account" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  const viewer = await apiToken(request, email, "Viewer-e2e-Passw0rd!");
  const patch = await request.patch(`/api/v1/companies/${id}`, { headers: { authorization: `Bearer ${viewer}` }, data: { domain: "x.example" } });
  expect(patch.status()).toBe(403);
  await signIn(page, email, "Viewer-e2e-Passw0rd!");
});
