/**
 * One optimistic move, outside React so it can be tested with a bare QueryClient: the card leaves its column's
 * cached pages and enters the target's, the totals shift, the request goes out; if it fails, the inverse edit
 * puts everything back (see boardLogic.ts for why an inverse and not a snapshot) and the error is rethrown for
 * the board to show where it happened.
 */
import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { ApiError } from "@/api/problem";
import { storeRecord } from "@/api/records";
import type { RecordData } from "@/lib/types";
import { insertCard, removeCard, shiftTotals, type ColumnPages, type Totals } from "./boardLogic";

export interface MovePlan {
  object: string;
  /** The field a column stands for: stage_id, status. */
  field: string;
  card: RecordData;
  from: string;
  to: string;
  fromKey: QueryKey;
  toKey: QueryKey;
  /** Prefix of the totals queries of this board (every metric set under it is shifted). */
  totalsKey: QueryKey;
  /** The request; resolves to the record as the server stored it. */
  send: () => Promise<RecordData>;
}

function apply(client: QueryClient, plan: MovePlan, card: RecordData, from: string, to: string, fromKey: QueryKey, toKey: QueryKey): void {
  client.setQueryData<ColumnPages>(fromKey, (data) => removeCard(data, card.id));
  client.setQueryData<ColumnPages>(toKey, (data) => insertCard(data, card));
  client.setQueriesData<Totals>({ queryKey: plan.totalsKey }, (totals) => shiftTotals(totals, from, to, card.amount));
}

export async function moveCard(client: QueryClient, plan: MovePlan): Promise<RecordData> {
  const { card, from, to, fromKey, toKey } = plan;
  // A list request in flight would land after our edit and put the card back where it was.
  await Promise.all([client.cancelQueries({ queryKey: fromKey }), client.cancelQueries({ queryKey: toKey })]);
  const moved: RecordData = { ...card, [plan.field]: to };
  apply(client, plan, moved, from, to, fromKey, toKey);
  let saved: RecordData;
  try {
    saved = await plan.send();
  } catch (error) {
    apply(client, plan, card, to, from, toKey, fromKey);
    if (error instanceof ApiError && error.status === 412) {
      // Someone changed it meanwhile: fetch its current version so the next move sends the right If-Match.
      void client.invalidateQueries({ queryKey: fromKey });
    }
    throw error;
  }
  storeRecord(client, plan.object, saved);
  void client.invalidateQueries({ queryKey: ["history", plan.object, saved.id] });
  void client.invalidateQueries({ queryKey: plan.totalsKey });
  return saved;
}
