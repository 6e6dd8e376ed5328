import type { APIRequestContext, Page } from "@playwright/test";
import { apiToken, expect, signIn, test, unique } from "./fixtures";

// Far from UTC on purpose: "today" must be the browser's day (UTC+14), not the server's.
test.use({ timezoneId: "Pacific/Kiritimati" });

async function createContact(request: APIRequestContext, lastName: string): Promise<string> {
  const token = await apiToken(request);
  const response = await request.post("/api/v1/contacts", {
    headers: { Authorization: `Bearer ${token}` },
    data: { first_name: "Ada", last_name: lastName },
  });
  expect(response.ok(), await response.text()).toBeTruthy();
  return ((await response.json()) as { id: string }).id;
}

async function createTask(request: APIRequestContext, data: Record<string, unknown>): Promise<void> {
  const token = await apiToken(request);
  const response = await request.post("/api/v1/activities", { headers: { Authorization: `Bearer ${token}` }, data: { kind: "task", ...data } });
  expect(response.ok(), await response.text()).toBeTruthy();
}

/** Press j until the row of `subject` is the selected one (other tests' tasks may come first). */
async function selectWithKeyboard(page: Page, subject: string): Promise<void> {
  const row = page.getByRole("listitem", { name: subject });
  await expect(row).toBeVisible();
  for (let i = 0; i < 50; i++) {
    if ((await row.getAttribute("aria-current")) === "true") return;
    await page.keyboard.press("j");
  }
  throw new Error(`${subject} never got selected`);
}

test("create a task from a contact's page, find it under Today, complete it with the keyboard, find it under Done", async ({ page, request }) => {
  const lastName = unique("Byron");
  const contactId = await createContact(request, lastName);
  const overdue = unique("Chase the invoice");
  await createTask(request, { subject: overdue, due_at: new Date(Date.now() - 2 * 86_400_000).toISOString() });
  const subject = unique("Call Ada");

  await signIn(page);
  await page.goto(`/contacts/${contactId}`);
  await expect(page.getByTestId("record-title")).toHaveText(`Ada ${lastName}`);
  await page.getByRole("button", { name: "Add task" }).click();
  const dialog = page.getByRole("dialog", { name: "New task" });
  await expect(dialog.getByRole("button", { name: `Unlink Ada ${lastName}` })).toBeVisible(); // pre-linked
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog.getByText("Give the task a subject.")).toBeVisible();
  await dialog.getByLabel(/Subject/).fill(subject);
  await dialog.getByRole("button", { name: "Today", exact: true }).click();
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog).toBeHidden();
  // The contact's timeline shows it, with its tick.
  const timeline = page.getByRole("region", { name: "Timeline" });
  await expect(timeline.getByRole("checkbox", { name: `Done: ${subject}` })).toBeVisible();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My tasks" }).click();
  await expect(page.getByRole("tab", { name: /Today/ })).toHaveAttribute("aria-selected", "true");
  const row = page.getByRole("listitem", { name: subject });
  await expect(row.getByRole("link", { name: `Ada ${lastName}` })).toHaveAttribute("href", `/contacts/${contactId}`);
  await expect(row.getByTestId("task-due")).toHaveText("Today");

  // The API-made task from two days ago is overdue, in red.
  await page.getByRole("tab", { name: /Overdue/ }).click();
  const late = page.getByRole("listitem", { name: overdue });
  await expect(late.getByTestId("task-due")).toHaveClass(/text-danger/);
  await expect(page.getByTestId("count-overdue")).toHaveText("1");

  // Complete today's task with the keyboard only.
  await page.getByRole("tab", { name: /Today/ }).click();
  await selectWithKeyboard(page, subject);
  await page.keyboard.press("x");
  await expect(row.getByRole("checkbox", { name: `Done: ${subject}` })).toHaveAttribute("aria-checked", "true");
  await expect(page.getByTestId("count-done")).toHaveText("1");

  await page.getByRole("tab", { name: /Done/ }).click();
  await expect(page.getByRole("listitem", { name: subject }).getByRole("checkbox")).toHaveAttribute("aria-checked", "true");
  await page.getByRole("tab", { name: /Today/ }).click();
  await expect(page.getByRole("listitem", { name: subject })).toHaveCount(0);

  // And back on the contact's page, the timeline shows it done; ticking it there reopens it.
  await page.goto(`/contacts/${contactId}`);
  const tick = page.getByRole("region", { name: "Timeline" }).getByRole("checkbox", { name: `Done: ${subject}` });
  await expect(tick).toHaveAttribute("aria-checked", "true");
  await tick.click();
  await expect(tick).toHaveAttribute("aria-checked", "false");
  await page.reload();
  await expect(page.getByRole("region", { name: "Timeline" }).getByRole("checkbox", { name: `Done: ${subject}` })).toHaveAttribute("aria-checked", "false");
});

test("the t shortcut creates a task from another screen; it waits under Upcoming", async ({ page }) => {
  const subject = unique("Prepare the renewal");
  await signIn(page);
  await page.goto("/deals");
  await expect(page.getByRole("button", { name: "New deal" })).toBeVisible();
  await page.keyboard.press("t");
  const dialog = page.getByRole("dialog", { name: "New task" });
  await expect(dialog.getByLabel(/Subject/)).toBeFocused();
  await page.keyboard.type(subject);
  await dialog.getByRole("button", { name: "Tomorrow" }).click();
  await dialog.getByLabel("Due time").fill("09:30");
  await dialog.getByRole("button", { name: "Create task" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("Task created")).toBeVisible();

  // The top-bar button opens the same dialog, from any screen.
  await page.getByRole("button", { name: "New task" }).click();
  await expect(page.getByRole("dialog", { name: "New task" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog", { name: "New task" })).toBeHidden();

  await page.goto("/tasks?show=upcoming");
  const row = page.getByRole("listitem", { name: subject });
  await expect(row.getByTestId("task-due")).toHaveText(/^Tomorrow 0?9:30(\sAM)?$/);
  // e renames it in place.
  await selectWithKeyboard(page, subject);
  await page.keyboard.press("e");
  const input = row.getByRole("textbox", { name: "Subject" });
  await input.fill(`${subject} (v2)`);
  await input.press("Enter");
  await expect(page.getByRole("listitem", { name: `${subject} (v2)` })).toBeVisible();
});
