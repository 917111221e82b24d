// The stack config: its schema (./schema.ts, built from ./fields.ts), parsing and the keyed errors
// (./parse.ts, ./problems.ts) and the rules every mechanism shares. Pure, the lowest layer: imports
// only zod, fastest-levenshtein and the config half of each mechanism (src/mechanisms/configs.ts,
// src/mechanisms/*/schema.ts and */config-rules.ts: leaves that import only this folder).
export * from "./parse";
