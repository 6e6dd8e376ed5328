import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/problem";
import { ChartCard, type CardStatus } from "./ChartCard";

function card(status: CardStatus, error?: unknown) {
  return (
    <ChartCard
      title="Leads by status"
      subject="leads"
      status={status}
      error={error}
      empty={{ icon: "lead", title: "No new leads", text: "Nothing this period." }}
      summary="Leads by status: New 3, Contacted 1."
      chart={() => <svg data-testid="chart" />}
      table={() => (
        <table>
          <tbody>
            <tr>
              <td>New</td>
              <td>3</td>
            </tr>
          </tbody>
        </table>
      )}
    />
  );
}

describe("ChartCard", () => {
  it("shows the chart as an image labelled with its summary, and the table on demand from the keyboard", async () => {
    render(card("ready"));
    expect(screen.getByRole("region", { name: "Leads by status" })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Leads by status: New 3, Contacted 1." })).toBeInTheDocument();
    const toggle = screen.getByRole("button", { name: "Table" });
    toggle.focus();
    await userEvent.keyboard("{Enter}");
    expect(screen.getByRole("cell", { name: "New" })).toBeInTheDocument();
    expect(screen.queryByTestId("chart")).toBeNull();
    expect(screen.getByRole("button", { name: "Chart" })).toHaveAttribute("aria-pressed", "true");
  });

  it("keeps its size while loading and says what is missing when empty", () => {
    const { rerender } = render(card("loading"));
    expect(screen.getByLabelText("Loading chart")).toHaveStyle({ height: "260px" });
    expect(screen.getByRole("button", { name: "Table" })).toBeDisabled();
    rerender(card("empty"));
    expect(screen.getByText("No new leads")).toBeInTheDocument();
  });

  it("explains a refused read in words, not a status code", () => {
    render(card("error", new ApiError(403, "Your role does not allow read on leads.", { status: 403, code: "forbidden" })));
    expect(screen.getByRole("alert")).toHaveTextContent("Your role does not let you see leads, so this chart cannot be shown.");
  });
});
