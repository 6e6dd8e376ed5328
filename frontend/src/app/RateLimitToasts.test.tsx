import { useQuery } from "@tanstack/react-query";
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { api, call } from "@/api/client";
import { fakeApi, json, renderApp } from "@/test/render";

function TwoLists() {
  const a = useQuery({ queryKey: ["members", 1], queryFn: () => call(api.GET("/api/v1/members")) });
  const b = useQuery({ queryKey: ["members", 2], queryFn: () => call(api.GET("/api/v1/members")) });
  return <p>{a.isError && b.isError ? "both failed" : "loading"}</p>;
}

describe("RateLimitToasts", () => {
  it("says once, clearly, when the API's rate limit stops requests, with the wait", async () => {
    fakeApi((request) =>
      request.url.endsWith("/api/v1/members")
        ? json({ status: 429, code: "rate_limited", detail: "Too many requests: the limit is 1200 every 60 seconds; try again in 42 seconds.", retry_after: 42 }, 429, { "retry-after": "42" })
        : undefined,
    );
    renderApp(<TwoLists />);
    expect(await screen.findByText("both failed")).toBeVisible();
    const toasts = screen.getAllByRole("alert");
    expect(toasts).toHaveLength(1);
    expect(toasts[0]).toHaveTextContent("Too many requests");
    expect(toasts[0]).toHaveTextContent("Try again in 42 seconds.");
  });
});
