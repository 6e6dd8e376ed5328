import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime } from "@/lib/fields";
import { shownValue, sourceLabel } from "./history";

describe("shownValue", () => {
  it("formats a datetime like every other date in the app, not as the raw ISO string", () => {
    const iso = "2026-12-05T14:45:52.128231Z";
    const shown = shownValue({ field_type: "datetime" }, iso, iso);
    expect(shown).toBe(formatDateTime(iso));
    expect(shown).not.toContain("T14:45");
    expect(shown).toContain("2026");
  });

  it("formats a date field as a date", () => {
    expect(shownValue({ field_type: "date" }, "2026-03-01", "2026-03-01")).toBe(formatDate("2026-03-01"));
    expect(shownValue({ field_type: "date" }, "2026-03-01", "2026-03-01")).not.toBe("2026-03-01");
  });

  it("keeps the server's display for other types and for empty values", () => {
    expect(shownValue({ field_type: "currency" }, "€12,500.00", { amount_minor: 1250000, currency: "EUR" })).toBe("€12,500.00");
    expect(shownValue({ field_type: "datetime" }, null, null)).toBeNull();
    expect(shownValue({ field_type: null }, "x", "x")).toBe("x");
  });
});

describe("sourceLabel", () => {
  it("says through what a change came in words", () => {
    expect(sourceLabel("ui")).toBe("in the web app");
    expect(sourceLabel("api")).toBe("through the API");
    expect(sourceLabel("import")).toBe("by import");
    expect(sourceLabel("workflow")).toBe("by a workflow");
  });
});
