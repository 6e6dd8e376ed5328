import "@testing-library/jest-dom/vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeApi, json, renderApp } from "@/test/render";
import { CreateTaskDialog } from "./CreateTaskDialog";
import { activitiesMeta, baseApi, restoreTimeZone, setTimeZone } from "./testing";

const contactsApi = (request: Request) => {
  const url = new URL(request.url);
  if (url.pathname !== "/api/v1/contacts") return undefined;
  return json({ items: [{ id: "c1", version: 1, first_name: "Ada", last_name: "Byron" }], next_cursor: null });
};

// The first render loads the dialog's modules; on a busy machine that can take longer than findBy's 1 s default.
const SLOW = { timeout: 5000 };

describe("CreateTaskDialog", () => {
  beforeEach(() => setTimeZone("America/New_York"));
  afterEach(restoreTimeZone);

  it("asks for a subject before sending anything", async () => {
    const requests = fakeApi(baseApi(), contactsApi);
    renderApp(<CreateTaskDialog open onClose={vi.fn()} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Create task" }, SLOW));
    expect(await screen.findByRole("alert")).toHaveTextContent("Give the task a subject.");
    expect(screen.getByLabelText(/Subject/)).toHaveFocus();
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("creates a task linked to the record it was opened from, due in local time, assigned to me", async () => {
    const requests = fakeApi(baseApi(), contactsApi, (request) =>
      request.method === "POST" ? json({ id: "t9", version: 1, kind: "task", subject: "Call Ada" }, 201) : undefined,
    );
    const closed = vi.fn();
    renderApp(<CreateTaskDialog open onClose={closed} links={[{ object: "contacts", id: "c1" }]} />);
    const user = userEvent.setup();
    expect(await screen.findByRole("button", { name: "Unlink Ada Byron" }, SLOW)).toBeInTheDocument();
    await user.type(screen.getByLabelText(/Subject/), "Call Ada");
    await user.type(screen.getByLabelText("Due date"), "2026-03-10");
    await user.type(screen.getByLabelText("Due time"), "09:30");
    await user.click(screen.getByRole("button", { name: "Create task" }));
    await waitFor(() => expect(closed).toHaveBeenCalled());
    const post = requests.find((r) => r.method === "POST")!;
    expect(new URL(post.url).pathname).toBe("/api/v1/activities");
    expect(await post.json()).toEqual({
      kind: "task",
      subject: "Call Ada",
      due_at: "2026-03-10T13:30:00.000Z", // 09:30 in New York (EDT since Mar 8)
      assignee_id: "u1",
      links: [{ object: "contacts", id: "c1" }],
    });
  });

  it("links records found by searching, with the keyboard", async () => {
    const requests = fakeApi(baseApi(), contactsApi, (request) =>
      request.method === "POST" ? json({ id: "t9", version: 1 }, 201) : undefined,
    );
    renderApp(<CreateTaskDialog open onClose={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/Subject/, {}, SLOW), "Follow up");
    await user.type(screen.getByRole("combobox", { name: "Linked records" }), "Byr");
    const option = await screen.findByRole("option", { name: /Ada Byron/ });
    expect(option).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{Enter}");
    expect(await screen.findByRole("button", { name: "Unlink Ada Byron" })).toBeInTheDocument();
    const search = requests.find((r) => r.url.includes("/api/v1/contacts") && r.url.includes("contains"))!;
    expect(JSON.parse(new URL(search.url).searchParams.get("filter")!)).toEqual({
      or: [
        { field: "last_name", op: "contains", value: "Byr" },
        { field: "first_name", op: "contains", value: "Byr" },
      ],
    });
    await user.click(screen.getByRole("button", { name: "Create task" }));
    await waitFor(() => expect(requests.some((r) => r.method === "POST")).toBe(true));
    const body = (await requests.find((r) => r.method === "POST")!.json()) as Record<string, unknown>;
    expect(body.links).toEqual([{ object: "contacts", id: "c1" }]);
  });

  it("shows the API's validation messages beside the fields they are about", async () => {
    fakeApi(baseApi(), contactsApi, (request) =>
      request.method === "POST"
        ? json(
            {
              status: 403,
              code: "forbidden",
              detail: "Your visibility lets you assign records only to yourself or your team.",
              errors: [{ path: "body.assignee_id", message: "Owner outside your visibility.", type: "forbidden_owner" }],
            },
            403,
          )
        : undefined,
    );
    const closed = vi.fn();
    renderApp(<CreateTaskDialog open onClose={closed} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/Subject/, {}, SLOW), "Hand over");
    const assignee = screen.getByLabelText("Assignee");
    await screen.findByRole("option", { name: "Grace Hopper" });
    await user.selectOptions(assignee, "u2");
    await user.click(screen.getByRole("button", { name: "Create task" }));
    const message = await screen.findByText("Owner outside your visibility.");
    expect(message).toHaveAttribute("role", "alert");
    expect(assignee).toHaveAttribute("aria-invalid", "true");
    expect(assignee.getAttribute("aria-describedby")).toBe(message.id);
    expect(closed).not.toHaveBeenCalled();
  });

  it("lets a role that cannot assign leave the assignee to the server", async () => {
    const meta = activitiesMeta();
    meta.fields = meta.fields.map((f) => (f.name === "assignee_id" ? { ...f, access: "read" as const } : f));
    const requests = fakeApi(baseApi({ meta }), contactsApi, (request) =>
      request.method === "POST" ? json({ id: "t9", version: 1 }, 201) : undefined,
    );
    renderApp(<CreateTaskDialog open onClose={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText(/Subject/, {}, SLOW), "Mine anyway");
    await waitFor(() => expect(screen.getByLabelText("Assignee")).toBeDisabled());
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create task" }));
    await waitFor(() => expect(requests.some((r) => r.method === "POST")).toBe(true));
    const body = (await requests.find((r) => r.method === "POST")!.json()) as Record<string, unknown>;
    expect(body).toEqual({ kind: "task", subject: "Mine anyway" });
  });
});
