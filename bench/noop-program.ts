// P4's floor: a program with as many resources as the restore's, each doing nothing. Components
// of the same count, and dynamic resources (the restore's host commands are dynamic resources too)
// whose provider returns at once. Its preview is what the engine alone costs for that many
// resources, on the same CLI, backend and machine: what is left above it is ours.
import * as pulumi from "@pulumi/pulumi";

const noop: pulumi.dynamic.ResourceProvider = {
  async create() {
    return { id: "noop", outs: {} };
  },
  async diff() {
    return { changes: false };
  },
};

class NoopResource extends pulumi.dynamic.Resource {
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(noop, name, {}, opts);
  }
}

/** The resource counts of a stack's state: its components and its dynamic resources. */
export function resourceCounts(resources: { type: string }[]): { components: number; dynamic: number } {
  return {
    components: resources.filter((r) => r.type.startsWith("delphi:")).length,
    dynamic: resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).length,
  };
}

/** The program: `components` components, the dynamic resources shared out among them, chained as the restore's steps are. */
export function noopProgram(counts: { components: number; dynamic: number }): () => Promise<Record<string, unknown>> {
  return async () => {
    const parents = Array.from({ length: Math.max(1, counts.components) }, (_, i) => new pulumi.ComponentResource("bench:noop:Step", `step-${i}`));
    let previous: pulumi.Resource[] = [];
    for (let i = 0; i < counts.dynamic; i++) {
      const r = new NoopResource(`noop-${i}`, { parent: parents[i % parents.length], dependsOn: previous });
      previous = [r];
    }
    return {};
  };
}
