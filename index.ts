// The Pulumi program of delphi-restore: config -> plan -> components (see src/program.ts).
// `pulumi up` runs it with the project folder as the working folder; DELPHI_RESTORE_PROJECT_DIR
// (the override the driver and the sandbox honour) wins, so relative paths land in the same place.
import { restoreProgram } from "./src/program";

export = restoreProgram({ projectDir: process.env.DELPHI_RESTORE_PROJECT_DIR || process.cwd() });
