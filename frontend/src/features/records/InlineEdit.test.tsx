import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { FieldMeta, RecordData } from "@/lib/types";
import { fakeApi, json, renderApp } from "@/test/render";
import { InlineEdit } from "./InlineEdit";

const jobTitle = {
  name: "job_title", label: "Job title", type: "text", required: false, unique: false, default: null, help_text: null,
  options: [], settings: {}, standard: true, system: false, access: "write", position: 4, archived: false,
} as FieldMeta;
const record: RecordData = { id: "c1", version: 3, last_name: "Lovelace", job_title: "Analyst" };

describe("InlineEdit", () => {
  it("saves with If-Match and keeps the editor open with the API's message on a 422", async () => {
    let attempt = 0;
    const requests = fakeApi((request) => {
      if (request.method !== "PATCH") return undefined;
      attempt++;
      if (attempt === 1) {
        return json({ status: 422, code: "validation_failed", detail: "The record is not valid.", errors: [{ path: "body.job_title", message: "At most 255 characters.", type: "string_too_long" }] }, 422);
      }
      return json({ ...record, version: 4, job_title: "Chief Analyst" }, 200, { etag: '"4"' });
    });
    const done = vi.fn();
    renderApp(<InlineEdit object="contacts" record={record} field={jobTitle} onDone={done} />);
    const user = userEvent.setup();
    const input = await screen.findByRole("textbox", { name: "Job title" });
    await user.clear(input);
    await user.type(input, "Chief Analyst{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("At most 255 characters.");
    expect(done).not.toHaveBeenCalled();
    const patch = requests.find((r) => r.method === "PATCH")!;
    expect(new URL(patch.url).pathname).toBe("/api/v1/contacts/c1");
    expect(patch.headers.get("if-match")).toBe('"3"');
    expect(await patch.json()).toEqual({ job_title: "Chief Analyst" });

    await user.type(input, "{Enter}");
    await waitFor(() => expect(done).toHaveBeenCalled());
  });

  it("Escape cancels without a request", async () => {
    const requests = fakeApi();
    const done = vi.fn();
    renderApp(<InlineEdit object="contacts" record={record} field={jobTitle} onDone={done} />);
    const user = userEvent.setup();
    const input = await screen.findByRole("textbox", { name: "Job title" });
    await user.type(input, "changed{Escape}");
    expect(done).toHaveBeenCalled();
    expect(requests.filter((r) => r.method === "PATCH")).toHaveLength(0);
  });
});
