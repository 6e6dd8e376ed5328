import { describe, expect, it } from "vitest";
import type { RecordData } from "@/lib/types";
import {
  cardsOf,
  choosePipeline,
  columnFilter,
  columnsFromOptions,
  columnsFromStages,
  formatDuration,
  insertCard,
  quickFilter,
  readableFields,
  removeCard,
  shiftTotals,
  totalsFromAggregate,
  type ColumnPages,
} from "./boardLogic";
import { neighbour } from "./keyboard";

const card = (id: string, created_at: string, extra: Record<string, unknown> = {}): RecordData => ({ id, version: 1, created_at, ...extra });

function column(...pages: RecordData[][]): ColumnPages {
  return { pages: pages.map((items, i) => ({ items, next_cursor: i < pages.length - 1 ? `c${i}` : null })), pageParams: pages.map((_, i) => (i ? `c${i - 1}` : null)) };
}

const ids = (data: ColumnPages | undefined) => cardsOf(data).map((c) => c.id);

describe("columns", () => {
  it("orders a pipeline's stages by position and marks won and lost ones", () => {
    const columns = columnsFromStages([
      { id: "s3", name: "Won", position: 3, type: "won", probability: 100 },
      { id: "s1", name: "Qualification", position: 0, type: "open", probability: 10 },
      { id: "s4", name: "Lost", position: 4, type: "lost", probability: 0 },
      { id: "s2", name: "Proposal", position: 1, type: "open", probability: null },
    ]);
    expect(columns.map((c) => [c.value, c.title, c.tone, c.probability])).toEqual([
      ["s1", "Qualification", "open", 10],
      ["s2", "Proposal", "open", null],
      ["s3", "Won", "won", 100],
      ["s4", "Lost", "lost", 0],
    ]);
  });

  it("makes one column per select option, closed ones marked", () => {
    const options = [
      { value: "new", label: "New" },
      { value: "converted", label: "Converted" },
    ];
    expect(columnsFromOptions(options, ["converted"]).map((c) => [c.value, c.tone])).toEqual([
      ["new", "open"],
      ["converted", "closed"],
    ]);
  });

  it("filters a column by its value and the quick filters", () => {
    expect(columnFilter("stage_id", "s1", null)).toEqual({ field: "stage_id", op: "eq", value: "s1" });
    const quick = quickFilter({ ownerField: "owner_id", me: "u1", mine: true, search: " acme ", searchFields: ["name", "email"] });
    expect(columnFilter("status", "new", quick)).toEqual({
      and: [
        { field: "status", op: "eq", value: "new" },
        {
          and: [
            { field: "owner_id", op: "eq", value: "u1" },
            { or: [{ field: "name", op: "contains", value: "acme" }, { field: "email", op: "contains", value: "acme" }] },
          ],
        },
      ],
    });
    expect(quickFilter({ ownerField: "owner_id", me: "u1", mine: false, search: "  ", searchFields: ["name"] })).toBeNull();
    expect(quickFilter({ ownerField: null, me: "u1", mine: true, search: "x", searchFields: ["name"] })).toEqual({ field: "name", op: "contains", value: "x" });
  });

  it("asks only for fields the caller can read", () => {
    expect(readableFields([{ name: "id" }, { name: "name" }], ["id", "name", "amount"])).toEqual(["id", "name"]);
  });

  it("picks the pipeline in the address, then the remembered one, then the default", () => {
    const pipelines = [{ id: "p1", is_default: false }, { id: "p2", is_default: true }];
    expect(choosePipeline(pipelines, "p1", "p2")).toBe("p1");
    expect(choosePipeline(pipelines, "gone", "p1")).toBe("p1");
    expect(choosePipeline(pipelines, null, "gone")).toBe("p2");
    expect(choosePipeline([{ id: "p9" }], null, null)).toBe("p9");
    expect(choosePipeline([], "p1", "p1")).toBeNull();
  });
});

describe("optimistic cache edits", () => {
  const a = card("a", "2026-03-05T10:00:00.000000Z");
  const b = card("b", "2026-03-03T10:00:00.000000Z");
  const c = card("c", "2026-03-01T10:00:00.000000Z");

  it("removes a card from whichever page holds it", () => {
    expect(ids(removeCard(column([a, b], [c]), "b"))).toEqual(["a", "c"]);
    expect(removeCard(undefined, "a")).toBeUndefined();
  });

  it("inserts a card where the newest-first order puts it, across pages", () => {
    const middle = card("m", "2026-03-04T00:00:00.000000Z");
    expect(ids(insertCard(column([a, b], [c]), middle))).toEqual(["a", "m", "b", "c"]);
    const onSecondPage = card("n", "2026-03-02T00:00:00.000000Z");
    const data = insertCard(column([a, b], [c]), onSecondPage) as ColumnPages;
    expect(data.pages.map((p) => p.items.map((i) => i.id))).toEqual([["a", "b"], ["n", "c"]]);
  });

  it("puts a card older than everything loaded at the end, so the user still sees it", () => {
    const oldest = card("o", "2020-01-01T00:00:00.000000Z");
    expect(ids(insertCard(column([a], [b]), oldest))).toEqual(["a", "b", "o"]);
  });

  it("breaks created_at ties by id, descending, like the server", () => {
    const twinLow = card("0", a.created_at as string);
    const twinHigh = card("z9", a.created_at as string);
    expect(ids(insertCard(column([a, b]), twinLow))).toEqual(["a", "0", "b"]);
    expect(ids(insertCard(column([a, b]), twinHigh))).toEqual(["z9", "a", "b"]);
  });

  it("never duplicates a card moved into a column that already holds it", () => {
    expect(ids(insertCard(column([a, b]), { ...a, name: "again" }))).toEqual(["a", "b"]);
  });

  it("leaves a column that was never loaded alone", () => {
    expect(insertCard(undefined, a)).toBeUndefined();
  });

  it("undoes a move by the inverse edit, keeping another card's move", () => {
    // Two cards leave "from": x (fails) and y (succeeds). Undoing x must not bring y back.
    const x = card("x", "2026-03-02T00:00:00.000000Z");
    const y = card("y", "2026-03-04T00:00:00.000000Z");
    let from: ColumnPages | undefined = column([y, x]);
    let to: ColumnPages | undefined = column([a]);
    from = removeCard(from, "x");
    to = insertCard(to, x);
    from = removeCard(from, "y");
    to = insertCard(to, y);
    to = removeCard(to, "x");
    from = insertCard(from, x);
    expect(ids(from)).toEqual(["x"]);
    expect(ids(to)).toEqual(["a", "y"]);
  });
});

describe("totals", () => {
  const groups = [
    { key: { stage_id: "s1" }, count: 3, "sum:amount": [{ currency: "EUR", amount_minor: 1000 }, { currency: "USD", amount_minor: 500 }] },
    { key: { stage_id: "s2" }, count: 1, "sum:amount": [] },
    { key: { stage_id: null }, count: 7, "sum:amount": [] },
  ];

  it("reads the aggregate API's groups by column value (the null group has no column)", () => {
    expect(totalsFromAggregate(groups, "stage_id", "sum:amount")).toEqual({
      s1: { count: 3, sums: [{ currency: "EUR", amount_minor: 1000 }, { currency: "USD", amount_minor: 500 }] },
      s2: { count: 1, sums: [] },
    });
    expect(totalsFromAggregate([{ key: { status: "new" }, count: 2 }], "status", null)).toEqual({ new: { count: 2, sums: [] } });
  });

  it("moves a card's count and amount, per currency, and back", () => {
    const before = totalsFromAggregate(groups, "stage_id", "sum:amount");
    const amount = { currency: "EUR", amount_minor: 400 };
    const after = shiftTotals(before, "s1", "s2", amount);
    expect(after).toEqual({
      s1: { count: 2, sums: [{ currency: "EUR", amount_minor: 600 }, { currency: "USD", amount_minor: 500 }] },
      s2: { count: 2, sums: [{ currency: "EUR", amount_minor: 400 }] },
    });
    expect(shiftTotals(after, "s2", "s1", amount)).toEqual(before);
    // Into a column the aggregate had no group for (it was empty); no amount: counts only.
    expect(shiftTotals(before, "s2", "s3", null)).toMatchObject({ s2: { count: 0, sums: [] }, s3: { count: 1, sums: [] } });
    expect(shiftTotals(undefined, "s1", "s2", amount)).toBeUndefined();
  });
});

describe("time in column", () => {
  const now = Date.parse("2026-03-20T12:00:00Z");
  it("says how long, short", () => {
    expect(formatDuration("2026-03-20T11:59:40Z", now)).toBe("now");
    expect(formatDuration("2026-03-20T11:15:00Z", now)).toBe("45 min");
    expect(formatDuration("2026-03-20T07:00:00Z", now)).toBe("5 h");
    expect(formatDuration("2026-03-08T11:00:00Z", now)).toBe("12 d");
    expect(formatDuration("2024-03-01T00:00:00Z", now)).toBe("2 y");
    expect(formatDuration("not a date", now)).toBe("");
  });
});

describe("keyboard moves", () => {
  const order = ["column:a", "column:b", "column:c", "column:d"];
  it("goes to the next column that takes drops, and stops at the ends", () => {
    const all = () => true;
    expect(neighbour(order, all, "column:b", 1)).toBe("column:c");
    expect(neighbour(order, all, "column:b", -1)).toBe("column:a");
    expect(neighbour(order, all, "column:d", 1)).toBeNull();
    expect(neighbour(order, (id) => id !== "column:c", "column:b", 1)).toBe("column:d");
    expect(neighbour(order, all, null, 1)).toBeNull();
  });
});
