// Pure: whether a progress item's command runs (ran) in its update. Kept apart from ./progress.ts,
// which loads the driver's project folder: the benchmarks import this before they point the driver
// at their own folder.

/** Created, or updated with a new command or trigger (a new restore on a stack that ran one before). */
export function ranCommand(i: { op: string; runs?: boolean }): boolean {
  return i.op === "create" || i.op === "create-replacement" || (i.op === "update" && i.runs === true);
}
