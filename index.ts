// The Pulumi program of delphi-restore: config -> plan -> components (see src/program.ts).
import { restoreProgram } from "./src/program";

export = restoreProgram();
