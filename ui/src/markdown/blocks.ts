// Splitting a streaming message into Markdown blocks, so only the block still being written is
// parsed again as text arrives: the finished ones keep their rendering (the Markdown component
// is memoized by its text). Blocks end at a blank line outside a fenced code block.

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

/** The text cut at blank lines that are not inside a code fence; joined back, it is `text`. */
export function splitBlocks(text: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  let fence: string | null = null;
  let offset = 0;
  let previousBlank = false;
  for (const line of text.split("\n")) {
    const lineEnd = offset + line.length + 1;
    const open = FENCE.exec(line);
    if (open) {
      const marker = open[1];
      if (fence === null) fence = marker[0].repeat(3);
      else if (marker.startsWith(fence)) fence = null;
    }
    const blank = line.trim() === "";
    if (fence === null && blank && !previousBlank && offset > start) {
      blocks.push(text.slice(start, Math.min(lineEnd, text.length)));
      start = Math.min(lineEnd, text.length);
    }
    previousBlank = blank;
    offset = lineEnd;
  }
  if (start < text.length) blocks.push(text.slice(start));
  return blocks;
}
