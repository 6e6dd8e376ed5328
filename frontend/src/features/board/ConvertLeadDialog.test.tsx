import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { RecordData } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import { ConvertLeadDialog } from "./ConvertLeadDialog";
import { companyDomain, conversionErrors, dealBody } from "./conversion";

const LEAD: RecordData = {
  id: "l1", version: 2, first_name: "Grace", last_name: "Hopper", company_name: "Navy", email: "grace@navy.example", status: "qualified",
};
const CONTACT = { id: "c9", version: 1, first_name: "Grace", last_name: "Hopper", emails: ["grace@navy.example"] };

/** Contacts match by e-mail; companies match nothing; one pipeline with an open and a won stage. */
function server(convert: (request: Request) => Response | Promise<Response>) {
  return fakeApi(async (request) => {
    const url = new URL(request.url);
    const filter = url.searchParams.get("filter") ?? "";
    switch (url.pathname) {
      case "/api/v1/metadata/objects":
        return json([{ name: "contacts", singular: "contact", label: "Contact", label_plural: "Contacts", title_field: "last_name", fields: [{ name: "first_name" }], custom: false, archived: false }]);
      case "/api/v1/contacts":
        return json({ items: filter.includes("grace@navy.example") ? [CONTACT] : [], next_cursor: null });
      case "/api/v1/companies":
        return json({ items: [], next_cursor: null });
      case "/api/v1/pipelines":
        return json({ items: [{ id: "p1", version: 1, name: "Sales", is_default: true }], next_cursor: null });
      case "/api/v1/stages":
        return json({ items: [{ id: "s0", version: 1, name: "Won", type: "won" }, { id: "s1", version: 1, name: "Qualification", type: "open" }], next_cursor: null });
      case "/api/v1/leads/l1/convert":
        return convert(request);
      default:
        return undefined;
    }
  });
}

describe("the conversion dialog", () => {
  it("shows what it will match and create, and sends the deal in minor units with If-Match", async () => {
    const requests = server(() => json({ lead: { ...LEAD, status: "converted", version: 3 }, contact: CONTACT, company: { id: "co1" }, deal: { id: "d1", name: "Navy pilot" } }));
    const converted = vi.fn();
    renderApp(<ConvertLeadDialog lead={LEAD} onClose={() => undefined} onConverted={converted} />);
    await waitFor(() => expect(screen.getByTestId("plan-contact")).toHaveTextContent("Uses the existing contact Grace Hopper (same e-mail)."));
    await waitFor(() => expect(screen.getByTestId("plan-company")).toHaveTextContent("Creates the company Navy · navy.example."));
    const user = userEvent.setup();
    const name = screen.getByLabelText("Deal name");
    await user.clear(name);
    await user.type(name, "Navy pilot");
    await user.type(screen.getByLabelText("Amount"), "1,200.50");
    await waitFor(() => expect(screen.getByLabelText("Stage")).toHaveValue("s1"));
    await user.click(screen.getByRole("button", { name: "Convert lead" }));

    await waitFor(() => expect(converted).toHaveBeenCalled());
    const post = requests.find((r) => r.method === "POST") as Request;
    expect(post.headers.get("if-match")).toBe('"2"');
    expect(await post.json()).toEqual({
      company_name: null,
      create_deal: { name: "Navy pilot", amount_minor: 120050, currency: "EUR", pipeline_id: "p1", stage_id: "s1" },
    });
  });

  it("shows the API's refusal in the dialog, next to the input it names", async () => {
    server(() =>
      json({ status: 422, code: "validation_failed", detail: "The record is not valid: body.amount: Unknown currency.", errors: [{ path: "body.create_deal.currency", message: "Unknown currency 'EUX'.", type: "invalid_currency" }] }, 422),
    );
    const converted = vi.fn();
    renderApp(<ConvertLeadDialog lead={LEAD} onClose={() => undefined} onConverted={converted} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Amount"), "10");
    await user.clear(screen.getByLabelText("Currency"));
    await user.type(screen.getByLabelText("Currency"), "EUX");
    await user.click(screen.getByRole("button", { name: "Convert lead" }));
    expect(await screen.findByText("Unknown currency 'EUX'.")).toBeInTheDocument();
    expect(screen.getByLabelText("Currency")).toHaveAttribute("aria-invalid", "true");
    expect(converted).not.toHaveBeenCalled();
  });

  it("says so when the lead was converted meanwhile, and never sends a bad amount", async () => {
    const requests = server(() => json({ status: 409, code: "lead_already_converted", detail: "This lead is already converted." }, 409));
    renderApp(<ConvertLeadDialog lead={LEAD} onClose={() => undefined} onConverted={() => undefined} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Amount"), "twelve");
    await user.click(screen.getByRole("button", { name: "Convert lead" }));
    expect(await screen.findByText("Enter a number, e.g. 1250.50.")).toBeInTheDocument();
    expect(requests.some((r) => r.method === "POST")).toBe(false);

    await user.click(screen.getByLabelText("Also create a deal"));
    await user.click(screen.getByRole("button", { name: "Convert lead" }));
    expect(await screen.findByText("This lead is already converted.")).toBeInTheDocument();
  });
});

describe("conversion helpers", () => {
  it("ignores mailbox providers' domains, as the server does", () => {
    expect(companyDomain("ada@Engines.Example")).toBe("engines.example");
    expect(companyDomain("ada@gmail.com")).toBeNull();
    expect(companyDomain(null)).toBeNull();
  });

  it("sends an amount in the currency's minor units, and no amount when none is typed", () => {
    expect(dealBody({ name: " Pilot ", amount: "12", currency: "jpy", pipelineId: "", stageId: "" })).toEqual({ name: "Pilot", amount_minor: 12, currency: "JPY" });
    expect(dealBody({ name: "Pilot", amount: "", currency: "EUR", pipelineId: "p", stageId: "s" })).toEqual({ name: "Pilot", pipeline_id: "p", stage_id: "s" });
  });

  it("places the API's errors on the dialog's inputs", () => {
    expect(conversionErrors([
      { path: "body.create_deal.stage_id", message: "This stage belongs to another pipeline.", type: "x" },
      { path: "body.company_name", message: "Too long.", type: "y" },
      { path: "query.x", message: "ignored", type: "z" },
    ])).toEqual({ "deal.stage_id": "This stage belongs to another pipeline.", company_name: "Too long." });
  });
});
