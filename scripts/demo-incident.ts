// The demo's incident: tenants keep writing after last night's dump; a restore loses these rows.
import { PROJECT_DIR } from "../src/cli/workspace";
import { writePostBackupRows } from "../src/sandbox";

writePostBackupRows(PROJECT_DIR, 3).then((w) => {
  const tenants = new Set(w.rows.map((r) => r.tenant)).size;
  process.stdout.write(`Wrote ${w.rows.length} rows at ${w.writtenAt}, after the nightly dump, across ${tenants} tenants.\n`);
});
