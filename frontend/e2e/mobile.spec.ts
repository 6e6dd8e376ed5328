/**
 * On a phone (390 x 844): lists are cards, not a table that scrolls sideways, and every button has a name.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { apiToken, expect, OWNER_EMAIL, OWNER_PASSWORD, test, unique } from "./fixtures";

test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

/** Signs in as the owner; on a phone the sidebar is a drawer behind the top bar's menu button. */
async function signIn(page: Page): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill(OWNER_EMAIL);
  await page.getByLabel("Password").fill(OWNER_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Open navigation" })).toBeVisible();
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const root = document.scrollingElement as Element;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
  expect(scrollWidth, "the page does not scroll sideways").toBeLessThanOrEqual(clientWidth);
}

async function everyButtonNamed(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withRules(["button-name", "link-name", "aria-command-name"]).analyze();
  expect(violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`))).toEqual([]);
}

test("a list is cards on a phone: no sideways scroll, the title and key fields, a tap opens the record", async ({ page, request }) => {
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const name = unique("Phone deal");
  const deal = await request.post("/api/v1/deals", { headers: auth, data: { name, amount: { amount_minor: 4200000, currency: "EUR" } } });
  expect(deal.status(), await deal.text()).toBe(201);
  const lastName = unique("Phone");
  expect((await request.post("/api/v1/contacts", { headers: auth, data: { first_name: "Grace", last_name: lastName } })).status()).toBe(201);

  await signIn(page);
  await page.goto("/deals");
  await expect(page.getByRole("heading", { level: 1, name: "Deals" })).toBeAttached();
  const cards = page.getByRole("list", { name: "Deals" });
  const card = cards.getByRole("listitem").filter({ hasText: name });
  await expect(card).toBeVisible();
  // The title, then the view's next columns as label and value.
  await expect(card.getByRole("link", { name })).toBeVisible();
  await expect(card.locator("dt").first()).toBeVisible();
  await expect(card.getByText("42,000.00")).toBeVisible();
  await expect(page.getByRole("grid")).toHaveCount(0);
  await noSidewaysScroll(page);
  await everyButtonNamed(page);
  // The two "+" buttons say what they create.
  await expect(page.getByRole("button", { name: "New deal" })).toBeVisible();
  await expect(page.getByRole("button", { name: "New task" })).toBeVisible();

  // A tap anywhere on the card opens the record.
  const box = await card.boundingBox();
  if (!box) throw new Error("card not on screen");
  await page.touchscreen.tap(box.x + box.width - 24, box.y + box.height - 8);
  await expect(page).toHaveURL(/\/deals\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await noSidewaysScroll(page);
  await everyButtonNamed(page);

  // Contacts read "First Last" on their cards too.
  await page.goto("/contacts");
  await expect(page.getByRole("list", { name: "Contacts" }).getByRole("link", { name: `Grace ${lastName}` })).toBeVisible();
  await noSidewaysScroll(page);
  await everyButtonNamed(page);
});

test("the main pages have no sideways scroll and no unnamed button on a phone", async ({ page }) => {
  await signIn(page);
  for (const path of ["/dashboard", "/tasks", "/deals/board", "/leads/board", "/companies", "/settings/profile", "/settings/members"]) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
    await expect(page.locator(".k-skeleton, [aria-busy=true]")).toHaveCount(0);
    await noSidewaysScroll(page);
    await everyButtonNamed(page);
  }
});
