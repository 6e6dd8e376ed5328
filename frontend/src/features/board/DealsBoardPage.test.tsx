import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import DealsBoardPage from "./DealsBoardPage";

function field(name: string, type: string, extra: Partial<FieldMeta> = {}): FieldMeta {
  return {
    name, label: name, type, required: false, unique: false, default: null, help_text: null, options: [], settings: {},
    standard: true, system: false, access: "write", position: 0, archived: false, many: false, ...extra,
  } as FieldMeta;
}

function dealsMeta(stageAccess: "read" | "write" = "write"): ObjectMeta {
  return {
    name: "deals", singular: "deal", label: "Deal", label_plural: "Deals", title_field: "name", custom: false, archived: false,
    fields: [
      field("id", "id", { system: true, access: "read" }),
      field("name", "text", { required: true }),
      field("amount", "currency"),
      field("pipeline_id", "relation", { settings: { target: "pipelines" } }),
      field("stage_id", "relation", { settings: { target: "stages" }, access: stageAccess }),
      field("owner_id", "user"),
      field("company_id", "relation", { settings: { target: "companies" } }),
      field("outcome", "select", { system: true, access: "read" }),
      field("closed_at", "datetime", { system: true, access: "read" }),
      field("created_at", "datetime", { system: true, access: "read" }),
    ],
  } as unknown as ObjectMeta;
}

const STAGES = [
  { id: "s1", version: 1, name: "Qualification", position: 0, type: "open", probability: 10 },
  { id: "s2", version: 1, name: "Proposal", position: 1, type: "open", probability: 40 },
  { id: "s3", version: 1, name: "Won", position: 2, type: "won", probability: 100 },
];
const DEAL: RecordData = {
  id: "d1", version: 3, name: "Acme renewal", stage_id: "s1", pipeline_id: "p1", owner_id: "u1", company_id: null,
  amount: { amount_minor: 125000, currency: "EUR" }, outcome: null, closed_at: null, created_at: "2026-03-01T09:00:00.000000Z",
};

/** The server of the board: deals per stage filter, totals, clocks; `patch` answers the move. */
function server(patch: (request: Request) => Response | Promise<Response>, stageAccess: "read" | "write" = "write") {
  return fakeApi(async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path === "/api/v1/metadata/objects") return json([dealsMeta(stageAccess)]);
    if (path === "/api/v1/pipelines") return json({ items: [{ id: "p1", version: 1, name: "Sales", is_default: true }], next_cursor: null });
    if (path === "/api/v1/stages") return json({ items: STAGES, next_cursor: null });
    if (path === "/api/v1/deals/aggregate") {
      return json({ groups: [{ key: { stage_id: "s1" }, count: 1, "sum:amount": [{ currency: "EUR", amount_minor: 125000 }] }], totals: { count: 1 } });
    }
    if (path === "/api/v1/deals/since") {
      const ids = (url.searchParams.get("ids") ?? "").split(",");
      return json({ items: ids.map((id) => ({ id, value: "s1", since: "2026-03-02T09:00:00.000000Z" })) });
    }
    if (path === "/api/v1/deals" && request.method === "GET") {
      const filter = JSON.stringify(JSON.parse(url.searchParams.get("filter") ?? "null"));
      return json({ items: filter.includes('"value":"s1"') ? [DEAL] : [], next_cursor: null });
    }
    if (path === "/api/v1/deals/d1" && request.method === "PATCH") return patch(request);
    return undefined;
  });
}

const columnOf = (title: string) => screen.getByRole("region", { name: title });

async function moveWithTheMenu(target: string) {
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Actions for Acme renewal" }));
  await user.click(screen.getByRole("menuitem", { name: target }));
}

describe("the deals board", () => {
  it("shows the pipeline's stages with their counts, amounts and cards", async () => {
    server(() => json({}, 500));
    renderApp(<DealsBoardPage />, { path: "/deals/board" });
    const card = await within(await screen.findByRole("region", { name: "Qualification" })).findByRole("listitem", { name: "Acme renewal" });
    expect(card).toHaveTextContent("€1,250.00");
    await waitFor(() => expect(within(card).getByTestId("time-in-column")).toHaveTextContent(/\d+ d in stage/));
    await waitFor(() => expect(within(columnOf("Qualification")).getByTestId("column-count")).toHaveTextContent("1"));
    expect(within(columnOf("Qualification")).getByTestId("column-totals")).toHaveTextContent("€1,250.00");
    expect(within(columnOf("Proposal")).getByTestId("column-count")).toHaveTextContent("0");
    expect(screen.getByRole("combobox", { name: "Pipeline" })).toHaveValue("p1");
  });

  it("moves a card with If-Match and keeps it where it went", async () => {
    const requests = server(() => json({ ...DEAL, version: 4, stage_id: "s2" }));
    renderApp(<DealsBoardPage />, { path: "/deals/board" });
    await moveWithTheMenu("Proposal");
    await waitFor(() => expect(within(columnOf("Proposal")).getByRole("listitem", { name: "Acme renewal" })).toBeInTheDocument());
    const patch = requests.find((r) => r.method === "PATCH") as Request;
    expect(patch.headers.get("if-match")).toBe('"3"');
    expect(await patch.json()).toEqual({ stage_id: "s2" });
    expect(within(columnOf("Qualification")).queryByRole("listitem", { name: "Acme renewal" })).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("puts the card back and says why when the API refuses the move", async () => {
    server(() =>
      json({ status: 403, code: "forbidden", detail: "Your role cannot change: stage_id.", errors: [{ path: "body.stage_id", message: "Your role cannot change this field.", type: "read_only" }] }, 403),
    );
    renderApp(<DealsBoardPage />, { path: "/deals/board" });
    await moveWithTheMenu("Proposal");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("“Acme renewal” was not moved to Proposal.");
    expect(alert).toHaveTextContent("Your role cannot change: stage_id.");
    expect(within(columnOf("Qualification")).getByRole("listitem", { name: "Acme renewal" })).toBeInTheDocument();
    expect(within(columnOf("Proposal")).queryByRole("listitem", { name: "Acme renewal" })).toBeNull();
    expect(within(columnOf("Qualification")).getByTestId("column-count")).toHaveTextContent("1");
  });

  it("offers no move to a role that cannot change the stage", async () => {
    const requests = server(() => json({}, 500), "read");
    renderApp(<DealsBoardPage />, { path: "/deals/board" });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Actions for Acme renewal" }));
    expect(screen.getByRole("menuitem", { name: "Open" })).toBeInTheDocument();
    expect(screen.queryByRole("menuitem", { name: "Proposal" })).toBeNull();
    expect(screen.getByTestId("board-read-only")).toHaveTextContent("your role cannot move deals");
    expect(requests.some((r) => r.method === "PATCH")).toBe(false);
  });
});
