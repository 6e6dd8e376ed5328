import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  dayBounds,
  formatDue,
  fromLocalParts,
  isLate,
  msUntilTomorrow,
  sectionFilter,
  sectionOf,
  toLocalParts,
} from "./dates";
import { restoreTimeZone, setTimeZone as inZone } from "./testing";

// The bucketing runs in the browser's zone; each test picks one.

describe("task dates", () => {
  beforeEach(() => inZone("UTC"));
  afterEach(restoreTimeZone);

  it("runs in the zone a test sets (else the other tests prove nothing)", () => {
    inZone("Pacific/Kiritimati");
    expect(new Date("2026-01-01T00:00:00Z").getHours()).toBe(14);
    inZone("Pacific/Pago_Pago");
    expect(new Date("2026-01-01T00:00:00Z").getHours()).toBe(13);
  });

  it("a task due at 23:30 local is today until local midnight, then overdue (UTC+14)", () => {
    inZone("Pacific/Kiritimati"); // UTC+14: local 2026-03-10 23:30 is 2026-03-10T09:30Z
    const task = { due_at: "2026-03-10T09:30:00Z", done: false };
    expect(sectionOf(task, new Date("2026-03-09T10:00:00Z"))).toBe("today"); // local Mar 10, 00:00
    expect(sectionOf(task, new Date("2026-03-10T09:59:59Z"))).toBe("today"); // local Mar 10, 23:59:59
    expect(sectionOf(task, new Date("2026-03-10T10:00:00Z"))).toBe("overdue"); // local Mar 11, 00:00
    expect(sectionOf(task, new Date("2026-03-09T09:59:59Z"))).toBe("upcoming"); // local Mar 9, 23:59:59
  });

  it("the same instant falls on different days on either side of the date line", () => {
    const task = { due_at: "2026-03-10T12:00:00Z" };
    const now = new Date("2026-03-10T11:00:00Z");
    inZone("Pacific/Kiritimati"); // task Mar 11 02:00, now Mar 11 01:00
    expect(sectionOf(task, now)).toBe("today");
    inZone("Pacific/Pago_Pago"); // UTC-11: task Mar 10 01:00, now Mar 10 00:00
    expect(sectionOf(task, now)).toBe("today");
    inZone("Pacific/Pago_Pago");
    expect(sectionOf({ due_at: "2026-03-10T10:59:00Z" }, now)).toBe("overdue"); // Mar 9, 23:59 there
    inZone("Pacific/Kiritimati");
    expect(sectionOf({ due_at: "2026-03-10T10:59:00Z" }, now)).toBe("today"); // Mar 11, 00:59 there
  });

  it("done wins over any date, and a task without a date has none", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(sectionOf({ due_at: "2020-01-01T00:00:00Z", done: true }, now)).toBe("done");
    expect(sectionOf({ due_at: null, done: false }, now)).toBe("none");
    expect(sectionOf({ due_at: "not a date" }, now)).toBe("none");
  });

  it("a day that starts at 01:00 (DST at midnight, Santiago) starts then", () => {
    inZone("America/Santiago"); // 2026-09-06 00:00 does not exist: clocks jump to 01:00 (-03)
    const { start, end } = dayBounds(new Date("2026-09-06T15:00:00Z"));
    expect(start.toISOString()).toBe("2026-09-06T04:00:00.000Z");
    expect(end.toISOString()).toBe("2026-09-07T03:00:00.000Z");
    expect(end.getTime() - start.getTime()).toBe(23 * 3_600_000);
  });

  it("a 25-hour day (DST ends, Berlin) keeps its last hour in today", () => {
    inZone("Europe/Berlin"); // 2026-10-25: 03:00 CEST -> 02:00 CET
    const now = new Date("2026-10-25T10:00:00Z");
    const { start, end } = dayBounds(now);
    expect(start.toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(end.toISOString()).toBe("2026-10-25T23:00:00.000Z");
    expect(sectionOf({ due_at: "2026-10-25T22:30:00Z" }, now)).toBe("today"); // 23:30 CET
    expect(sectionOf({ due_at: "2026-10-25T23:00:00Z" }, now)).toBe("upcoming"); // Oct 26, 00:00
    expect(msUntilTomorrow(now)).toBe(13 * 3_600_000);
  });

  it("builds the list filters from the local day's bounds", () => {
    inZone("Asia/Kolkata"); // UTC+5:30
    const bounds = dayBounds(new Date("2026-03-10T20:00:00Z")); // local Mar 11, 01:30
    const start = "2026-03-10T18:30:00.000Z";
    const end = "2026-03-11T18:30:00.000Z";
    const task = { field: "kind", op: "eq", value: "task" };
    const mine = { field: "assignee_id", op: "eq", value: "u1" };
    const open = { field: "done", op: "eq", value: false };
    expect(sectionFilter("overdue", bounds, "u1")).toEqual({ and: [task, mine, open, { field: "due_at", op: "lt", value: start }] });
    expect(sectionFilter("today", bounds, "u1")).toEqual({
      and: [task, mine, open, { field: "due_at", op: "gte", value: start }, { field: "due_at", op: "lt", value: end }],
    });
    expect(sectionFilter("upcoming", bounds, null)).toEqual({ and: [task, open, { field: "due_at", op: "gte", value: end }] });
    expect(sectionFilter("none", bounds, null)).toEqual({ and: [task, open, { field: "due_at", op: "is_null", value: true }] });
    expect(sectionFilter("done", bounds, "u1")).toEqual({ and: [task, mine, { field: "done", op: "eq", value: true }] });
  });

  it("a timed task is late once its time passes; a date-only one only when its day is over", () => {
    inZone("America/New_York");
    const now = new Date("2026-03-10T15:00:00Z"); // 11:00 EDT
    expect(isLate({ due_at: "2026-03-10T13:00:00Z" }, now)).toBe(true); // 09:00 today
    expect(isLate({ due_at: "2026-03-10T17:00:00Z" }, now)).toBe(false); // 13:00 today
    expect(isLate({ due_at: "2026-03-10T04:00:00Z" }, now)).toBe(false); // today, no time (local midnight)
    expect(isLate({ due_at: "2026-03-09T04:00:00Z" }, now)).toBe(true); // yesterday, no time
    expect(isLate({ due_at: "2026-03-09T04:00:00Z", done: true }, now)).toBe(false);
  });

  it("turns local date and time fields into UTC and back", () => {
    inZone("America/New_York");
    expect(fromLocalParts("2026-03-10", "09:15")).toBe("2026-03-10T13:15:00.000Z");
    expect(fromLocalParts("2026-03-10", "")).toBe("2026-03-10T04:00:00.000Z");
    expect(fromLocalParts("", "")).toBeNull();
    expect(toLocalParts("2026-03-10T13:15:00.000Z")).toEqual({ date: "2026-03-10", time: "09:15" });
    expect(toLocalParts("2026-03-10T04:00:00.000Z")).toEqual({ date: "2026-03-10", time: "" });
  });

  it("says due dates relative to today when near", () => {
    inZone("Europe/Berlin");
    const now = new Date("2026-03-10T10:00:00Z");
    expect(formatDue("2026-03-09T23:00:00Z", now)).toBe("Today"); // local midnight: no time
    expect(formatDue("2026-03-10T22:59:00Z", now)).toMatch(/^Today 23:59$|^Today 11:59\sPM$/);
    expect(formatDue("2026-03-10T23:00:00Z", now)).toBe("Tomorrow");
    expect(formatDue("2026-03-08T23:00:00Z", now)).toBe("Yesterday");
    expect(formatDue("", now)).toBe("");
  });
});
