// The pg-restore program with transport pulumi-command (@pulumi/command's remote.Command).
import { describeProgram } from "./fixtures/program-suite";

describeProgram("pulumi-command");
