// Preloaded by bin/delphi-restore before tsx's hooks. tsx rewrites ESM-only packages into
// CommonJS when a CommonJS .ts file require()s them, which breaks execa (its dependencies export
// only an `import` entry). Loading execa through Node's own require(esm) first puts a working
// copy in the module cache, so the later requires from .ts files never reach tsx's rewrite.
require("execa");
