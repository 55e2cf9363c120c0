/** A pattern the regex compiler cannot accept: bad syntax, an unsupported construct, or a DFA over the limit. */
export class RegexError extends Error {
  /** Offset of the offending construct in the pattern (a JS string index). */
  offset: number;
  /** What to do instead, when there is something useful to say. */
  hint?: string;

  constructor(message: string, offset: number, hint?: string) {
    super(message);
    this.name = "RegexError";
    this.offset = offset;
    if (hint !== undefined) this.hint = hint;
  }
}
