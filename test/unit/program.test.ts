// The pg-restore program with the default transport (this project's SSH host-command resource).
import { describeProgram } from "./fixtures/program-suite";

describeProgram("ssh");
