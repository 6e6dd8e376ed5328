import type { APIRequestContext } from "@playwright/test";
import { apiToken, expect, signIn, test, unique } from "./fixtures";

/** A pipeline of its own (other specs' deals sit in the default one), with two open stages and a won one. */
async function seed(request: APIRequestContext) {
  const token = await apiToken(request);
  const headers = { Authorization: `Bearer ${token}` };
  const post = async (object: string, data: Record<string, unknown>) => {
    const response = await request.post(`/api/v1/${object}`, { headers, data });
    expect(response.status(), await response.text()).toBe(201);
    return (await response.json()) as { id: string };
  };
  const tag = unique("E2E");
  const pipeline = await post("pipelines", { name: `${tag} pipeline`, position: 99 });
  const stage = (name: string, position: number, type = "open") =>
    post("stages", { pipeline_id: pipeline.id, name: `${tag} ${name}`, position, type });
  const discovery = await stage("Discovery", 0);
  const proposal = await stage("Proposal", 1);
  const won = await stage("Won", 2, "won");
  const deal = (name: string, stageId: string, amount_minor: number, currency = "EUR") =>
    post("deals", { name: `${tag} ${name}`, pipeline_id: pipeline.id, stage_id: stageId, amount: { amount_minor, currency } });
  await deal("Alpha", discovery.id, 100_000);
  await deal("Bravo", discovery.id, 250_000);
  await deal("Charlie", proposal.id, 70_000);
  await deal("Delta", proposal.id, 4_200, "GBP");
  const closed = await deal("Echo", proposal.id, 900_000);
  const moved = await request.patch(`/api/v1/deals/${closed.id}`, { headers, data: { stage_id: won.id } });
  expect(moved.status(), await moved.text()).toBe(200);
  return { tag, pipeline: pipeline.id };
}

test("the dashboard shows a pipeline's value by stage, and a bar opens the matching deals", async ({ page, request }) => {
  const { tag, pipeline } = await seed(request);
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await page.getByLabel("Pipeline", { exact: true }).selectOption({ label: `${tag} pipeline` });
  await expect(page).toHaveURL(new RegExp(`pipeline=${pipeline}`));

  const card = page.getByRole("region", { name: "Pipeline value by stage" });
  // The chart's text summary: the stage totals in the main currency (EUR); GBP is noted, not converted.
  await expect(card.getByRole("img")).toHaveAttribute("aria-label", /Discovery 2 deals, €3,500\.00; .*Proposal 2 deals, €700\.00\. Total €4,200\.00/);
  await expect(card).toContainText("Also open in other currencies (not converted): £42.00");

  // The same figures as a table, reachable from the keyboard.
  await card.getByRole("button", { name: "Table" }).press("Enter");
  const rows = card.getByRole("row");
  await expect(rows.filter({ hasText: `${tag} Discovery` })).toContainText("2€3,500.00");
  await expect(rows.filter({ hasText: `${tag} Proposal` })).toContainText("€700.00 + £42.00");

  // The won deal is in "won and lost", not in the open pipeline.
  await expect(page.getByRole("region", { name: "Deals won and lost" }).getByRole("img")).toHaveAttribute(
    "aria-label",
    /won 1 deal worth €9,000\.00, lost 0 deals/,
  );

  // Click-through from the table: the Proposal stage's open deals.
  await card.getByRole("link", { name: `${tag} Proposal` }).click();
  await expect(page).toHaveURL(/\/deals\?f=/);
  await expect(page.getByText(`${tag} Charlie`)).toBeVisible();
  await expect(page.getByText(`${tag} Delta`)).toBeVisible();
  await expect(page.getByText(`${tag} Alpha`)).toHaveCount(0);
  await expect(page.getByText(`${tag} Echo`)).toHaveCount(0);

  // Click-through from the chart: the Discovery bar (the tallest: biggest EUR value).
  await page.goBack();
  const chartCard = page.getByRole("region", { name: "Pipeline value by stage" });
  await expect(chartCard.getByRole("button", { name: "Table" })).toBeVisible(); // back in chart mode
  await chartCard.locator(".recharts-bar-rectangle").first().click();
  await expect(page).toHaveURL(/\/deals\?f=/);
  await expect(page.getByText(`${tag} Alpha`)).toBeVisible();
  await expect(page.getByText(`${tag} Bravo`)).toBeVisible();
  await expect(page.getByText(`${tag} Charlie`)).toHaveCount(0);
});

test("a custom period with nothing in it shows empty states, and a bad one says so", async ({ page }) => {
  await signIn(page);
  await page.goto("/dashboard?range=custom&from=2001-01-01&to=2001-01-31");
  const card = page.getByRole("region", { name: "Leads by status" });
  await expect(card.getByText("No new leads")).toBeVisible();
  await expect(page.getByRole("region", { name: "Activities by rep" }).getByText("No activities")).toBeVisible();
  await page.getByLabel("From").fill("2001-02-10");
  await expect(page.getByRole("alert").filter({ hasText: "start day on or before the end day" })).toBeVisible();
});

test("stage names on the charts' axes fit inside the charts (long ones are shortened, not cut off)", async ({ page, request }) => {
  const { tag, pipeline } = await seed(request); // stage names start with a long word: "E2E-… Discovery"
  await signIn(page);
  await page.goto(`/dashboard?pipeline=${pipeline}`);
  for (const name of ["Conversion funnel", "Average time in stage"]) {
    const chart = page.getByRole("region", { name }).getByRole("img");
    const ticks = chart.locator(".recharts-yAxis-tick-labels text");
    await expect(ticks.first()).toBeVisible();
    await expect(ticks.filter({ hasText: "Discovery" })).toHaveCount(1);
    const svg = await chart.locator("svg.recharts-surface").boundingBox();
    expect(svg).not.toBeNull();
    for (const tick of await ticks.all()) {
      const box = await tick.boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x, `${name}: ${await tick.textContent()}`).toBeGreaterThanOrEqual(svg!.x);
    }
    // The full name stays available as the label's tooltip.
    await expect(ticks.filter({ hasText: "Discovery" }).locator("title")).toHaveText(`${tag} Discovery`);
  }
});
