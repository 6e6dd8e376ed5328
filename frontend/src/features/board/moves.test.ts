import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/problem";
import type { RecordData } from "@/lib/types";
import { cardsOf, type ColumnPages, type Totals } from "./boardLogic";
import { moveCard, type MovePlan } from "./moves";

const FROM = ["records", "deals", "list", { stage: "s1" }];
const TO = ["records", "deals", "list", { stage: "s2" }];
const TOTALS = ["records", "deals", "aggregate", "stage_id", null];

const deal = (id: string, day: number, stage: string, amount = 1000): RecordData => ({
  id,
  version: 3,
  name: id,
  stage_id: stage,
  created_at: `2026-03-${String(day).padStart(2, "0")}T00:00:00.000000Z`,
  amount: { currency: "EUR", amount_minor: amount },
});

function setup() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const page = (items: RecordData[]): ColumnPages => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
  client.setQueryData(FROM, page([deal("a", 5, "s1"), deal("b", 3, "s1", 250)]));
  client.setQueryData(TO, page([deal("c", 4, "s2")]));
  const totals: Totals = {
    s1: { count: 2, sums: [{ currency: "EUR", amount_minor: 1250 }] },
    s2: { count: 1, sums: [{ currency: "EUR", amount_minor: 1000 }] },
  };
  client.setQueryData([...TOTALS, "count,sum:amount"], totals);
  return client;
}

function plan(client: QueryClient, send: MovePlan["send"]): MovePlan {
  const card = cardsOf(client.getQueryData<ColumnPages>(FROM)).find((c) => c.id === "b") as RecordData;
  return { object: "deals", field: "stage_id", card, from: "s1", to: "s2", fromKey: FROM, toKey: TO, totalsKey: TOTALS, send };
}

const column = (client: QueryClient, key: unknown[]) => cardsOf(client.getQueryData<ColumnPages>(key)).map((c) => `${c.id}:${String(c.stage_id)}:v${c.version}`);
const totals = (client: QueryClient) => client.getQueryData<Totals>([...TOTALS, "count,sum:amount"]);

describe("an optimistic move", () => {
  it("moves the card and the totals before the server answers, then keeps the server's copy", async () => {
    const client = setup();
    let answer: (record: RecordData) => void = () => undefined;
    let inFlight: { from: string[]; to: string[]; totals: Totals | undefined } | null = null;
    const pending = moveCard(
      client,
      plan(client, () => {
        // What the user sees while the request is out: already moved, in created_at order.
        inFlight = { from: column(client, FROM), to: column(client, TO), totals: totals(client) };
        return new Promise((resolve) => (answer = resolve));
      }),
    );
    await expect.poll(() => inFlight).not.toBeNull();
    expect(inFlight).toEqual({
      from: ["a:s1:v3"],
      to: ["c:s2:v3", "b:s2:v3"],
      totals: {
        s1: { count: 1, sums: [{ currency: "EUR", amount_minor: 1000 }] },
        s2: { count: 2, sums: [{ currency: "EUR", amount_minor: 1250 }] },
      },
    });
    answer({ ...deal("b", 3, "s2", 250), version: 4, outcome: null });
    const saved = await pending;
    expect(saved.version).toBe(4);
    // The stored version is what the next move sends as If-Match.
    expect(column(client, TO)).toEqual(["c:s2:v3", "b:s2:v4"]);
    expect(client.getQueryState([...TOTALS, "count,sum:amount"])?.isInvalidated).toBe(true);
  });

  it.each([
    [403, "Your role cannot change: stage_id."],
    [422, "This stage belongs to another pipeline."],
  ])("is rolled back when the server answers %i, and the error reaches the caller", async (status, message) => {
    const client = setup();
    const before = { from: column(client, FROM), to: column(client, TO), totals: totals(client) };
    await expect(moveCard(client, plan(client, () => Promise.reject(new ApiError(status, message))))).rejects.toThrow(message);
    expect(column(client, FROM)).toEqual(before.from);
    expect(column(client, TO)).toEqual(before.to);
    expect(totals(client)).toEqual(before.totals);
    expect(client.getQueryState(FROM)?.isInvalidated).toBe(false);
  });

  it("after a lost update (412) also reloads the source column, for the card's current version", async () => {
    const client = setup();
    await expect(moveCard(client, plan(client, () => Promise.reject(new ApiError(412, "The record changed since you read it."))))).rejects.toBeInstanceOf(ApiError);
    expect(column(client, FROM)).toEqual(["a:s1:v3", "b:s1:v3"]);
    expect(client.getQueryState(FROM)?.isInvalidated).toBe(true);
  });
});
