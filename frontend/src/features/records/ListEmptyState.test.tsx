import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { activitiesMeta } from "@/features/tasks/testing";
import type { ObjectMeta } from "@/lib/types";
import { ListEmptyState } from "./ListEmptyState";

function meta(visibility: "own" | "team" | "all"): ObjectMeta {
  const base = activitiesMeta();
  return { ...base, label_plural: "Contacts", singular: "contact", permissions: { ...base.permissions, create: true, visibility } };
}

describe("an empty list", () => {
  it("invites the first record when the role shows every record", () => {
    render(<ListEmptyState meta={meta("all")} filtered={false} canCreate onCreate={() => {}} />);
    expect(screen.getByText("No contacts yet")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Create the first contact" })).toBeTruthy();
  });

  it("says records are hidden by the role when it shows only the caller's own", () => {
    render(<ListEmptyState meta={meta("own")} filtered={false} canCreate onCreate={() => {}} />);
    expect(screen.getByText("No contacts you can see")).toBeTruthy();
    expect(screen.getByText("Your role shows you only your own contacts; others' are hidden from you.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Create the first contact" })).toBeNull();
  });

  it("names the teams for team visibility, and adds the reason to a filtered list", () => {
    render(<ListEmptyState meta={meta("team")} filtered canCreate={false} onCreate={() => {}} />);
    expect(screen.getByText(/Try another search or remove a filter\. Your role shows you only your own and your teams' contacts/)).toBeTruthy();
  });
});
