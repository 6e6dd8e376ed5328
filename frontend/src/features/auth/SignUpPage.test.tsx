import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, json, renderApp } from "@/test/render";
import SignUpPage from "./SignUpPage";

async function fillAndSubmit() {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Work e-mail"), "ada@example.com");
  await user.type(screen.getByLabelText("Password"), "correct horse battery");
  await user.type(screen.getByLabelText("Workspace name"), "Engines");
  await user.click(screen.getByRole("button", { name: "Create workspace" }));
  return user;
}

describe("SignUpPage", () => {
  it("an e-mail with an account and 2FA asks for the code, sends it with the sign-up, then signs in", async () => {
    const requests = fakeApi(async (request) => {
      if (!request.url.endsWith("/api/v1/auth/signup")) return undefined;
      const body = (await request.clone().json()) as { otp?: string };
      if (!body.otp) return json({ status: 401, code: "otp_required", detail: "Enter the code from your authenticator app." }, 401);
      return json({ access_token: "a", refresh_token: null, expires_in: 900, workspace_id: "w2" }, 201);
    });
    renderApp(<SignUpPage />, { signedIn: false, path: "/signup" });
    const user = await fillAndSubmit();
    await user.type(await screen.findByLabelText("Authentication code"), "123456");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(requests.some((r) => r.url.endsWith("/api/v1/auth/me"))).toBe(true));
    const signups = requests.filter((r) => r.url.endsWith("/auth/signup"));
    expect(signups).toHaveLength(2);
    expect(await signups[1]!.json()).toMatchObject({ email: "ada@example.com", workspace_name: "Engines", otp: "123456" });
    expect(signups.map((r) => r.headers.get("x-kronos-session"))).toEqual(["cookie", "cookie"]);
  });

  it("says an account exists when its password is wrong", async () => {
    fakeApi((request) =>
      request.url.endsWith("/auth/signup") ? json({ status: 401, code: "invalid_credentials", detail: "The e-mail or password is not correct." }, 401) : undefined,
    );
    renderApp(<SignUpPage />, { signedIn: false, path: "/signup" });
    await fillAndSubmit();
    expect(await screen.findByRole("alert")).toHaveTextContent("An account with this e-mail exists; the password is not correct.");
    expect(screen.getByRole("link", { name: "Forgot your password?" })).toBeVisible();
  });

  it("tells a locked-out account when to try again", async () => {
    fakeApi((request) =>
      request.url.endsWith("/auth/signup")
        ? json({ status: 429, code: "too_many_attempts", detail: "Too many failed sign-in attempts; try again in 900 seconds.", retry_after: 900 }, 429, { "retry-after": "900" })
        : undefined,
    );
    renderApp(<SignUpPage />, { signedIn: false, path: "/signup" });
    await fillAndSubmit();
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed attempts. Try again in 15 minutes.");
  });
});
