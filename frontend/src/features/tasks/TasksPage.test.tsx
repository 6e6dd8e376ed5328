import "@testing-library/jest-dom/vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RecordData } from "@/lib/types";
import { fakeApi, json, renderApp, type Handler } from "@/test/render";
import { sectionOf, type TaskSection } from "./dates";
import TasksPage from "./TasksPage";
import { baseApi, conditionValue, filterOf, task } from "./testing";

// Only Date is faked (timers stay real for user-event): "today" is Mar 10, 2026, 12:00 local.
const NOW = new Date(2026, 2, 10, 12, 0);
const local = (day: number, hour = 0, minute = 0) => new Date(2026, 2, day, hour, minute).toISOString();

function sectionOfRequest(request: Request): TaskSection {
  const filter = filterOf(request);
  if (conditionValue(filter, "done", "eq") === true) return "done";
  if (conditionValue(filter, "due_at", "is_null") === true) return "none";
  const gte = conditionValue(filter, "due_at", "gte");
  const lt = conditionValue(filter, "due_at", "lt");
  if (gte && lt) return "today";
  return gte ? "upcoming" : "overdue";
}

/** Activities as the list API serves them: each section's rows (by the same bucketing) and counts. */
function activitiesApi(rows: RecordData[], patch?: Handler): Handler {
  return async (request) => {
    const url = new URL(request.url);
    if (request.method === "PATCH" && patch) return patch(request);
    if (url.pathname === "/api/v1/contacts") return json({ items: [{ id: "c1", version: 1, first_name: "Ada", last_name: "Byron" }], next_cursor: null });
    if (url.pathname !== "/api/v1/activities" || request.method !== "GET") return undefined;
    const section = sectionOfRequest(request);
    const assignee = conditionValue(filterOf(request), "assignee_id", "eq");
    const items = rows.filter((r) => sectionOf(r, NOW) === section && (!assignee || r.assignee_id === assignee));
    if (url.searchParams.get("count") === "true") return json({ items: items.slice(0, 1), next_cursor: null, total: items.length });
    return json({ items, next_cursor: null });
  };
}

// The first render loads the page's modules; on a busy machine that can take longer than findBy's 1 s default.
const SLOW = { timeout: 5000 };
const todayList = () => screen.findByRole("list", { name: "Today tasks" }, SLOW);

const ROWS = [
  task("t2", { subject: "Send proposal", due_at: local(10) }),
  task("t1", { subject: "Call Ada", due_at: local(10, 9), links: [{ object: "contacts", id: "c1" }] }),
  task("t3", { subject: "Chase invoice", due_at: local(8, 15) }),
  task("t4", { subject: "Quarterly review", due_at: local(20, 10) }),
  task("t5", { subject: "Grace's call", due_at: local(10, 16), assignee_id: "u2" }),
];

describe("TasksPage", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it("shows my tasks due today, with counts per section and the late one in red", async () => {
    const requests = fakeApi(baseApi(), activitiesApi(ROWS));
    renderApp(<TasksPage />, { path: "/tasks" });
    const list = await todayList();
    const rows = within(list).getAllByRole("listitem");
    expect(rows.map((r) => r.getAttribute("aria-label"))).toEqual(["Send proposal", "Call Ada"]);
    // 09:00 has passed at noon: red; a date without a time is not late during its day.
    expect(within(rows[1]!).getByTestId("task-due")).toHaveClass("text-danger");
    expect(within(rows[0]!).getByTestId("task-due")).not.toHaveClass("text-danger");
    expect(await within(rows[1]!).findByRole("link", { name: "Ada Byron" })).toHaveAttribute("href", "/contacts/c1");

    await waitFor(() => expect(screen.getByTestId("count-overdue")).toHaveTextContent("1"));
    expect(screen.getByTestId("count-today")).toHaveTextContent("2"); // Grace's task is not mine
    expect(screen.getByTestId("count-upcoming")).toHaveTextContent("1");
    expect(screen.getByTestId("count-done")).toHaveTextContent("0");

    const listRequest = requests.find((r) => r.url.includes("/api/v1/activities") && !r.url.includes("count=true"))!;
    const filter = filterOf(listRequest);
    expect(conditionValue(filter, "assignee_id", "eq")).toBe("u1");
    expect(conditionValue(filter, "due_at", "gte")).toBe(new Date(2026, 2, 10).toISOString());
    expect(conditionValue(filter, "due_at", "lt")).toBe(new Date(2026, 2, 11).toISOString());
    expect(new URL(listRequest.url).searchParams.get("limit")).toBe("50");
  });

  it("ticks a task at once, then puts it back and says why when the API refuses", async () => {
    let release!: (answer: Response) => void;
    const answer = new Promise<Response>((resolve) => (release = resolve));
    const requests = fakeApi(baseApi(), activitiesApi(ROWS, () => answer));
    renderApp(<TasksPage />, { path: "/tasks" });
    const user = userEvent.setup();
    const box = await screen.findByRole("checkbox", { name: "Done: Call Ada" }, SLOW);
    await user.click(box);
    expect(box).toHaveAttribute("aria-checked", "true"); // before the server answered

    const patch = requests.find((r) => r.method === "PATCH")!;
    expect(new URL(patch.url).pathname).toBe("/api/v1/activities/t1");
    expect(patch.headers.get("if-match")).toBe('"1"');
    expect(await patch.json()).toEqual({ done: true });

    release(json({ status: 412, code: "version_mismatch", detail: "The record changed." }, 412));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not marked as done: someone else changed this task meanwhile");
    expect(screen.getByRole("checkbox", { name: "Done: Call Ada" })).toHaveAttribute("aria-checked", "false");
  });

  it("keeps a ticked task checked when the API agrees", async () => {
    fakeApi(baseApi(), activitiesApi(ROWS, async (request) => json({ ...task("t2", { subject: "Send proposal", due_at: local(10) }), ...(await request.json()), version: 2 })));
    renderApp(<TasksPage />, { path: "/tasks" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox", { name: "Done: Send proposal" }, SLOW));
    await waitFor(() => expect(screen.getByRole("checkbox", { name: "Done: Send proposal" })).toHaveAttribute("aria-checked", "true"));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("moves with j/k, completes with x, renames with e", async () => {
    const patches: { id: string; body: unknown; ifMatch: string | null }[] = [];
    fakeApi(
      baseApi(),
      activitiesApi(ROWS, async (request) => {
        const id = new URL(request.url).pathname.split("/").pop()!;
        const body = (await request.json()) as Record<string, unknown>;
        patches.push({ id, body, ifMatch: request.headers.get("if-match") });
        return json({ ...ROWS.find((r) => r.id === id)!, ...body, version: 2 });
      }),
    );
    renderApp(<TasksPage />, { path: "/tasks" });
    const user = userEvent.setup();
    const list = await todayList();
    const [first, second] = within(list).getAllByRole("listitem");

    await user.keyboard("j");
    expect(first).toHaveAttribute("aria-current", "true");
    expect(first).toHaveFocus();
    await user.keyboard("jjk");
    expect(first).toHaveAttribute("aria-current", "true");
    await user.keyboard("j");
    expect(second).toHaveAttribute("aria-current", "true");

    await user.keyboard("x");
    await waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toEqual({ id: "t1", body: { done: true }, ifMatch: '"1"' });

    await user.keyboard("k");
    await user.keyboard(" "); // Space on the selected row ticks it too
    await waitFor(() => expect(patches).toHaveLength(2));
    expect(patches[1]).toMatchObject({ id: "t2", body: { done: true } });

    await user.keyboard("e");
    const input = await screen.findByRole("textbox", { name: "Subject" });
    await user.clear(input);
    await user.type(input, "Send the proposal{Enter}");
    await waitFor(() => expect(patches).toHaveLength(3));
    expect(patches[2]).toMatchObject({ id: "t2", body: { subject: "Send the proposal" } });
  });

  it("offers everyone's tasks only to roles that can see them, and then drops the assignee filter", async () => {
    const requests = fakeApi(baseApi({ visibility: "all" }), activitiesApi(ROWS));
    const view = renderApp(<TasksPage />, { path: "/tasks" });
    const user = userEvent.setup();
    await todayList();
    await user.click(await screen.findByRole("button", { name: "Everyone" }));
    const list = await todayList();
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(3));
    const last = requests.filter((r) => r.url.includes("/api/v1/activities") && !r.url.includes("count=true")).pop()!;
    expect(conditionValue(filterOf(last), "assignee_id", "eq")).toBeUndefined();
    view.unmount();

    fakeApi(baseApi({ visibility: "own" }), activitiesApi(ROWS));
    renderApp(<TasksPage />, { path: "/tasks" });
    await todayList();
    await waitFor(() => expect(screen.getByTestId("count-today")).toHaveTextContent("2"));
    expect(screen.queryByRole("group", { name: "Whose tasks" })).toBeNull();
  });

  it("says what to do when a section is empty", async () => {
    fakeApi(baseApi(), activitiesApi([]));
    renderApp(<TasksPage />, { path: "/tasks?show=overdue" });
    expect(await screen.findByText("Nothing overdue", {}, SLOW)).toBeInTheDocument();
    expect(screen.getByRole("tab", { name: /Overdue/ })).toHaveAttribute("aria-selected", "true");
  });
});
