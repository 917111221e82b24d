// Change keys of a test sandbox's stack file (Pulumi.sandbox.yaml) as an operator edits it; the
// secrets Pulumi stored there are kept. A key set to undefined is removed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

export function setStackConfig(dir: string, values: Record<string, unknown>): void {
  const file = join(dir, "Pulumi.sandbox.yaml");
  const doc = parseYaml(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete doc.config[`delphi-restore:${k}`];
    else doc.config[`delphi-restore:${k}`] = v;
  }
  writeFileSync(file, stringifyYaml(doc, { lineWidth: 0 }));
}
