/** `npm run screenshots`: light-mode pictures of the main screens for docs/screenshots (not a test suite). */
import { fileURLToPath } from "node:url";
import { apiToken, expect, signIn, test } from "./fixtures";

const out = (name: string) => fileURLToPath(new URL(`../../docs/screenshots/${name}.png`, import.meta.url));

const PEOPLE = [
  ["Ada", "Lovelace", "Chief Analyst"], ["Grace", "Hopper", "Rear Admiral"], ["Alan", "Turing", "Researcher"],
  ["Katherine", "Johnson", "Mathematician"], ["Linus", "Torvalds", "Maintainer"], ["Margaret", "Hamilton", "Director of Software"],
  ["Barbara", "Liskov", "Professor"], ["Donald", "Knuth", "Author"], ["Radia", "Perlman", "Network Engineer"],
  ["Edsger", "Dijkstra", "Professor"], ["Frances", "Allen", "Fellow"], ["John", "McCarthy", "Researcher"],
  ["Hedy", "Lamarr", "Inventor"], ["Tim", "Berners-Lee", "Director"], ["Annie", "Easley", "Engineer"],
  ["Ken", "Thompson", "Engineer"], ["Dennis", "Ritchie", "Engineer"], ["Shafi", "Goldwasser", "Professor"],
];
const COMPANIES: [string, string, string][] = [
  ["Analytical Engines", "software", "51-200"], ["Harvard Mark", "education", "201-1000"], ["Bletchley Park", "financial_services", "1001-5000"],
  ["Langley Research", "healthcare", "11-50"], ["Kernel Labs", "software", "1-10"], ["Apollo Guidance", "manufacturing", "5001+"],
];

test("screenshots", async ({ page, request }) => {
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const companies: string[] = [];
  for (const [name, industry, size] of COMPANIES) {
    const r = await request.post("/api/v1/companies", { headers: auth, data: { name, industry, size, domain: `${name.split(" ")[0]?.toLowerCase()}.example`, address_city: "London" } });
    companies.push(((await r.json()) as { id: string }).id);
  }
  let contactId = "";
  for (const [i, [first, last, title]] of PEOPLE.entries()) {
    const r = await request.post("/api/v1/contacts", {
      headers: auth,
      data: { first_name: first, last_name: last, job_title: title, emails: [`${first?.toLowerCase()}@${COMPANIES[i % COMPANIES.length]?.[0].split(" ")[0]?.toLowerCase()}.example`], phones: [`+44 20 7946 0${100 + i}`], company_id: companies[i % companies.length] },
    });
    if (i === 0) contactId = ((await r.json()) as { id: string }).id;
  }
  const patch = async (values: Record<string, unknown>) => {
    const current = (await (await request.get(`/api/v1/contacts/${contactId}`, { headers: auth })).json()) as { version: number };
    await request.patch(`/api/v1/contacts/${contactId}`, { headers: { ...auth, "if-match": `"${current.version}"` }, data: values });
  };
  await patch({ job_title: "Analyst" });
  await patch({ job_title: "Chief Analyst", phones: ["+44 20 7946 0999"] });
  await request.post("/api/v1/deals", { headers: auth, data: { name: "Engines renewal", amount: { amount_minor: 1250000, currency: "EUR" }, company_id: companies[0], contact_ids: [contactId], close_date: "2026-12-15" } });
  await request.post("/api/v1/activities", { headers: auth, data: { kind: "call", subject: "Discovery call", body: "Walked through the difference engine roadmap.", links: [{ object: "contacts", id: contactId }] } });

  await page.goto("/signin");
  await page.screenshot({ path: out("sign-in") });

  await signIn(page);
  await page.goto("/contacts");
  await expect(page.getByRole("row").filter({ hasText: "Lovelace" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("list") });

  await page.goto(`/contacts/${contactId}`);
  await expect(page.getByTestId("record-title")).toHaveText("Ada Lovelace");
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("record") });

  await page.locator('[data-field="job_title"]').hover();
  await page.getByRole("button", { name: "History of Job title" }).click();
  await expect(page.getByTestId("field-change").first()).toBeVisible();
  await page.screenshot({ path: out("field-history") });
  await page.keyboard.press("Escape");

  // Deals spread over the default pipeline's stages, a few tasks: the board, the dashboard, the tasks.
  const stages = (await (await request.get("/api/v1/stages?sort=position&limit=50", { headers: auth })).json()) as {
    items: { id: string; name: string; type: string }[];
  };
  const DEALS: [string, number, number][] = [
    ["Harvard Mark upgrade", 480000, 0], ["Bletchley Park audit", 1900000, 0], ["Kernel Labs pilot", 250000, 1],
    ["Langley Research licence", 730000, 1], ["Apollo Guidance fleet", 5400000, 2], ["Analytical Engines support", 960000, 3],
    ["Harvard Mark training", 120000, 4], ["Kernel Labs expansion", 310000, 5],
  ];
  for (const [i, [name, amount, stage]] of DEALS.entries()) {
    await request.post("/api/v1/deals", {
      headers: auth,
      data: { name, amount: { amount_minor: amount, currency: "EUR" }, company_id: companies[i % companies.length], stage_id: stages.items[stage]?.id, close_date: "2026-12-20" },
    });
  }
  const me = (await (await request.get("/api/v1/auth/me", { headers: auth })).json()) as { user: { id: string } };
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  for (const [subject, offset] of [["Send the renewal quote", 0], ["Call Grace about the pilot", 0], ["Prepare the QBR deck", 3], ["Follow up on the audit", -2]] as const) {
    await request.post("/api/v1/activities", {
      headers: auth,
      data: { kind: "task", subject, due_at: `${day(offset)}T15:00:00Z`, assignee_id: me.user.id, links: [{ object: "contacts", id: contactId }] },
    });
  }

  await page.goto("/deals/board");
  await expect(page.getByText("Apollo Guidance fleet")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("board") });

  await page.goto("/dashboard");
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(800); // chart animations
  await page.screenshot({ path: out("dashboard") });

  await page.goto("/tasks");
  await expect(page.getByText("Send the renewal quote")).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("tasks") });

  await page.goto("/settings/roles");
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("settings") });

  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/contacts");
  await expect(page.getByRole("row").filter({ hasText: "Lovelace" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("list-dark") });

  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/contacts/${contactId}`);
  await expect(page.getByTestId("record-title")).toHaveText("Ada Lovelace");
  await page.waitForLoadState("networkidle");
  await page.screenshot({ path: out("record-phone") });
});
