/**
 * @file Long formula lines broken for the hover widget, which neither wraps code blocks nor grows
 * past about 55 characters of code: a line is cut before its top-level `+`/`−` terms (a `where` line after
 * its commas), continuation lines indented under the right-hand side.
 */

/** Breaks `line` into lines of at most `width` characters where the formula allows it. */
export function wrapFormula(line: string, width = 48): string[] {
  if (line.length <= width) return [line];
  const where = /^where /.test(line);
  const start = where ? "where ".length : line.indexOf(" = ") + 3;
  if (start < 3) return [line];
  // Cut points: before " + "/" − " (terms) or after ", " (definitions), outside parentheses.
  const cuts: number[] = [];
  let depth = 0;
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (depth === 0 && !where && c === " " && (line[i + 1] === "+" || line[i + 1] === "−") && line[i + 2] === " ") cuts.push(i + 1);
    else if (depth === 0 && where && c === "," && line[i + 1] === " ") cuts.push(i + 2);
  }
  const indent = " ".repeat(start);
  const out: string[] = [];
  let from = 0;
  let last = 0;
  for (const cut of [...cuts, line.length]) {
    const head = out.length ? indent : "";
    if (head.length + (cut - from) > width && last > from) {
      out.push(head + line.slice(from, last).trimEnd());
      from = last;
    }
    last = cut;
  }
  out.push((out.length ? indent : "") + line.slice(from));
  return out;
}
