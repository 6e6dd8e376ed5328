import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { fakeApi, renderApp } from "@/test/render";
import { RecordTable } from "./RecordTable";

const field = (name: string, label: string, position: number): FieldMeta =>
  ({
    name, label, type: "text", required: false, unique: false, default: null, help_text: null, options: [], settings: {},
    standard: true, system: false, access: "write", position, archived: false, many: false,
  }) as FieldMeta;

function meta(update: boolean): ObjectMeta {
  return {
    name: "contacts", singular: "contact", label: "Contact", label_plural: "Contacts", custom: false, title_field: "last_name",
    fields: [field("last_name", "Last name", 1), field("job_title", "Job title", 2)],
    permissions: { read: true, create: false, update, delete: false, export: false, customize: false },
  } as ObjectMeta;
}

const rows: RecordData[] = [{ id: "c1", version: 1, last_name: "Lovelace", job_title: "Analyst" }];

function table(update: boolean) {
  fakeApi();
  renderApp(
    <RecordTable
      meta={meta(update)} rows={rows} columns={["last_name", "job_title"]} sort="" onSort={() => {}}
      selection={{}} onSelection={() => {}} hasNextPage={false} isFetchingNextPage={false} fetchNextPage={() => {}} loading={false}
    />,
  );
}

describe("RecordTable inline editing", () => {
  // jsdom lays nothing out: give the scrolling grid a size (the virtualizer reads clientHeight) so it renders rows.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000);
  });
  afterEach(() => vi.restoreAllMocks());

  it("opens an editor on a writable cell when the role may update", async () => {
    table(true);
    await userEvent.setup().click(await screen.findByText("Analyst"));
    expect(await screen.findByRole("textbox", { name: "Job title" })).toBeInTheDocument();
  });

  it("opens none when the role may not update the object, whatever the field's own access says", async () => {
    table(false);
    await userEvent.setup().click(await screen.findByText("Analyst"));
    expect(screen.queryByRole("textbox", { name: "Job title" })).not.toBeInTheDocument();
  });
});
