import { describe, expect, it } from "vitest";
import { ApiError } from "./problem";

const problem = {
  type: "about:blank",
  title: "Unprocessable Entity",
  status: 422,
  detail: "The record is not valid: body.emails.0: Not an e-mail address.",
  code: "validation_failed",
  request_id: "req-1",
  errors: [
    { path: "body.emails.0", message: "Not an e-mail address.", type: "email" },
    { path: "body.last_name", message: "This field is required.", type: "missing" },
    { path: "body.emails.1", message: "Second message.", type: "email" },
  ],
};

describe("ApiError", () => {
  it("reads an RFC 9457 problem", () => {
    const error = ApiError.from(new Response(null, { status: 422 }), problem);
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_failed");
    expect(error.requestId).toBe("req-1");
    expect(error.message).toBe(problem.detail);
  });

  it("places field errors by field name, first message wins", () => {
    const error = ApiError.from(new Response(null, { status: 422 }), problem);
    expect(error.byField()).toEqual({ emails: "Not an e-mail address.", last_name: "This field is required." });
  });

  it("keeps a form-level message only when some error names no field of the form", () => {
    const error = ApiError.from(new Response(null, { status: 422 }), problem);
    expect(error.formMessage(["emails", "last_name"])).toBeNull();
    expect(error.formMessage(["emails"])).toBe(problem.detail);
  });

  it("survives a body that is not a problem", () => {
    const error = ApiError.from(new Response(null, { status: 502, statusText: "Bad Gateway" }), "<html>");
    expect(error.code).toBe("http_502");
    expect(error.errors).toEqual([]);
  });

  it("says when a rate-limited request may be tried again: the problem's retry_after, else Retry-After", () => {
    const limited = { status: 429, code: "rate_limited", detail: "Too many requests." };
    const fromBody = ApiError.from(new Response(null, { status: 429, headers: { "retry-after": "5" } }), { ...limited, retry_after: 7200 });
    expect(fromBody.retryAfter).toBe(7200);
    expect(fromBody.message).toBe("Too many requests. Try again in 2 hours.");
    const fromHeader = ApiError.from(new Response(null, { status: 429, headers: { "retry-after": "30" } }), limited);
    expect(fromHeader.retryAfter).toBe(30);
    expect(fromHeader.message).toBe("Too many requests. Try again in 30 seconds.");
    const locked = ApiError.from(new Response(null, { status: 429 }), { status: 429, code: "too_many_attempts" });
    expect(locked.message).toBe("Too many failed attempts. Try again later.");
  });
});
