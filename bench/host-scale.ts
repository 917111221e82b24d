// P3 host scale (and P1's cost per command, read from the same progress): the same restore stack pointed at fewer or more of the sandbox's hosts, and the
// time quiesce and resume took as the engine reported it (first command started to last ended).
import { readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { ranCommand } from "../src/cli/ran";
import { median } from "./figures";

const NS = "delphi-restore";

export type HostEntries = Record<string, { role: string }>;

/** The stack file's `hosts` map (read once, right after the sandbox wrote it with every host). */
export function hostEntries(configFile: string): HostEntries {
  return (parse(readFileSync(configFile, "utf8")) as { config: Record<string, unknown> }).config[`${NS}:hosts`] as HostEntries;
}

/**
 * Rewrite the stack file so the restore works on exactly `hosts` (the db host among them) and
 * verify waits for telemetry from their services only. Every other key, the encrypted secrets
 * among them, and the file's header comment stay as they are.
 */
export function scopeHosts(configFile: string, all: HostEntries, hosts: string[], servicesOf: (host: string) => readonly string[]): void {
  const missing = hosts.filter((h) => !all[h]);
  if (missing.length) throw new Error(`the sandbox has no host ${missing.join(", ")} (start it with more hosts)`);
  const text = readFileSync(configFile, "utf8");
  const doc = parse(text) as { config: Record<string, unknown> };
  doc.config[`${NS}:hosts`] = Object.fromEntries(hosts.map((h) => [h, all[h]]));
  (doc.config[`${NS}:verify`] as { telemetryServices: string[] }).telemetryServices = [...new Set(hosts.filter((h) => all[h].role !== "db").flatMap(servicesOf))];
  writeFileSync(configFile, text.slice(0, Math.max(0, text.search(/^\w/m))) + stringify(doc, { lineWidth: 0 }));
}

/** Seconds from the first command of `step` starting to the last one ending, from `up --json`'s progress. */
export function stepSeconds(progress: { step?: string; startedAt: string; seconds?: number }[], step: string): number {
  const items = progress.filter((p) => p.step === step && p.seconds !== undefined);
  if (!items.length) return Number.NaN;
  const start = Math.min(...items.map((p) => Date.parse(p.startedAt)));
  const end = Math.max(...items.map((p) => Date.parse(p.startedAt) + (p.seconds ?? 0) * 1000));
  return (end - start) / 1000;
}

/**
 * The engine's cost per command (s, median): from its event that a command starts to the one that
 * it is done, less the command's own run (startedAt..endedAt, recorded by the resource itself).
 */
export function engineCostPerCommand(progress: { urn?: string; op: string; runs?: boolean; startedAt: string; seconds?: number }[], outputs: Map<string, { startedAt?: string; endedAt?: string } | undefined>): number {
  const costs = progress
    .filter((p) => p.urn && p.seconds !== undefined && ranCommand(p))
    .map((p) => {
      const o = outputs.get(p.urn as string);
      return (p.seconds as number) - (Date.parse(o?.endedAt ?? "") - Date.parse(o?.startedAt ?? "")) / 1000;
    });
  return median(costs.filter(Number.isFinite));
}
