import "@testing-library/jest-dom/vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/problem";
import { fakeApi, json, ME, renderApp } from "@/test/render";
import { placeError } from "./form";
import { ProfileSettings } from "./ProfileSettings";
import { PasswordCard } from "./SecuritySettings";

const problem = (status: number, code: string, detail: string, errors: { path: string; message: string; type: string }[] = []) =>
  json({ status, code, detail, errors }, status);

describe("settings forms place the API's errors", () => {
  it("shows a wrong current password beside its field, not above the form", async () => {
    const requests = fakeApi((request) => {
      if (!request.url.endsWith("/api/v1/auth/password/change")) return undefined;
      return problem(422, "wrong_password", "The current password is not correct.", [
        { path: "body.current_password", message: "The current password is not correct.", type: "wrong_password" },
      ]);
    });
    renderApp(<PasswordCard />, { path: "/settings/security" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Current password"), "not-it");
    await user.type(screen.getByLabelText("New password"), "violet-harbour-2208");
    await user.type(screen.getByLabelText("Confirm new password"), "violet-harbour-2208");
    await user.click(screen.getByRole("button", { name: "Change password" }));

    const current = screen.getByLabelText("Current password");
    await waitFor(() => expect(current).toHaveAttribute("aria-invalid", "true"));
    expect(current).toHaveAccessibleDescription("The current password is not correct.");
    expect(screen.getByLabelText("New password")).not.toHaveAttribute("aria-invalid");
    // Placed beside its field, the message is not repeated above the form.
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    const sent = requests.filter((r) => r.url.endsWith("/password/change"));
    expect(await sent[0]!.json()).toEqual({ current_password: "not-it", new_password: "violet-harbour-2208" });
  });

  it("checks the confirmation before calling the API", async () => {
    const requests = fakeApi();
    renderApp(<PasswordCard />, { path: "/settings/security" });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Current password"), "plum-orchard-7431");
    await user.type(screen.getByLabelText("New password"), "violet-harbour-2208");
    await user.type(screen.getByLabelText("Confirm new password"), "violet-harbour-2209");
    await user.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByLabelText("Confirm new password")).toHaveAccessibleDescription("The two new passwords are not the same.");
    expect(requests.some((r) => r.url.endsWith("/password/change"))).toBe(false);
  });

  it("saves the profile name and shows a too-long name beside the field", async () => {
    let calls = 0;
    fakeApi(async (request) => {
      if (!(request.method === "PATCH" && request.url.endsWith("/api/v1/auth/me"))) return undefined;
      calls += 1;
      const body = (await request.clone().json()) as { full_name: string };
      if (body.full_name.length > 200) {
        return problem(422, "validation_failed", "Request validation failed", [
          { path: "body.full_name", message: "String should have at most 200 characters", type: "string_too_long" },
        ]);
      }
      return json({ ...ME, user: { ...ME.user, full_name: body.full_name }, is_admin: true });
    });
    renderApp(<ProfileSettings />, { path: "/settings/profile" });
    const user = userEvent.setup();
    const name = await screen.findByLabelText("Full name");
    await user.clear(name);
    await user.click(name);
    await user.paste("x".repeat(201));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByLabelText("Full name")).toHaveAccessibleDescription("String should have at most 200 characters"));

    await user.clear(screen.getByLabelText("Full name"));
    await user.type(screen.getByLabelText("Full name"), "Ada King");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Profile saved")).toBeInTheDocument();
    expect(screen.getByLabelText("Full name")).not.toHaveAttribute("aria-invalid");
    expect(calls).toBe(2);
  });

  it("maps field-less refusals by code, and keeps unplaced errors above the form", () => {
    const otp = new ApiError(422, "The code is not correct.", { status: 422, code: "invalid_otp", errors: [] });
    expect(placeError(otp, ["otp"], { invalid_otp: "otp" })).toEqual({
      fieldErrors: { otp: "The code is not correct." },
      formError: null,
    });
    const elsewhere = new ApiError(422, "Bad permissions", {
      status: 422,
      code: "validation_failed",
      errors: [{ path: "body.permissions.objects.x", message: "bad", type: "x" }],
    });
    expect(placeError(elsewhere, ["name"]).formError).toBe("Bad permissions");
    const forbidden = new ApiError(403, "Forbidden.", { status: 403, code: "forbidden" });
    expect(placeError(forbidden, ["name"]).formError).toBe("You do not have permission to do this. Forbidden.");
    expect(placeError(new Error("offline"), []).formError).toBe("offline");
  });
});
