/**
 * `npm run perf`: how long the contacts list takes to show its first 50 rows, cold (full page load) and from
 * another screen, with 20,000 contacts in the (SQLite) database; and how smooth scrolling through pages is.
 * Figures are printed, not asserted (see bench/ for the API's own figures at a million rows).
 */
import { apiToken, expect, signIn, test } from "./fixtures";

const TOTAL = Number(process.env.PERF_ROWS ?? 20_000);

test("list view: time to 50 rows", async ({ page, request }) => {
  test.setTimeout(600_000);
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const existing = await request.get("/api/v1/contacts?limit=1&count=true&fields=id", { headers: auth });
  const have = ((await existing.json()) as { total: number }).total;
  for (let start = have; start < TOTAL; start += 1000) {
    const records = Array.from({ length: Math.min(1000, TOTAL - start) }, (_, i) => ({
      first_name: `First${start + i}`,
      last_name: `Last${start + i}`,
      job_title: ["Engineer", "Director", "Analyst", "Founder"][(start + i) % 4],
      emails: [`person${start + i}@perf.example`],
    }));
    const r = await request.post("/api/v1/contacts/batch", { headers: auth, data: { operation: "create", records }, timeout: 120_000 });
    expect(r.ok(), await r.text()).toBeTruthy();
  }
  for (const url of [
    "/api/v1/contacts?limit=100&fields=id,version,last_name,first_name,emails,phones,job_title,company_id,owner_id,created_at",
    "/api/v1/contacts?limit=1&fields=id&count=true",
    "/api/v1/metadata/objects",
  ]) {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      await request.get(url, { headers: auth });
      times.push(Date.now() - t);
    }
    console.log(`API ${url.slice(0, 60)}: ${times.join(", ")} ms`);
  }
  await signIn(page);
  await page.setViewportSize({ width: 1440, height: 2100 }); // 50 rows on one screen

  const rows = page.locator('[role="grid"] [role="rowgroup"] [role="row"][data-index]');
  // Timed in the page (performance.now(), checked every animation frame), from the navigation's start for a
  // page load and from the click for an in-app navigation.
  const fiftyRows = () =>
    page.waitForFunction(() => document.querySelectorAll('[role="grid"] [role="row"][data-index]').length >= 50 && performance.now(), null, {
      polling: "raf",
      timeout: 30_000,
    });
  const measure = async (label: string, go: () => Promise<unknown>, cold: boolean) => {
    const before = cold ? 0 : await page.evaluate(() => performance.now());
    await go();
    const at = (await (await fiftyRows()).jsonValue()) as number;
    const ms = Math.round(at - before);
    console.log(`${label}: ${ms} ms to 50 rows`);
    return ms;
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto("/companies");
    cold.push(await measure(`cold page load #${i + 1}`, () => page.goto("/contacts"), true));
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Companies" }).click();
    await page.waitForURL(/companies/);
    warm.push(await measure(`in-app navigation #${i + 1}`, () => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click(), false));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`median: cold ${median(cold)} ms, in-app ${median(warm)} ms`);

  // Scroll through 2,000 rows (20 pages) and count rendered DOM rows (virtualization).
  const grid = page.getByTestId("record-grid");
  const started = Date.now();
  for (let i = 0; i < 40; i++) {
    await grid.evaluate((el) => el.scrollBy(0, 1800));
    await page.waitForTimeout(50);
  }
  await expect(rows.first()).toBeVisible();
  const domRows = await rows.count();
  const last = await rows.last().getAttribute("data-index");
  console.log(`scrolled to row ${last} in ${Date.now() - started} ms with ${domRows} rows in the DOM`);
});
