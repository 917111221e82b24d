// One look for every table the driver prints: no colours (logs and pastes stay clean) and no
// rule between rows, so a 3 a.m. reader sees more rows per screen.
export const COMPACT = {
  style: { head: [] as string[], border: [] as string[] },
  chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
};
