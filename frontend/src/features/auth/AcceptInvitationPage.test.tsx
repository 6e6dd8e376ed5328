import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { fakeApi, json, renderApp } from "@/test/render";
import AcceptInvitationPage from "./AcceptInvitationPage";

const accepted = {
  workspace_id: "w2",
  user_id: "u1",
  created_account: false,
  tokens: { access_token: "a", refresh_token: null, expires_in: 900, workspace_id: "w2" },
};

describe("AcceptInvitationPage", () => {
  it("an existing account with 2FA joins with its password and code, and is signed in", async () => {
    const requests = fakeApi(async (request) => {
      if (!request.url.endsWith("/api/v1/invitations/accept")) return undefined;
      const body = (await request.clone().json()) as { otp?: string };
      if (!body.otp) return json({ status: 401, code: "otp_required", detail: "Enter the code from your authenticator app." }, 401);
      return json(accepted);
    });
    renderApp(<AcceptInvitationPage />, { signedIn: false, path: "/invitations/accept?token=tok-123" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Password"), "correct horse battery");
    await user.click(screen.getByRole("button", { name: "Accept invitation" }));
    await user.type(await screen.findByLabelText("Authentication code"), "654321");
    await user.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(requests.some((r) => r.url.endsWith("/api/v1/auth/me"))).toBe(true));
    const accepts = requests.filter((r) => r.url.endsWith("/invitations/accept"));
    expect(accepts).toHaveLength(2);
    expect(await accepts[1]!.json()).toMatchObject({ token: "tok-123", password: "correct horse battery", otp: "654321" });
    expect(accepts.map((r) => r.headers.get("x-kronos-session"))).toEqual(["cookie", "cookie"]);
  });

  it("says the password is not the existing account's", async () => {
    fakeApi((request) =>
      request.url.endsWith("/invitations/accept") ? json({ status: 401, code: "invalid_credentials", detail: "The e-mail or password is not correct." }, 401) : undefined,
    );
    renderApp(<AcceptInvitationPage />, { signedIn: false, path: "/invitations/accept?token=tok-123" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Password"), "not the password");
    await user.click(screen.getByRole("button", { name: "Accept invitation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This e-mail already has an account, and that is not its password.");
  });
});
