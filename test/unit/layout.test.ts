// The layout of src/ (docs/architecture.md): no import circle, imports point down the layers, a
// mechanism never imports another, and nothing outside src/mechanisms/ branches on a mechanism's
// name. Imports are read from the TypeScript compiler's syntax tree (dynamic and type-only ones included).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { MECHANISMS } from "../../src/config";

const ROOT = resolve(__dirname, "..", "..");
const SRC = join(ROOT, "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const FILES = tsFiles(SRC).map((f) => relative(ROOT, f).split("\\").join("/")).sort();

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = relative(ROOT, resolve(ROOT, dirname(from), spec)).split("\\").join("/");
  return [`${base}.ts`, `${base}/index.ts`].find((c) => existsSync(join(ROOT, c)));
}

/** The module specifiers a file names: imports, re-exports, `import type`, `import()` and `import("...").T`. */
function specifiers(f: string): string[] {
  const sf = ts.createSourceFile(f, readFileSync(join(ROOT, f), "utf8"), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) out.push(n.argument.literal.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Every file's imports of other src files. */
const GRAPH = new Map<string, string[]>(
  FILES.map((f) => [f, [...new Set(specifiers(f).map((s) => resolveImport(f, s)).filter((x): x is string => x !== undefined))]]),
);

/** Import circles: strongly connected components of more than one file (or a file importing itself). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/**
 * A file's layer, lowest first (src/tenant/, the one-tenant recovery, is a program of its own
 * beside the restore's: it reads the shared layers, never a mechanism). The config half of a mechanism (its schema and config rules, and
 * the list of them) is below src/config's parse, so it counts as config.
 */
const LAYERS = ["config", "shell", "runbook", "resources", "steps", "aws", "mechanisms", "tenant", "program", "cli"] as const;
function layerOf(f: string): (typeof LAYERS)[number] | "sandbox" | "entry" {
  if (/^src\/mechanisms\/(configs\.ts|[^/]+\/(schema|config-rules)\.ts)$/.test(f)) return "config";
  const top = f.split("/")[1].replace(/\.ts$/, "");
  if (top === "sandbox") return "sandbox";
  if ((LAYERS as readonly string[]).includes(top)) return top as (typeof LAYERS)[number];
  return "entry";
}
const rank = (l: string) => (LAYERS as readonly string[]).indexOf(l);
const mechanismFolder = (f: string) => /^src\/mechanisms\/([^/]+)\//.exec(f)?.[1];

describe("layout of src/", () => {
  it("reads the files and their imports", () => {
    expect(FILES.length).toBeGreaterThan(80);
    expect(GRAPH.get("src/program.ts")).toContain("src/mechanisms/index.ts");
  });

  it("places every file in a layer (a new top-level folder must be given one here and in docs/architecture.md)", () => {
    expect(FILES.filter((f) => layerOf(f) === "entry")).toEqual([]);
  });

  it("has no import circle", () => {
    expect(circles(GRAPH)).toEqual([]);
  });

  it("imports point down the layers (config < shell < runbook < resources < steps < aws < mechanisms < tenant < program < cli)", () => {
    const up: string[] = [];
    for (const [f, deps] of GRAPH) {
      const l = layerOf(f);
      if (l === "sandbox" || l === "entry") continue;
      for (const d of deps) {
        const dl = layerOf(d);
        // The restore and the tenant recovery are two programs side by side: neither imports the other.
        if ((l === "tenant" && dl === "mechanisms") || (l === "mechanisms" && dl === "tenant")) up.push(`${f} -> ${d}`);
        else if (dl === "sandbox") {
          if (l !== "cli") up.push(`${f} -> ${d}`);
        } else if (dl === "entry" || rank(dl) > rank(l)) up.push(`${f} -> ${d}`);
      }
    }
    expect(up).toEqual([]);
  });

  it("shell/ and config/ never import steps/, cli/ or the program", () => {
    const bad = [...GRAPH].flatMap(([f, deps]) =>
      /^src\/(shell|config)\//.test(f) ? deps.filter((d) => /^src\/(steps|cli)\/|^src\/program\.ts$/.test(d)).map((d) => `${f} -> ${d}`) : [],
    );
    expect(bad).toEqual([]);
  });

  it("a mechanism's folder never imports another mechanism's", () => {
    const bad = [...GRAPH].flatMap(([f, deps]) => {
      const own = mechanismFolder(f);
      return own ? deps.filter((d) => mechanismFolder(d) !== undefined && mechanismFolder(d) !== own).map((d) => `${f} -> ${d}`) : [];
    });
    expect(bad).toEqual([]);
  });

  it("the sandbox imports no part of the restore above src/shell (its only other import: the WAL segment names)", () => {
    const bad = [...GRAPH].flatMap(([f, deps]) =>
      layerOf(f) === "sandbox"
        ? deps.filter((d) => layerOf(d) !== "sandbox" && !["config", "shell"].includes(layerOf(d)) && d !== "src/mechanisms/wal-pitr/names.ts").map((d) => `${f} -> ${d}`)
        : [],
    );
    expect(bad).toEqual([]);
  });

  it("nothing outside src/mechanisms/ branches on a mechanism's name", () => {
    const names = new Set<string>(MECHANISMS);
    const isName = (n: ts.Node) => (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && names.has(n.text);
    const found: string[] = [];
    for (const f of FILES.filter((x) => !x.startsWith("src/mechanisms/"))) {
      const text = readFileSync(join(ROOT, f), "utf8");
      // The plain-text form of the rule, as `grep "mechanism ===\|mechanism !=="` reads it.
      if (/mechanism (===|!==)/.test(text)) found.push(`${f}: compares .mechanism`);
      const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
      const at = (n: ts.Node) => `${f}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1}`;
      const visit = (n: ts.Node): void => {
        const equality = [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken];
        if (ts.isBinaryExpression(n) && equality.includes(n.operatorToken.kind) && (isName(n.left) || isName(n.right))) found.push(`${at(n)}: compares with a mechanism name`);
        if (ts.isCaseClause(n) && isName(n.expression)) found.push(`${at(n)}: case on a mechanism name`);
        if (ts.isArrayLiteralExpression(n) && n.elements.some(isName)) found.push(`${at(n)}: lists mechanism names`);
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toEqual([]);
  });
});
