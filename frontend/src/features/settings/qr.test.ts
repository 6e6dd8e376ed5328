import { describe, expect, it } from "vitest";
import { encodeQr, formatBits, rsDivisor, rsRemainder, versionBits, versionFor } from "./qr";

/** Read the 15 format bits back from the copy around the top-left finder, as a scanner does. */
function readFormat(m: boolean[][]): number {
  const cells: [number, number][] = [
    [8, 0], [8, 1], [8, 2], [8, 3], [8, 4], [8, 5], [8, 7], [8, 8], [7, 8], [5, 8], [4, 8], [3, 8], [2, 8], [1, 8], [0, 8],
  ];
  return cells.reduce((bits, [x, y], i) => bits | (m[y]![x] ? 1 << i : 0), 0);
}

describe("QR encoder", () => {
  it("computes Reed-Solomon codewords (the 1-M 'HELLO WORLD' example of the standard)", () => {
    const data = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17];
    expect(rsRemainder(data, rsDivisor(10))).toEqual([196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
  });

  it("computes the format and version information of the standard's tables", () => {
    expect(formatBits(0).toString(2).padStart(15, "0")).toBe("101010000010010"); // M, mask 0
    expect(formatBits(5).toString(2).padStart(15, "0")).toBe("100000011001110"); // M, mask 5
    expect(formatBits(4, 1).toString(2).padStart(15, "0")).toBe("110011000101111"); // L, mask 4
    expect(versionBits(7).toString(2).padStart(18, "0")).toBe("000111110010010100");
    expect(versionBits(10).toString(2).padStart(18, "0")).toBe("001010010011010011");
  });

  it("picks the smallest version that holds the text (level M byte capacities)", () => {
    expect(versionFor(14)).toBe(1);
    expect(versionFor(15)).toBe(2);
    expect(versionFor(106)).toBe(6);
    expect(versionFor(107)).toBe(7);
    expect(versionFor(213)).toBe(10);
    expect(versionFor(412)).toBe(15);
    expect(versionFor(413)).toBeNull();
  });

  it("draws a symbol with finder patterns, timing, and readable format information", () => {
    const uri = "otpauth://totp/KronosCRM:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=KronosCRM";
    const m = encodeQr(uri);
    expect(m).not.toBeNull();
    const size = m!.length;
    expect(size).toBe(versionFor(uri.length)! * 4 + 17);
    for (const [ox, oy] of [[0, 0], [size - 7, 0], [0, size - 7]] as const) {
      // 7x7 finder: dark ring, light ring, dark 3x3 centre.
      for (let d = 0; d < 7; d++) {
        expect(m![oy]![ox + d]).toBe(true);
        expect(m![oy + 6]![ox + d]).toBe(true);
      }
      expect(m![oy + 1]![ox + 1]).toBe(false);
      expect(m![oy + 3]![ox + 3]).toBe(true);
    }
    for (let i = 8; i < size - 8; i++) expect(m![6]![i]).toBe(i % 2 === 0);
    const format = readFormat(m!);
    const mask = [0, 1, 2, 3, 4, 5, 6, 7].find((k) => formatBits(k) === format);
    expect(mask).toBeDefined();
    expect(m![size - 8]![8]).toBe(true); // the dark module
  });

  it("refuses text longer than version 15 holds", () => {
    expect(encodeQr("x".repeat(500))).toBeNull();
  });
});
