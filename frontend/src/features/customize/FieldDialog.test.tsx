import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import { FieldDialog } from "./FieldDialog";
import { apiNameFrom, draftFromField, optionValueFrom, updateBody } from "./fieldTypes";

const base = { required: false, unique: false, default: null, help_text: null, options: [], settings: {}, system: false, access: "write" as const, archived: false, many: false };
const permissions = { read: true, create: true, update: true, delete: true, export: true, customize: true };

function object(name: string, label: string, plural: string, fields: FieldMeta[] = []): ObjectMeta {
  return { name, singular: label.toLowerCase(), label, label_plural: plural, title_field: "name", custom: false, archived: false, permissions, fields };
}

const contacts = object("contacts", "Contact", "Contacts", [{ ...base, name: "last_name", label: "Last name", type: "text", standard: true, position: 2 } as FieldMeta]);
const companies = object("companies", "Company", "Companies");
const tier = {
  ...base,
  name: "tier",
  label: "Tier",
  type: "select",
  standard: false,
  position: 8,
  options: [
    { value: "gold", label: "Gold", color: "yellow" },
    { value: "silver", label: "Silver", color: null },
  ],
} as FieldMeta;

function posted(requests: Request[], method: string): Promise<unknown> {
  const request = requests.find((r) => r.method === method);
  if (!request) throw new Error(`no ${method} request`);
  return request.json();
}

describe("FieldDialog: the field-type settings form", () => {
  it("creates a select field with ordered, coloured options and an API name from the label", async () => {
    const requests = fakeApi((request) =>
      request.method === "POST" ? json({ ...tier, name: "customer_tier", label: "Customer tier" }, 201) : undefined,
    );
    const onClose = vi.fn();
    renderApp(<FieldDialog meta={contacts} objects={[contacts, companies]} onClose={onClose} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Label"), "Customer tier");
    expect(screen.getByLabelText("API name")).toHaveValue("customer_tier");
    await user.selectOptions(screen.getByLabelText("Type"), "select");
    await user.click(screen.getByRole("button", { name: "Add option" }));
    await user.type(screen.getByLabelText("Option 1 label"), "Gold{Enter}");
    // Enter on the last option adds the next one.
    await user.type(screen.getByLabelText("Option 2 label"), "Silver");
    await user.selectOptions(screen.getByLabelText("Colour of Gold"), "yellow");
    await user.selectOptions(screen.getByLabelText("Colour of Silver"), "");
    await user.click(screen.getByRole("button", { name: "Create field" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const request = requests.find((r) => r.method === "POST")!;
    expect(new URL(request.url).pathname).toBe("/api/v1/metadata/objects/contacts/fields");
    expect(await posted(requests, "POST")).toEqual({
      api_name: "customer_tier",
      label: "Customer tier",
      type: "select",
      required: false,
      unique: false,
      settings: {},
      options: [
        { value: "gold", label: "Gold", color: "yellow" },
        { value: "silver", label: "Silver" },
      ],
    });
  });

  it("sends each type's own settings: relation target, default currency, rating scale", async () => {
    const bodies: unknown[] = [];
    fakeApi(async (request) => {
      if (request.method !== "POST") return undefined;
      bodies.push(await request.json());
      return json({ ...tier }, 201);
    });
    const user = userEvent.setup();
    const cases: [string, string, (u: typeof user) => Promise<void>, Record<string, unknown>][] = [
      ["Parent", "relation", (u) => u.selectOptions(screen.getByLabelText("Related object"), "companies"), { target: "companies" }],
      ["Budget", "currency", (u) => u.selectOptions(screen.getByLabelText("Default currency"), "EUR"), { currency: "EUR" }],
      ["Stars", "rating", (u) => u.selectOptions(screen.getByLabelText("Highest rating"), "3"), { max: 3 }],
      ["Margin", "percent", (u) => u.type(screen.getByLabelText("Maximum"), "100"), { max: 100 }],
    ];
    for (const [label, type, fill, settings] of cases) {
      const onClose = vi.fn();
      const { unmount } = renderApp(<FieldDialog meta={contacts} objects={[contacts, companies]} onClose={onClose} />);
      await user.type(await screen.findByLabelText("Label"), label);
      await user.selectOptions(screen.getByLabelText("Type"), type);
      await fill(user);
      await user.click(screen.getByRole("button", { name: "Create field" }));
      await waitFor(() => expect(onClose).toHaveBeenCalled());
      expect(bodies.at(-1)).toMatchObject({ type, settings });
      unmount();
    }
  });

  it("shows the API's messages beside the option and the setting they are about, and stays open", async () => {
    fakeApi((request) =>
      request.method === "POST"
        ? json(
            {
              status: 422,
              code: "validation_failed",
              detail: "The field is not valid.",
              errors: [
                { path: "body.options.1.label", message: "String should have at least 1 character", type: "string_too_short" },
                { path: "body.api_name", message: "Already taken.", type: "duplicate_value" },
              ],
            },
            422,
          )
        : undefined,
    );
    const onClose = vi.fn();
    renderApp(<FieldDialog meta={contacts} objects={[contacts]} onClose={onClose} />);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Label"), "Tier");
    await user.selectOptions(screen.getByLabelText("Type"), "select");
    await user.click(screen.getByRole("button", { name: "Add option" }));
    await user.type(screen.getByLabelText("Option 1 label"), "Gold");
    await user.click(screen.getByRole("button", { name: "Add option" }));
    await user.click(screen.getByRole("button", { name: "Create field" }));
    const option = (await screen.findByLabelText("Option 2 label")).closest("li") as HTMLElement;
    expect(within(option).getByRole("alert")).toHaveTextContent("at least 1 character");
    expect(screen.getByLabelText("API name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Already taken.")).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });

  it("edits a saved field: type and option values fixed, only what changed is sent", async () => {
    const requests = fakeApi((request) => (request.method === "PATCH" ? json({ ...tier, label: "Level" }) : undefined));
    const onClose = vi.fn();
    renderApp(<FieldDialog meta={contacts} field={tier} objects={[contacts]} onClose={onClose} />);
    const user = userEvent.setup();
    const label = await screen.findByLabelText("Label");
    expect(screen.queryByLabelText("Type")).not.toBeInTheDocument();
    await user.clear(label);
    await user.type(label, "Level");
    await user.click(screen.getByRole("button", { name: "Save field" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(new URL(requests.find((r) => r.method === "PATCH")!.url).pathname).toBe("/api/v1/metadata/objects/contacts/fields/tier");
    expect(await posted(requests, "PATCH")).toEqual({ label: "Level" });
  });
});

describe("field drafts", () => {
  it("derives API names and option values people can read", () => {
    expect(apiNameFrom("Renewal date")).toBe("renewal_date");
    expect(apiNameFrom("  Größe (cm) ")).toBe("grosse_cm");
    expect(apiNameFrom("2nd contact")).toBe("field_2nd_contact");
    expect(optionValueFrom("Gold", ["gold"])).toBe("gold_2");
    expect(optionValueFrom("★", [])).toBe("option");
  });

  it("sends new options and colours, and keeps saved option values", () => {
    const draft = draftFromField(tier);
    expect(updateBody(tier, draft)).toEqual({});
    const recoloured = { ...draft, options: draft.options.map((o) => (o.value === "silver" ? { ...o, color: "gray" as const } : o)).reverse() };
    expect(updateBody(tier, recoloured)).toEqual({
      options: [
        { value: "silver", label: "Silver", color: "gray" },
        { value: "gold", label: "Gold", color: "yellow" },
      ],
    });
  });
});
