import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, json, renderApp } from "@/test/render";
import SignInPage, { safeNext } from "./SignInPage";

describe("SignInPage", () => {
  it("asks for the 2FA code when the API wants one, then signs in", async () => {
    const requests = fakeApi(async (request) => {
      if (!request.url.endsWith("/api/v1/auth/login")) return undefined;
      const body = (await request.clone().json()) as { otp?: string };
      if (!body.otp) return json({ status: 401, code: "otp_required", detail: "Enter the code from your app." }, 401);
      return json({ access_token: "a", refresh_token: null, expires_in: 900, workspace_id: "w1" });
    });
    renderApp(<SignInPage />, { signedIn: false, path: "/signin" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText("Authentication code");
    await user.type(code, "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(requests.some((r) => r.url.endsWith("/api/v1/auth/me"))).toBe(true));
    const logins = requests.filter((r) => r.url.endsWith("/auth/login"));
    expect(logins).toHaveLength(2);
    expect(await logins[1]!.json()).toMatchObject({ email: "ada@example.com", otp: "123456" });
  });

  it("on the first start, names the owner account and fills in its e-mail, which typing replaces", async () => {
    const requests = fakeApi((request) => {
      if (request.url.endsWith("/api/v1/auth/first-sign-in")) return json({ email: "admin@example.com", password_printed: true });
      if (request.url.endsWith("/api/v1/auth/login")) return json({ status: 401, code: "invalid_credentials", detail: "Wrong e-mail or password." }, 401);
      return undefined;
    });
    renderApp(<SignInPage />, { signedIn: false, path: "/signin" });
    expect(await screen.findByRole("note")).toHaveTextContent(
      "First start: sign in as admin@example.com with the password printed in the terminal where KronosCRM started.",
    );
    const email = screen.getByLabelText("E-mail");
    expect(email).toHaveValue("admin@example.com");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Password"), "printed-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("alert");
    expect(await requests.find((r) => r.url.endsWith("/auth/login"))!.json()).toMatchObject({ email: "admin@example.com" });
    await user.clear(email);
    await user.type(email, "ada@example.com");
    expect(email).toHaveValue("ada@example.com");
  });

  it("shows the API's message for wrong credentials", async () => {
    fakeApi((request) =>
      request.url.endsWith("/auth/login") ? json({ status: 401, code: "invalid_credentials", detail: "Wrong e-mail or password." }, 401) : undefined,
    );
    renderApp(<SignInPage />, { signedIn: false, path: "/signin" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("E-mail"), "ada@example.com");
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong e-mail or password.");
  });

  it("never redirects off-site after sign-in", () => {
    expect(safeNext("/contacts/1?x=1")).toBe("/contacts/1?x=1");
    expect(safeNext("//evil.example")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext(null)).toBe("/");
  });
});
