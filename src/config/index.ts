// The stack config: its schema (./schema.ts, built from ./fields.ts), parsing and the keyed errors
// (./parse.ts). Pure, the lowest layer: imports only zod, fastest-levenshtein and the schema files
// of the mechanisms (src/mechanisms/*/schema.ts, leaves that import only ./fields.ts).
export * from "./parse";
