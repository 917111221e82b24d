// Reading AWS through the provider's invokes, as the AWS mechanisms do before declaring anything.
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "../config";

/** AWS data sources report "not set" as an empty string. */
export const orUndefined = (s: string | undefined): string | undefined => (s ? s : undefined);

/** One invoke; a failure becomes a RunError naming the config key that points at what could not be read. */
export async function read<T>(key: string, value: string, what: string, invoke: () => Promise<T>): Promise<T> {
  try {
    return await invoke();
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim()) ?? "the provider gave no reason";
    throw new pulumi.RunError(`${NAMESPACE}:${key} = ${value}: cannot read ${what}: ${reason}`);
  }
}
