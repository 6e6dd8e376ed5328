import { expect, signIn, test, unique } from "./fixtures";

test("create a company, a contact and a deal; edit inline; read the field's history and the record as of before", async ({ page }) => {
  const company = unique("Acme");
  await signIn(page);
  const nav = page.getByRole("navigation", { name: "Main" });

  // Company
  await nav.getByRole("link", { name: "Companies" }).click();
  await page.getByRole("button", { name: "New company" }).click();
  const dialog = page.getByRole("dialog", { name: "New company" });
  await dialog.getByLabel("Name").fill(company);
  await dialog.getByLabel("Domain").fill(`${company.toLowerCase()}.example`);
  await dialog.getByRole("button", { name: "Create company" }).click();
  await expect(page.getByTestId("record-title")).toHaveText(company);

  // Contact, linked to the company through the relation picker
  await nav.getByRole("link", { name: "Contacts" }).click();
  await page.getByRole("button", { name: "New contact" }).click();
  const contactDialog = page.getByRole("dialog", { name: "New contact" });
  await contactDialog.getByRole("button", { name: "Create contact" }).click();
  await expect(contactDialog.getByRole("alert").first()).toBeVisible(); // last name is required (API 422)
  await contactDialog.getByLabel("First name").fill("Ada");
  await contactDialog.getByLabel("Last name").fill("Lovelace");
  await contactDialog.getByLabel("Search companies").fill(company.slice(0, 8));
  await contactDialog.getByRole("option", { name: company }).click();
  await contactDialog.getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByTestId("record-title")).toHaveText("Ada Lovelace");
  await expect(page.locator('[data-field="company_id"]')).toContainText(company);
  const contactUrl = page.url();

  // Deal
  await nav.getByRole("link", { name: "Deals", exact: true }).click();
  await page.getByRole("button", { name: "New deal" }).click();
  const dealDialog = page.getByRole("dialog", { name: "New deal" });
  await dealDialog.getByLabel("Name", { exact: true }).fill(`${company} renewal`);
  await dealDialog.getByLabel("Amount", { exact: true }).fill("12500");
  await dealDialog.getByLabel("Amount currency").fill("EUR");
  await dealDialog.getByLabel("Search companies").fill(company.slice(0, 8));
  await dealDialog.getByRole("option", { name: company }).click();
  await dealDialog.getByRole("button", { name: "Create deal" }).click();
  await expect(page.getByTestId("record-title")).toHaveText(`${company} renewal`);
  await expect(page.locator('[data-field="amount"]')).toContainText("12,500");

  // The company page lists its contact and its deal (related records through list filters).
  await page.locator('[data-field="company_id"]').getByRole("link", { name: company }).click();
  await expect(page.getByRole("region", { name: "Contacts" })).toContainText("Ada Lovelace");
  await expect(page.getByRole("region", { name: "Deals" })).toContainText(`${company} renewal`);

  // Inline edit on the contact's page; a bad value shows the API's message for that field.
  await page.goto(contactUrl);
  await page.getByRole("button", { name: "Edit Job title" }).click();
  await page.getByRole("textbox", { name: "Job title" }).fill("Analyst");
  await page.keyboard.press("Enter");
  await expect(page.locator('[data-field="job_title"]')).toContainText("Analyst");
  await page.getByRole("button", { name: "Edit E-mails" }).click();
  await page.getByRole("textbox", { name: "E-mails" }).fill("not-an-email");
  await page.keyboard.press("Enter");
  await expect(page.locator('[data-field="emails"]').getByRole("alert")).toBeVisible();
  await page.keyboard.press("Escape");

  // The list shows the contact; edit a cell in the grid.
  await nav.getByRole("link", { name: "Contacts" }).click();
  const row = page.getByRole("row").filter({ hasText: "Ada Lovelace" }).first();
  await row.locator('[data-field="job_title"]').click();
  await page.getByRole("textbox", { name: "Job title" }).fill("Chief Analyst");
  await page.keyboard.press("Enter");
  await expect(row.locator('[data-field="job_title"]')).toHaveText("Chief Analyst");

  // History of the field: who, when, from, to.
  await page.goto(contactUrl);
  const jobTitle = page.locator('[data-field="job_title"]');
  await jobTitle.hover();
  await page.getByRole("button", { name: "History of Job title" }).click();
  const history = page.getByRole("dialog", { name: "History of Job title" });
  const changes = history.getByTestId("field-change");
  await expect(changes.first()).toBeVisible();
  await expect(changes.first().getByTestId("new-value")).toHaveText("Chief Analyst");
  await expect(changes.first().getByTestId("old-value")).toHaveText("Analyst");
  await expect(changes.nth(1).getByTestId("new-value")).toHaveText("Analyst");
  await expect(changes.first()).toContainText("changed it in the web app"); // the source in words, not "via ui"

  // The whole record as it was before the last edit.
  await changes.first().getByRole("button", { name: /before this change/ }).click();
  await expect(page.getByTestId("as-of-banner")).toBeVisible();
  await expect(page).toHaveURL(/as_of=/);
  await expect(jobTitle).toContainText("Analyst");
  await expect(jobTitle).not.toContainText("Chief");
  await expect(page.getByRole("button", { name: "Edit Job title" })).toHaveCount(0); // read-only in the past
  await page.getByRole("button", { name: "Back to now" }).click();
  await expect(jobTitle).toContainText("Chief Analyst");
});

test("quick search, filters and sort drive the list through the API", async ({ page, request }) => {
  const login = await request.post("/api/v1/auth/login", { data: { email: "owner@e2e.example", password: "Owner-e2e-Passw0rd!" } });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const tag = unique("zq");
  for (const name of ["Alpha", "Bravo", "Charlie"]) {
    const created = await request.post("/api/v1/companies", {
      headers: { authorization: `Bearer ${token}` },
      data: { name: `${tag} ${name}`, industry: name === "Bravo" ? "retail" : "software" },
    });
    expect(created.status()).toBe(201);
  }
  await signIn(page);
  await page.goto("/companies");
  // The shortcut works once the list (and its search box) is on screen.
  await expect(page.getByRole("grid", { name: "Companies" })).toBeVisible();
  await page.keyboard.press("/");
  await expect(page.getByRole("searchbox")).toBeFocused();
  await page.keyboard.type(tag);
  await expect(page.getByRole("row").filter({ hasText: tag })).toHaveCount(3);

  await page.getByRole("columnheader", { name: "Name" }).getByRole("button").click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByRole("row").filter({ hasText: tag }).first()).toContainText("Alpha");
  await page.getByRole("columnheader", { name: "Name" }).getByRole("button").click();
  await expect(page).toHaveURL(/sort=-name/);
  await expect(page.getByRole("row").filter({ hasText: tag }).first()).toContainText("Charlie");

  await page.getByRole("button", { name: "Filter" }).click();
  // The company's own fields come first; ID, Version and the timestamps sit in a "System" group at the end.
  const fieldMenu = page.getByRole("dialog", { name: "Add filter" }).getByLabel("Field");
  await expect(fieldMenu.locator("option").first()).toHaveText("Name");
  await expect(fieldMenu.locator('optgroup[label="System"] > option')).toHaveText(["ID", "Version", "Created", "Updated"]);
  await page.getByRole("dialog", { name: "Add filter" }).getByLabel("Field").selectOption("industry");
  await page.getByRole("dialog", { name: "Add filter" }).getByLabel("Industry").selectOption("retail"); // applies
  await expect(page.getByRole("row").filter({ hasText: tag })).toHaveCount(1);
  await expect(page.getByRole("row").filter({ hasText: tag })).toContainText("Bravo");
});
