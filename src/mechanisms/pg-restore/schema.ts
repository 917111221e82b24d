// The config of mechanism pg-restore (a leaf): its name. Its keys (database, dump, kept) are
// shared with the other self-managed mechanisms, so they are in src/config/schema.ts.
export const PG_RESTORE_NAMES = ["pg-restore"] as const;
