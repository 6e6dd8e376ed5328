import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import { StandardOptionsDialog } from "./StandardOptionsDialog";

const status = {
  name: "status", label: "Status", type: "select", required: true, unique: false, default: "new", help_text: null,
  options: [
    { value: "new", label: "New", color: null },
    { value: "contacted", label: "Contacted", color: null },
    { value: "converted", label: "Converted", color: null },
  ],
  settings: { configurable_options: true, required_options: ["new", "converted"] },
  standard: true, system: false, access: "write", position: 7, archived: false, many: false,
} as FieldMeta;
const leads = { name: "leads", singular: "lead", label: "Lead", label_plural: "Leads", title_field: "last_name", custom: false, fields: [status] } as ObjectMeta;

describe("StandardOptionsDialog", () => {
  it("keeps the options the product needs and sends options without colours", async () => {
    const requests = fakeApi((request) => (request.method === "PATCH" ? json(status) : undefined));
    const onClose = vi.fn();
    renderApp(<StandardOptionsDialog meta={leads} field={status} onClose={onClose} />);
    const user = userEvent.setup();
    expect(await screen.findByRole("button", { name: "Remove option New" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Remove option Converted" })).toBeDisabled();
    expect(screen.queryByLabelText(/Colour of/)).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Remove option Contacted" }));
    await user.click(screen.getByRole("button", { name: "Add option" }));
    await user.type(screen.getByLabelText("Option 3 label"), "Nurturing");
    await user.click(screen.getByRole("button", { name: "Save options" }));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const patch = requests.find((r) => r.method === "PATCH")!;
    expect(new URL(patch.url).pathname).toBe("/api/v1/metadata/objects/leads/fields/status");
    expect(await patch.json()).toEqual({
      options: [
        { value: "new", label: "New" },
        { value: "converted", label: "Converted" },
        { value: "nurturing", label: "Nurturing" },
      ],
    });
  });
});
