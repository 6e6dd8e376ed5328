/**
 * axe-core on every main page, in the light and the dark theme: no critical or serious violation (contrast,
 * list structure, nested interactive controls, unnamed buttons...), and every page has a level-one heading.
 */
import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Page } from "@playwright/test";
import { apiToken, expect, signIn, test, unique } from "./fixtures";

const SETTINGS = ["profile", "security", "general", "members", "roles", "roles/new", "teams", "api-keys", "fields", "objects", "pipelines"];

/** Waits until the page has its heading and nothing is loading any more, then runs axe on it. */
async function audit(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1 }).first(), `${path} has an h1`).toBeVisible();
  await expect(page.locator(".k-skeleton, [aria-busy=true]")).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page }).analyze();
  const grave = violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(" ")} ${n.failureSummary ?? ""}`).join("\n")}`);
  expect.soft(grave, `axe on ${path} (${await page.evaluate(() => document.documentElement.dataset.theme)})`).toEqual([]);
  expect.soft(violations.map((v) => v.id), `${path} has one h1`).not.toContain("page-has-heading-one");
}

/** A company, a contact and a deal linked to both, so record pages show relations and boards show a card. */
async function seed(request: APIRequestContext): Promise<{ auth: Record<string, string>; dealId: string; contactId: string }> {
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const company = await request.post("/api/v1/companies", { headers: auth, data: { name: unique("A11y Co") } });
  expect(company.status(), await company.text()).toBe(201);
  const contact = await request.post("/api/v1/contacts", { headers: auth, data: { first_name: "Ada", last_name: unique("A11y") } });
  expect(contact.status(), await contact.text()).toBe(201);
  const contactId = ((await contact.json()) as { id: string }).id;
  const deal = await request.post("/api/v1/deals", {
    headers: auth,
    data: {
      name: unique("A11y deal"),
      amount: { amount_minor: 120000, currency: "EUR" },
      company_id: ((await company.json()) as { id: string }).id,
      contact_ids: [contactId],
    },
  });
  expect(deal.status(), await deal.text()).toBe(201);
  return { auth, dealId: ((await deal.json()) as { id: string }).id, contactId };
}

for (const colorScheme of ["light", "dark"] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });
    // Each page waits for its data and runs axe (a second or more on a busy machine): more than one page's time.
    test.setTimeout(120_000);

    test("sign-in, sign-up and forgotten password have no serious accessibility violation", async ({ page }) => {
      for (const path of ["/signin", "/signup", "/forgot-password"]) await audit(page, path);
    });

    test("the dashboard, tasks and both boards have no serious accessibility violation", async ({ page, request }) => {
      const { auth } = await seed(request);
      expect((await request.post("/api/v1/leads", { headers: auth, data: { first_name: "Lea", last_name: unique("A11y") } })).status()).toBe(201);
      await signIn(page);
      for (const path of ["/dashboard", "/tasks", "/deals/board", "/leads/board"]) await audit(page, path);
    });

    test("every object's list has no serious accessibility violation", async ({ page, request }) => {
      const { auth } = await seed(request);
      const meta = await request.get("/api/v1/metadata/objects", { headers: auth });
      expect(meta.status(), await meta.text()).toBe(200);
      const objects = (await meta.json()) as { name: string }[];
      expect(objects.length).toBeGreaterThan(3);
      await signIn(page);
      for (const object of objects) await audit(page, `/${object.name}`);
    });

    test("record pages have no serious accessibility violation", async ({ page, request }) => {
      const { dealId, contactId } = await seed(request);
      await signIn(page);
      for (const path of [`/deals/${dealId}`, `/contacts/${contactId}`]) await audit(page, path);
    });

    test("every settings page has no serious accessibility violation", async ({ page }) => {
      await signIn(page);
      for (const path of SETTINGS) await audit(page, `/settings/${path}`);
    });
  });
}
