import { describe, expect, it } from "vitest";
import { CONTEST_THRESHOLD, judgeWrite, notedWrite, type ContestState } from "./other-writer.js";

describe("two writers", () => {
  it("our own writes are never foreign; a single edit by someone else is not a contest", () => {
    const s: ContestState = { foreignChanges: [] };
    expect(judgeWrite(s, undefined, "a", 0)).toEqual({ foreign: false, contested: false });
    expect(judgeWrite(s, "a", "a", 1)).toEqual({ foreign: false, contested: false });
    expect(judgeWrite(s, "a", "b", 2)).toEqual({ foreign: true, contested: false });
    // the same foreign state seen again before we write counts once
    expect(judgeWrite(s, "a", "b", 3).foreign).toBe(false);
  });

  it("repeated overwrites within a minute make a contest; writes are then spaced 30 s, 60 s, …", () => {
    const s: ContestState = { foreignChanges: [] };
    let now = 0;
    let verdict = judgeWrite(s, "ours", "theirs", now);
    for (let i = 1; i < CONTEST_THRESHOLD; i++) {
      notedWrite(s, verdict.contested, now); // we wrote ours, they wrote theirs again
      now += 1_000;
      verdict = judgeWrite(s, "ours", "theirs", now);
    }
    expect(verdict).toEqual({ foreign: true, contested: true });
    notedWrite(s, true, now); // the first contested write goes out
    now += 1_000;
    const held = judgeWrite(s, "ours", "theirs", now);
    expect(held.holdWriteMs).toBe(29_000);
    now += 29_000;
    expect(judgeWrite(s, "ours", "theirs", now).holdWriteMs).toBeUndefined();
    notedWrite(s, true, now);
    now += 1_000;
    expect(judgeWrite(s, "ours", "theirs", now).holdWriteMs).toBe(59_000);
  });

  it("a contest ends when nobody else changes our conditions for a minute", () => {
    const s: ContestState = { foreignChanges: [0, 1, 2], spacingMs: 60_000, lastContestedWriteAt: 2 };
    expect(judgeWrite(s, "a", "a", 61_000)).toEqual({ foreign: false, contested: false });
    expect(s.spacingMs).toBeUndefined();
  });
});
