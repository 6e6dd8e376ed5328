import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { useTheme } from "./theme";

function Toggle({ label }: { label: string }) {
  const theme = useTheme();
  return (
    <button type="button" onClick={() => theme.setChoice("dark")}>
      {label}: {theme.choice}
    </button>
  );
}

describe("useTheme", () => {
  it("shares one choice between every component that uses it", () => {
    localStorage.removeItem("kronos.theme");
    render(
      <>
        <Toggle label="sidebar" />
        <Toggle label="settings" />
      </>,
    );
    act(() => screen.getByText(/^settings:/).click());
    expect(screen.getByText(/^sidebar:/).textContent).toBe("sidebar: dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem("kronos.theme")).toBe("dark");
  });
});
