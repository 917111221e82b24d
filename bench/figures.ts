// Pure: the benchmark's figures (two measured sides, their ratio, the goal, met or not), the one
// table `npm run bench` prints and the object it writes to bench/results.json.
import Table from "cli-table3";
import { COMPACT } from "../src/cli/table-style";

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export interface Side {
  label: string;
  /** Seconds, or MB/s for a throughput figure (see `unit`). */
  value: number;
}

export interface Figure {
  id: string;
  name: string;
  unit: "s" | "MB/s";
  a: Side;
  b: Side;
  /** a / b. */
  ratio: number;
  /** The goal on the ratio, and which way it points. */
  goal: { op: "<=" | ">="; value: number };
  met: boolean;
  /** What else was measured, and why a goal is not met. */
  notes: string[];
}

export function figure(id: string, name: string, unit: Figure["unit"], a: Side, b: Side, goal: Figure["goal"], notes: string[] = []): Figure {
  const ratio = a.value / b.value;
  const met = Number.isFinite(ratio) && (goal.op === "<=" ? ratio <= goal.value : ratio >= goal.value);
  return { id, name, unit, a, b, ratio, goal, met, notes };
}

const fmt = (v: number, unit: Figure["unit"]) => (Number.isFinite(v) ? `${v.toFixed(unit === "s" ? 2 : 1)} ${unit}` : "-");

export function renderFigures(figures: Figure[]): string {
  const t = new Table({ ...COMPACT, head: ["figure", "side A", "side B", "A / B", "goal", "met"] });
  for (const f of figures)
    t.push([`${f.id} ${f.name}`, `${f.a.label}: ${fmt(f.a.value, f.unit)}`, `${f.b.label}: ${fmt(f.b.value, f.unit)}`, Number.isFinite(f.ratio) ? f.ratio.toFixed(2) : "-", `${f.goal.op} ${f.goal.value}`, f.met ? "yes" : "NO"]);
  const notes = figures.flatMap((f) => f.notes.map((n) => `  ${f.id}: ${n}`));
  return [t.toString(), ...(notes.length ? ["", ...notes] : [])].join("\n");
}
