// Pure: POSIX shell quoting and the ways commands are joined. Every builder in ./index.ts and
// ./checks.ts makes its command lines from these, so a value can only ever be one word.

/** Characters that never need quoting in a POSIX shell word. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for a POSIX shell (sh, bash, dash). */
export function quote(word: string): string {
  if (word.includes("\0")) throw new Error("a shell word cannot contain a NUL byte");
  if (word !== "" && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quote and join an argv list into one command line. */
export function argv(words: readonly string[]): string {
  return words.map(quote).join(" ");
}

/** Commands joined so the first failure stops the rest (and its exit code is kept). */
export function andThen(...commands: string[]): string {
  return commands.filter(Boolean).join(" && ");
}

/** A multi-line script run by `sh -c`, with strict error handling. */
export function script(lines: string[]): string {
  return `sh -c ${quote(["set -eu", ...lines].join("\n"))}`;
}

export function inDir(dir: string, command: string): string {
  return andThen(`cd ${quote(dir)}`, command);
}

export function projectDir(servicesRoot: string, project: string): string {
  return `${servicesRoot.replace(/\/+$/, "")}/${project}`;
}

/** A folder path without its trailing slashes (`/` stays `/`), to join names to. */
export function trimSlash(path: string): string {
  return path.replace(/\/+$/, "") || "/";
}
