import type { APIRequestContext, Page } from "@playwright/test";
import { apiToken, expect, signIn, test, unique } from "./fixtures";

async function owner(request: APIRequestContext): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await apiToken(request)}` };
}

/**
 * Keyboard sorting (dnd-kit): lift with Space, move with the arrows, drop with Space. Each step waits for
 * the screen-reader announcement of its result, so no key is pressed before the list has measured itself.
 */
async function moveUp(page: Page, item: string, from: number, steps: number): Promise<void> {
  const announced = (text: string) => expect(page.getByRole("status").filter({ hasText: text })).toHaveCount(1);
  const handle = page.getByRole("button", { name: `Reorder ${item}` });
  await handle.focus();
  await page.keyboard.press("Space");
  await expect(handle).toHaveAttribute("aria-pressed", "true");
  await announced(`${item} is at position ${from}`);
  for (let i = 1; i <= steps; i++) {
    await page.keyboard.press("ArrowUp");
    await announced(`${item} moved to position ${from - i}`);
  }
  await page.keyboard.press("Space");
  await announced(`${item} dropped at position ${from - steps}`);
}

test("a custom select field: created with options, edited in the list, renamed, reordered, archived", async ({ page, request }) => {
  const auth = await owner(request);
  const lastName = unique("Hopper");
  const created = await request.post("/api/v1/contacts", { headers: auth, data: { first_name: "Grace", last_name: lastName } });
  expect(created.status(), await created.text()).toBe(201);
  const contact = (await created.json()) as { id: string };

  await signIn(page);
  await page.goto("/settings/fields?object=contacts");
  await expect(page.getByRole("list", { name: "Standard fields of contacts" })).toContainText("Last name");
  await page.getByRole("button", { name: "New field" }).click();
  const dialog = page.getByRole("dialog", { name: "New field on contacts" });
  await dialog.getByLabel("Label", { exact: true }).fill("Tier");
  await expect(dialog.getByLabel("API name")).toHaveValue("tier");
  await dialog.getByLabel("Type", { exact: true }).selectOption("select");
  // Submitting without options: the API's message is shown beside the options.
  await dialog.getByRole("button", { name: "Create field" }).click();
  await expect(dialog.getByRole("alert").filter({ hasText: /at least one option/i })).toBeVisible();
  await dialog.getByRole("button", { name: "Add option" }).click();
  await dialog.getByLabel("Option 1 label").fill("Gold");
  await dialog.getByLabel("Option 1 label").press("Enter");
  await dialog.getByLabel("Option 2 label").fill("Silver");
  await dialog.getByLabel("Colour of Gold").selectOption("yellow");
  await dialog.getByRole("button", { name: "Create field" }).click();
  await expect(dialog).toHaveCount(0);
  const custom = page.getByRole("list", { name: "Custom fields of contacts" });
  await expect(custom.locator('[data-field="tier"]')).toContainText("Tier");

  // The new field is a column of the contacts list, and editable in place.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
  await expect(page.getByRole("columnheader", { name: "Tier" })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: lastName });
  await row.locator('[data-field="tier"]').click();
  await page.getByRole("combobox", { name: "Tier" }).selectOption("gold");
  await expect(row.locator('[data-field="tier"]')).toHaveText("Gold");

  // Rename: the label changes everywhere, the API name stays.
  await page.goto("/settings/fields?object=contacts");
  await page.getByRole("button", { name: "Edit Tier" }).click();
  const edit = page.getByRole("dialog", { name: "Edit “Tier”" });
  await edit.getByLabel("Label", { exact: true }).fill("Customer tier");
  await edit.getByRole("button", { name: "Save field" }).click();
  await expect(custom.locator('[data-field="tier"]')).toContainText("Customer tier");

  // Reorder with the keyboard: a second field moves above the first, and the API keeps the order.
  const region = await request.post("/api/v1/metadata/objects/contacts/fields", {
    headers: auth,
    data: { api_name: "region", label: "Region", type: "text" },
  });
  expect(region.status(), await region.text()).toBe(201);
  await page.reload();
  await expect(custom.locator("[data-field]")).toHaveCount(2);
  await expect(custom.locator("[data-field]").first()).toHaveAttribute("data-field", "tier");
  await moveUp(page, "Region", 2, 1);
  await expect(custom.locator("[data-field]").first()).toHaveAttribute("data-field", "region");
  await expect
    .poll(async () => {
      const meta = (await (await request.get("/api/v1/metadata/objects/contacts", { headers: auth })).json()) as { fields: { name: string; standard: boolean }[] };
      return meta.fields.filter((f) => !f.standard).map((f) => f.name);
    })
    .toEqual(["region", "tier"]);

  // Archive: gone from the list, its value still in the record's history.
  await page.getByRole("button", { name: "Archive Customer tier" }).click();
  const confirm = page.getByRole("dialog", { name: "Archive “Customer tier”?" });
  await expect(confirm).toContainText("No data is deleted");
  await confirm.getByRole("button", { name: "Archive field" }).click();
  await expect(page.getByRole("list", { name: "Archived fields" })).toContainText("Customer tier");
  await expect(custom.locator('[data-field="tier"]')).toHaveCount(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
  await expect(page.getByRole("row").filter({ hasText: lastName })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Customer tier" })).toHaveCount(0);
  await page.goto(`/contacts/${contact.id}`);
  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Customer tier");
  await expect(timeline).toContainText("Gold");
});

test("a custom object: created in settings, then a record in it", async ({ page }) => {
  await signIn(page);
  await page.goto("/settings/objects");
  await expect(page.getByRole("list", { name: "Built-in objects" })).toContainText("Contacts");
  await page.getByRole("button", { name: "New object" }).click();
  const dialog = page.getByRole("dialog", { name: "New object" });
  await dialog.getByLabel("Name (singular)").fill("Project");
  await expect(dialog.getByLabel("Name (plural)")).toHaveValue("Projects");
  await expect(dialog.getByLabel("API name")).toHaveValue("projects");
  await dialog.getByRole("button", { name: "Create object" }).click();
  await expect(dialog).toHaveCount(0);
  const row = page.getByRole("list", { name: "Custom objects" }).locator('[data-object="projects"]');
  await expect(row).toContainText("Projects");

  // A second object with the same API name is refused, with the reason beside the input.
  await page.getByRole("button", { name: "New object" }).click();
  const again = page.getByRole("dialog", { name: "New object" });
  await again.getByLabel("Name (singular)").fill("Project");
  await again.getByRole("button", { name: "Create object" }).click();
  await expect(again.getByRole("alert").first()).toContainText(/already exists/i);
  await again.getByRole("button", { name: "Cancel" }).click();

  await row.getByRole("link", { name: "Open list" }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await page.getByRole("button", { name: "New project" }).click();
  const create = page.getByRole("dialog", { name: "New project" });
  await create.getByLabel("Name", { exact: true }).fill("Apollo");
  await create.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByTestId("record-title")).toHaveText("Apollo");
});

test("pipelines: add a stage, reorder stages, and a stage with deals is not removed", async ({ page, request }) => {
  const auth = await owner(request);
  // The first deal gets the workspace its default pipeline (if it had none) and enters its first open stage.
  const deal = await request.post("/api/v1/deals", { headers: auth, data: { name: unique("Deal") } });
  expect(deal.status(), await deal.text()).toBe(201);
  await signIn(page);
  await page.goto("/settings/pipelines");
  const stages = page.getByRole("list", { name: "Stages of Sales" });
  await expect(stages.locator("[data-stage]")).toHaveCount(5);

  const add = page.getByRole("form", { name: "Add a stage" });
  await add.getByLabel("New stage").fill("Demo");
  await add.getByLabel("Win %").fill("250");
  await add.getByRole("button", { name: "Add stage" }).click();
  await expect(add.getByRole("alert").first()).toBeVisible(); // the API refuses 250 %
  await add.getByLabel("Win %").fill("25");
  await add.getByRole("button", { name: "Add stage" }).click();
  await expect(stages.locator("[data-stage]")).toHaveCount(6);
  await expect(stages.locator("[data-stage]").last()).toHaveAttribute("data-stage", "Demo");

  await moveUp(page, "Demo", 6, 4);
  await expect(stages.locator("[data-stage]").nth(1)).toHaveAttribute("data-stage", "Demo");
  await expect
    .poll(async () => {
      const pipelines = (await (await request.get("/api/v1/pipelines", { headers: auth })).json()) as { items: { id: string }[] };
      const filter = encodeURIComponent(JSON.stringify({ field: "pipeline_id", op: "eq", value: pipelines.items[0]?.id }));
      const page = (await (await request.get(`/api/v1/stages?filter=${filter}&sort=position`, { headers: auth })).json()) as { items: { name: string }[] };
      return page.items.map((s) => s.name);
    })
    .toEqual(["Qualification", "Demo", "Proposal", "Negotiation", "Won", "Lost"]);

  // Rename a stage in place.
  await stages.getByLabel("Name of stage Negotiation").fill("Contract");
  await stages.getByLabel("Name of stage Negotiation").press("Enter");
  await expect(stages.locator('[data-stage="Contract"]')).toHaveCount(1);

  // The deal is in the first stage: that stage cannot be removed while it is there.
  await page.getByRole("button", { name: "Remove stage Qualification" }).click();
  const refused = page.getByRole("dialog", { name: "“Qualification” still has deals" });
  // Other specs share the workspace and may have put deals there too: at least this one.
  await expect(refused).toContainText(/\d+ deals? (is|are) in this stage/);
  await refused.getByRole("button", { name: "Close", exact: true }).last().click();

  // An empty stage can go.
  await page.getByRole("button", { name: "Remove stage Demo" }).click();
  await page.getByRole("dialog", { name: "Remove “Demo”?" }).getByRole("button", { name: "Remove stage" }).click();
  await expect(stages.locator("[data-stage]")).toHaveCount(5);
  await expect(stages.locator('[data-stage="Demo"]')).toHaveCount(0);
});

test("pipelines and stages are set up in settings, not listed in the sidebar", async ({ page }) => {
  await signIn(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Contacts", exact: true })).toBeVisible(); // the objects have loaded
  await expect(nav.getByRole("link", { name: "Pipelines", exact: true })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Stages", exact: true })).toHaveCount(0);
  // Settings still reaches them.
  await nav.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Pipelines" }).click();
  await expect(page).toHaveURL(/\/settings\/pipelines$/);
  await expect(page.getByRole("form", { name: "Add a stage" })).toBeVisible();
});
