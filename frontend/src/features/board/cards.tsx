/** What a deal card and a lead card show: the essentials a seller scans a column for, and nothing to edit. */
import { useMembers, useObjectMeta, useRelatedRecord } from "@/api/records";
import { formatDate, formatMoney, isMoney, recordTitle } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { formatDuration } from "./boardLogic";

function Owner({ id }: { id: unknown }) {
  const members = useMembers();
  if (typeof id !== "string" || !id) return null;
  const member = members.data?.find((m) => m.user_id === id);
  const name = member ? member.full_name || member.email : members.isLoading ? "" : "Former member";
  if (!name) return <Skeleton className="h-5 w-5 rounded-full" />;
  return (
    <span title={`Owner: ${name}`} className="inline-flex">
      <Avatar name={name} size={20} />
      <span className="sr-only">Owner: {name}</span>
    </span>
  );
}

function InColumn({ since, now, noun }: { since: string | undefined; now: number; noun: string }) {
  if (!since) return <Skeleton className="w-14" />;
  const duration = formatDuration(since, now);
  return (
    <span className="inline-flex items-center gap-1 text-xs text-muted tabular-nums" title={`In this ${noun} since ${new Date(since).toLocaleString()}`} data-testid="time-in-column">
      <Icon name="clock" size={12} />
      {duration === "now" ? "just now" : `${duration} in ${noun}`}
    </span>
  );
}

function Company({ id }: { id: unknown }) {
  const { meta } = useObjectMeta("companies");
  const related = useRelatedRecord(meta, typeof id === "string" ? id : null);
  if (typeof id !== "string" || !id) return null;
  if (related.isLoading) return <Skeleton className="mt-1 w-24" />;
  return (
    <p className="mt-0.5 flex min-w-0 items-center gap-1 text-xs text-muted">
      <Icon name="building" size={12} className="shrink-0" />
      <span className="truncate">{related.data ? recordTitle(meta, related.data) : "(not visible)"}</span>
    </p>
  );
}

function Outcome({ deal }: { deal: RecordData }) {
  if (deal.outcome !== "won" && deal.outcome !== "lost") return null;
  const won = deal.outcome === "won";
  const closed = typeof deal.closed_at === "string" ? formatDate(deal.closed_at.slice(0, 10)) : null;
  return (
    <span
      className={cx("mt-1.5 inline-flex items-center gap-1 rounded px-1.5 py-px text-[11px] font-medium whitespace-nowrap", won ? "bg-success-soft text-success" : "bg-danger-soft text-danger")}
      data-testid="deal-outcome"
    >
      {won ? "Won" : "Lost"}
      {closed ? <span className="font-normal opacity-80">· {closed}</span> : null}
    </span>
  );
}

export function DealCard({ deal, since, now }: { deal: RecordData; since: string | undefined; now: number }) {
  return (
    <div className="pr-5">
      <p className="line-clamp-2 text-sm font-medium break-words">{String(deal.name ?? "Untitled deal")}</p>
      <Company id={deal.company_id} />
      <Outcome deal={deal} />
      <div className="mt-2 flex min-h-5 items-center gap-2">
        <span className="text-sm font-semibold whitespace-nowrap tabular-nums" data-testid="deal-amount">
          {isMoney(deal.amount) ? formatMoney(deal.amount) : <span className="font-normal text-faint">No amount</span>}
        </span>
        <span className="ml-auto flex items-center gap-2 whitespace-nowrap">
          <InColumn since={since} now={now} noun="stage" />
          <Owner id={deal.owner_id} />
        </span>
      </div>
    </div>
  );
}

export function leadName(lead: RecordData): string {
  const name = [lead.first_name, lead.last_name].filter((part) => typeof part === "string" && part).join(" ");
  return name || "Unnamed lead";
}

export function LeadCard({ lead, since, now }: { lead: RecordData; since: string | undefined; now: number }) {
  const company = typeof lead.company_name === "string" && lead.company_name ? lead.company_name : null;
  const email = typeof lead.email === "string" && lead.email ? lead.email : null;
  return (
    <div className="pr-5">
      <p className="truncate text-sm font-medium">{leadName(lead)}</p>
      {company ? (
        <p className="mt-0.5 flex min-w-0 items-center gap-1 text-xs text-muted">
          <Icon name="building" size={12} className="shrink-0" />
          <span className="truncate">{company}</span>
        </p>
      ) : null}
      {email ? <p className="mt-0.5 truncate text-xs text-muted">{email}</p> : null}
      <div className="mt-2 flex min-h-5 items-center gap-2">
        {typeof lead.score === "number" ? (
          <span className="rounded bg-subtle px-1.5 py-px text-[11px] font-medium text-muted tabular-nums" title="Score">
            {lead.score}
          </span>
        ) : null}
        {lead.status === "converted" ? (
          <span className="rounded bg-success-soft px-1.5 py-px text-[11px] font-medium text-success">Converted</span>
        ) : null}
        <span className="ml-auto flex items-center gap-2">
          <InColumn since={since} now={now} noun="status" />
          <Owner id={lead.owner_id} />
        </span>
      </div>
    </div>
  );
}
