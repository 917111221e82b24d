// What `sandbox down` unmounts after the engine stops: every mount under its data or exec root,
// deepest first, and nothing else.
import { describe, expect, it } from "vitest";
import { mountsUnder } from "../../../src/sandbox/engine";

const line = (point: string) => `36 25 0:32 / ${point} rw,relatime shared:1 - overlay overlay rw`;

describe("mountsUnder", () => {
  it("lists the mounts under the roots, deepest first, decoding mountinfo's octal escapes", () => {
    const info = [
      line("/"),
      line("/srv/cache/docker-engine/data/overlay2/abc/merged"),
      line("/srv/cache/docker-engine/exec/netns/default"),
      line("/srv/cache/docker-engine/data"),
      line("/srv/cache/docker-engine/database"),
      line("/srv/cache/docker-engine/exec/with\\040space"),
    ].join("\n");
    expect(mountsUnder(["/srv/cache/docker-engine/data", "/srv/cache/docker-engine/exec"], info)).toEqual([
      "/srv/cache/docker-engine/data/overlay2/abc/merged",
      "/srv/cache/docker-engine/exec/netns/default",
      "/srv/cache/docker-engine/exec/with space",
      "/srv/cache/docker-engine/data",
    ]);
  });
});
