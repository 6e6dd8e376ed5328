import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ObjectMeta, RecordData } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import LeadsBoardPage from "./LeadsBoardPage";

const STATUS_OPTIONS = [
  { value: "new", label: "New" },
  { value: "contacted", label: "Contacted" },
  { value: "converted", label: "Converted" },
];
const field = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name, label: name, type, required: false, unique: false, default: null, help_text: null, options: [], settings: {},
  standard: true, system: false, access: "write", position: 0, archived: false, many: false, ...extra,
});
const META = {
  name: "leads", singular: "lead", label: "Lead", label_plural: "Leads", title_field: "last_name", custom: false, archived: false,
  fields: [
    field("first_name", "text"), field("last_name", "text", { required: true }), field("email", "email"), field("company_name", "text"),
    field("status", "select", { options: STATUS_OPTIONS }), field("owner_id", "user"), field("created_at", "datetime", { system: true, access: "read" }),
  ],
} as unknown as ObjectMeta;
const LEAD: RecordData = { id: "l1", version: 5, first_name: "Grace", last_name: "Hopper", status: "new", created_at: "2026-03-01T00:00:00.000000Z" };

function server() {
  return fakeApi((request) => {
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/metadata/objects") return json([META]);
    if (url.pathname === "/api/v1/leads/aggregate") return json({ groups: [{ key: { status: "new" }, count: 1 }], totals: { count: 1 } });
    if (url.pathname === "/api/v1/leads/since") return json({ items: [{ id: "l1", value: "new", since: "2026-03-01T00:00:00.000000Z" }] });
    if (url.pathname === "/api/v1/leads" && request.method === "GET") {
      return json({ items: (url.searchParams.get("filter") ?? "").includes('"value":"new"') ? [LEAD] : [], next_cursor: null });
    }
    if (url.pathname === "/api/v1/leads/l1/status") return json({ ...LEAD, status: "contacted", version: 6 });
    if (["/api/v1/contacts", "/api/v1/companies", "/api/v1/pipelines", "/api/v1/stages"].includes(url.pathname)) return json({ items: [], next_cursor: null });
    return undefined;
  });
}

async function moveTo(target: string) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Actions for Grace Hopper" }));
  await user.click(screen.getByRole("menuitem", { name: target }));
}

describe("the leads board", () => {
  it("has one column per status and moves a lead through its status route", async () => {
    const requests = server();
    renderApp(<LeadsBoardPage />, { path: "/leads/board" });
    expect(await screen.findAllByTestId("board-column")).toHaveLength(3);
    await moveTo("Contacted");
    await waitFor(() => expect(within(screen.getByRole("region", { name: "Contacted" })).getByRole("listitem", { name: "Grace Hopper" })).toBeInTheDocument());
    const patch = requests.find((r) => r.method === "PATCH") as Request;
    expect(new URL(patch.url).pathname).toBe("/api/v1/leads/l1/status");
    expect(patch.headers.get("if-match")).toBe('"5"');
    expect(await patch.json()).toEqual({ status: "contacted" });
  });

  it("opens the conversion instead of setting the status to converted", async () => {
    const requests = server();
    renderApp(<LeadsBoardPage />, { path: "/leads/board" });
    await moveTo("Converted");
    expect(await screen.findByRole("dialog", { name: "Convert Grace Hopper" })).toBeInTheDocument();
    expect(requests.some((r) => r.method === "PATCH")).toBe(false);
    expect(within(screen.getByRole("region", { name: "New" })).getByRole("listitem", { name: "Grace Hopper" })).toBeInTheDocument();
  });
});
