import { expect, test as base, type APIRequestContext, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { OWNER_EMAIL, OWNER_PASSWORD } from "./global-setup";

export { expect, OWNER_EMAIL, OWNER_PASSWORD };

/** Every test talks to the server global-setup started. */
export const test = base.extend<{ errors: string[] }>({
  baseURL: async ({}, use) => {
    await use(process.env.KRONOS_E2E_BASE);
  },
  // Console errors (a CSP violation, an uncaught exception) fail the test that caused them.
  errors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
      });
      await use(errors);
      expect(errors, "errors in the browser console").toEqual([]);
    },
    { auto: true },
  ],
});

export async function signIn(page: Page, email = OWNER_EMAIL, password = OWNER_PASSWORD): Promise<void> {
  await page.goto("/signin");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
}

export async function apiToken(request: APIRequestContext, email = OWNER_EMAIL, password = OWNER_PASSWORD): Promise<string> {
  const response = await request.post("/api/v1/auth/login", { data: { email, password } });
  expect(response.ok(), await response.text()).toBeTruthy();
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The newest invitation link for an address, from the server log (mail is logged in development). */
export function invitationToken(email: string): string {
  const log = readFileSync(process.env.KRONOS_E2E_LOG as string, "utf8");
  const masked = email.replace(/^(.).*@/, "$1***@"); // the log masks addresses
  let token: string | undefined;
  for (const line of log.split("\n")) {
    if (!line.includes("invitations/accept?token=")) continue;
    if (!line.includes(email) && !line.includes(masked)) continue;
    token = /invitations\/accept\?token=([A-Za-z0-9_-]+)/.exec(line)?.[1] ?? token;
  }
  if (!token) throw new Error(`no invitation mail for ${email} in ${process.env.KRONOS_E2E_LOG}`);
  return token;
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as an authenticator app computes it from the base32 secret. */
export function totp(secret: string, now = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(Array.from({ length: Math.floor(bits.length / 8) }, (_, i) => parseInt(bits.slice(i * 8, i * 8 + 8), 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}
