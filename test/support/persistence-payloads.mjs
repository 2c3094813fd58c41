// Deterministic payloads shared by the crash-test child and the test, so that
// the test can check every recovered byte.
export function entryPayload(index, term) {
  const data = new Uint8Array(200);
  const view = new DataView(data.buffer);
  view.setFloat64(0, index);
  view.setFloat64(8, term);
  for (let i = 16; i < data.length; i++) data[i] = (index * 7 + term * 13 + i) & 0xff;
  return data;
}

export function snapshotPayload(index) {
  const data = new Uint8Array(32 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (index * 31 + i) & 0xff;
  return data;
}
