import { expect, test, unique } from "./fixtures";

test("sign up creates a workspace and lands in it; sign out and back in", async ({ page }) => {
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

  // Reloads keep the session (quick successive reloads too: no refresh-token replay), and the access token
  // never reaches localStorage (it is shared by every tab; the access token stays in this tab's storage).
  await page.reload();
  await page.reload();
  await expect(page.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  const stored = await page.evaluate(() => JSON.stringify(localStorage));
  expect(stored).not.toContain("eyJ");
  // A new tab (no sessionStorage) signs in with the refresh token.
  const other = await page.context().newPage();
  await other.goto("/contacts");
  await expect(other.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
  await other.close();

  await page.getByRole("button", { name: "Account" }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto("/companies");
  await expect(page).toHaveURL(/\/signin\?next=%2Fcompanies/);

  // Signing in from there comes back to where the user was going.
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill("a-much-Better-passw0rd");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/companies$/);
  await expect(page.getByRole("button", { name: "Switch workspace" })).toContainText("Hopper Inc");
});

test("wrong password shows the API's message and stays signed out", async ({ page }) => {
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill("nobody@e2e.example");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
});
