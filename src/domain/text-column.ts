// A column of strings packed as one UTF-8 byte string plus the UTF-16 length of
// each value: one conversion for the whole column instead of one MessagePack
// string per value, which is what makes snapshots of 100,000 jobs fast. Values
// must be well-formed (no lone surrogates), so that UTF-8 keeps every length.
export type TextColumn = [lengths: Uint8Array, utf8: Uint8Array];

export function packTexts(values: readonly string[]): TextColumn {
  let units = 0;
  for (const value of values) units += value.length;
  const utf8 = Buffer.allocUnsafe(units * 3);
  const lengths = new DataView(new ArrayBuffer(values.length * 4));
  let offset = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    lengths.setUint32(i * 4, value.length, true);
    if (value.length > 0) offset += utf8.write(value, offset, 'utf8');
  }
  return [new Uint8Array(lengths.buffer), utf8.subarray(0, offset)];
}

/** The number of values in `column`, or -1 when it is not a text column. */
export function textCount(column: unknown): number {
  if (!Array.isArray(column) || column.length !== 2) return -1;
  const lengths: unknown = column[0];
  if (!(lengths instanceof Uint8Array) || lengths.byteLength % 4 !== 0) return -1;
  return lengths.byteLength / 4;
}

/** The values, or undefined when `column` is not a text column of `count` values. */
export function unpackTexts(column: unknown, count: number): string[] | undefined {
  if (count < 0 || textCount(column) !== count) return undefined;
  const [lengths, utf8] = column as unknown[];
  if (!(utf8 instanceof Uint8Array)) return undefined;
  const view = new DataView((lengths as Uint8Array).buffer, (lengths as Uint8Array).byteOffset, count * 4);
  const joined = Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString('utf8');
  const values = new Array<string>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const end = offset + view.getUint32(i * 4, true);
    if (end > joined.length) return undefined;
    values[i] = joined.slice(offset, end);
    offset = end;
  }
  return offset === joined.length ? values : undefined;
}
