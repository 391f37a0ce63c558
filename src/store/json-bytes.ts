/** Walking JSON text as bytes: what the record scanner and the JSONB transcoder both step over. */

/** Where the whitespace (JSON's four characters) starting at `p` ends. */
export function spaceEnd(b: Buffer, p: number): number {
  for (let c = b[p]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++p]);
  return p
}

/** Where the run of number characters (`-+.0-9eE`) starting at `p` ends: the grammar is the caller's. */
export function numberEnd(b: Buffer, p: number): number {
  for (
    let c = b[p];
    c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45;
    c = b[++p]
  );
  return p
}
