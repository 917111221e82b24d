// The problems config validation reports: each names the full key (`pulumi config --path` form),
// the value as written (secrets redacted), what is wrong and the fix; ConfigError carries them all.
import { NAMESPACE } from "./schema";

export interface ConfigProblem {
  /** Full config key in `pulumi config --path` form, e.g. `delphi-restore:hosts.web.port`. */
  key: string;
  /** The offending value as the user wrote it (secrets shown as [secret]); undefined if missing. */
  value?: string;
  message: string;
  fix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  const lines = [
    `Invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was declared or changed:`,
  ];
  for (const p of problems) {
    lines.push(`  x ${p.key}${p.value === undefined ? " (missing)" : ` = ${p.value}`}`);
    lines.push(`    ${p.message}`);
    lines.push(`    fix: ${p.fix}`);
  }
  return lines.join("\n");
}

export type PathPart = string | number;
/** Records one problem: the key's path, what is wrong, the fix, and the value as written. */
export type AddProblem = (path: PathPart[], message: string, fix: string, value?: unknown) => void;

export function keyOf(path: readonly PathPart[]): string {
  let out = `${NAMESPACE}:`;
  path.forEach((p, i) => {
    if (typeof p === "number") out += `[${p}]`;
    else out += i === 0 ? p : `.${p}`;
  });
  return out;
}
