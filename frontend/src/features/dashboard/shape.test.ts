import { describe, expect, it } from "vitest";
import { bucketFor, bucketStart, bucketStarts, resolveRange } from "./range";
import {
  addMoney,
  funnelRows,
  mainCurrency,
  moneyList,
  otherCurrencies,
  outcomeSeries,
  repRows,
  stageRows,
  topCategories,
  type AggregateGroup,
  type StageInfo,
} from "./shape";

const eur = (amount_minor: number) => ({ currency: "EUR", amount_minor });
const usd = (amount_minor: number) => ({ currency: "USD", amount_minor });

const STAGES: StageInfo[] = [
  { id: "s3", name: "Negotiation", position: 2, type: "open" },
  { id: "s1", name: "Qualification", position: 0, type: "open" },
  { id: "s2", name: "Proposal", position: 1, type: "open" },
  { id: "won", name: "Won", position: 3, type: "won" },
  { id: "lost", name: "Lost", position: 4, type: "lost" },
];

describe("currency totals", () => {
  it("adds per currency and never across currencies, biggest first", () => {
    expect(addMoney([[eur(1000), usd(700)], [eur(2500)], [], [usd(50), { currency: "GBP", amount_minor: 5 }]])).toEqual([
      eur(3500),
      usd(750),
      { currency: "GBP", amount_minor: 5 },
    ]);
  });

  it("reads only well-formed money from a metric value", () => {
    expect(moneyList(null)).toEqual([]);
    expect(moneyList(12)).toEqual([]);
    expect(moneyList([eur(5), { currency: "USD" }, "x", usd(3)])).toEqual([eur(5), usd(3)]);
  });

  it("draws the workspace currency when present, else the biggest", () => {
    const totals = [usd(9000), eur(100)];
    expect(mainCurrency(totals, "EUR")).toBe("EUR");
    expect(mainCurrency(totals, "GBP")).toBe("USD");
    expect(mainCurrency([], "EUR")).toBeNull();
    expect(otherCurrencies([usd(9000), eur(100), { currency: "GBP", amount_minor: 0 }], "EUR")).toEqual([usd(9000)]);
  });
});

describe("stages", () => {
  it("lists every stage in pipeline order, with zeros where no deal sits", () => {
    const groups: AggregateGroup[] = [
      { key: { stage_id: "s2" }, count: 2, "sum:amount": [usd(700)] },
      { key: { stage_id: "s1" }, count: 3, "sum:amount": [eur(12500), usd(10)] },
    ];
    const rows = stageRows(STAGES.filter((s) => s.type === "open"), groups, "sum:amount", "EUR");
    expect(rows.map((row) => [row.name, row.count, row.amount])).toEqual([
      ["Qualification", 3, 12500],
      ["Proposal", 2, 0],
      ["Negotiation", 0, 0],
    ]);
    expect(rows[1]!.money).toEqual([usd(700)]);
  });
});

describe("date buckets", () => {
  it("fills months with no deals and adds won and lost in the main currency", () => {
    const groups: AggregateGroup[] = [
      { key: { closed_at: "2026-01-01", outcome: "won" }, count: 2, "sum:amount": [eur(3000)] },
      { key: { closed_at: "2026-01-01", outcome: "lost" }, count: 1, "sum:amount": [eur(500), usd(99)] },
      { key: { closed_at: "2026-04-01", outcome: "won" }, count: 1, "sum:amount": [usd(700)] },
      // Outside the range (a stale answer while the new one loads) and a null bucket: ignored.
      { key: { closed_at: "2025-12-01", outcome: "won" }, count: 9, "sum:amount": [eur(1)] },
      { key: { closed_at: null, outcome: "won" }, count: 9, "sum:amount": [eur(1)] },
    ];
    const series = outcomeSeries(groups, { from: "2026-01-15", to: "2026-04-10" }, "month", "closed_at", "sum:amount", "EUR");
    expect(series).toEqual([
      { start: "2026-01-01", won: 2, lost: 1, wonAmount: 3000, lostAmount: 500 },
      { start: "2026-02-01", won: 0, lost: 0, wonAmount: 0, lostAmount: 0 },
      { start: "2026-03-01", won: 0, lost: 0, wonAmount: 0, lostAmount: 0 },
      { start: "2026-04-01", won: 1, lost: 0, wonAmount: 0, lostAmount: 0 },
    ]);
  });

  it("starts weeks on Monday like the API, across month and year ends", () => {
    expect(bucketStart("2026-01-15", "week")).toBe("2026-01-12"); // Thursday
    expect(bucketStart("2026-03-02", "week")).toBe("2026-03-02"); // Monday
    expect(bucketStart("2026-03-01", "week")).toBe("2026-02-23"); // Sunday
    expect(bucketStart("2027-01-02", "week")).toBe("2026-12-28");
    expect(bucketStarts({ from: "2026-02-26", to: "2026-03-10" }, "week")).toEqual(["2026-02-23", "2026-03-02", "2026-03-09"]);
    expect(bucketStarts({ from: "2026-02-27", to: "2026-03-02" }, "day")).toEqual(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
    expect(bucketStarts({ from: "2025-11-30", to: "2026-02-01" }, "month")).toEqual(["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]);
  });

  it("resolves presets to whole UTC days and picks a bucket size", () => {
    expect(resolveRange("30d", "2026-03-31")).toEqual({ from: "2026-03-02", to: "2026-03-31" });
    expect(resolveRange("quarter", "2026-05-20")).toEqual({ from: "2026-04-01", to: "2026-05-20" });
    expect(resolveRange("quarter", "2026-12-31")).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(resolveRange("custom", "2026-03-31", { from: "2026-03-10", to: "2026-03-01" })).toBeNull();
    expect(resolveRange("custom", "2026-03-31", { from: "2026-02-30", to: "2026-03-01" })).toBeNull();
    expect(resolveRange("custom", "2026-03-31", { from: "2026-01-01", to: "2026-03-01" })).toEqual({ from: "2026-01-01", to: "2026-03-01" });
    expect(bucketFor({ from: "2026-03-02", to: "2026-03-31" })).toBe("day");
    expect(bucketFor({ from: "2026-01-01", to: "2026-03-31" })).toBe("week");
    expect(bucketFor({ from: "2025-04-01", to: "2026-03-31" })).toBe("month");
  });
});

describe("categories, reps and the funnel", () => {
  it("keeps the biggest categories and sums the rest as Other", () => {
    const groups = ["web", "event", "ads", "referral"].map((source, index) => ({ key: { source }, count: index + 1 }));
    groups.push({ key: { source: null as unknown as string }, count: 10 });
    const top = topCategories(groups, "source", (value) => value ?? "No source", 3);
    expect(top).toEqual([
      { value: null, label: "No source", count: 10 },
      { value: "referral", label: "referral", count: 4 },
      { value: undefined, label: "Other", count: 3 + 2 + 1 },
    ]);
  });

  it("names reps from members and counts per kind, busiest first", () => {
    const groups: AggregateGroup[] = [
      { key: { assignee_id: "u1", kind: "call" }, count: 2 },
      { key: { assignee_id: "u1", kind: "email" }, count: 1 },
      { key: { assignee_id: "u2", kind: "call" }, count: 5 },
      { key: { assignee_id: "gone", kind: "note" }, count: 1 },
      { key: { assignee_id: null, kind: "task" }, count: 1 },
    ];
    const rows = repRows(groups, "assignee_id", new Map([["u1", "Ada"], ["u2", "Grace"]]));
    expect(rows.map((row) => [row.name, row.total, row.byKind])).toEqual([
      ["Grace", 5, { call: 5 }],
      ["Ada", 3, { call: 2, email: 1 }],
      ["Former member", 1, { note: 1 }],
      ["Unassigned", 1, { task: 1 }],
    ]);
  });

  it("orders funnel steps by stage, leaves lost out and computes shares", () => {
    const steps = [
      { value: "s1", display: "Qualification", entered: 10 },
      { value: "s2", display: "Proposal", entered: 4 },
      { value: "won", display: "Won", entered: 2 },
      { value: "lost", display: "Lost", entered: 6 },
    ];
    expect(funnelRows(steps, STAGES).map((row) => [row.name, row.entered, row.fromPrevious, row.fromFirst])).toEqual([
      ["Qualification", 10, null, 1],
      ["Proposal", 4, 0.4, 0.4],
      ["Negotiation", 0, 0, 0],
      ["Won", 2, null, 0.2],
    ]);
  });
});
