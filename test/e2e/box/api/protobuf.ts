// Typed client-go clientsets (helm's release storage, `kubectl create configmap`)
// send Secrets and ConfigMaps as Kubernetes protobuf. This decodes exactly those
// two kinds (and the ObjectMeta fields they carry) into JSON objects; any other
// protobuf body is refused with 415.
import { ApiError } from './errors.js';
import type { Obj } from './json.js';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  readonly no: number;
  readonly wire: number;
  readonly value: bigint | Buffer;
}

function varint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new ApiError(400, 'BadRequest', 'truncated protobuf varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = varint(buf, pos);
    pos = p1;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, p2] = varint(buf, pos);
      pos = p2;
      out.push({ no, wire, value: v });
    } else if (wire === 2) {
      const [len, p2] = varint(buf, pos);
      const end = p2 + Number(len);
      out.push({ no, wire, value: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 8) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(pos, pos + 4) });
      pos += 4;
    } else {
      throw new ApiError(400, 'BadRequest', `unsupported protobuf wire type ${wire}`);
    }
  }
  return out;
}

const bytes = (f: Field): Buffer => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const text = (f: Field): string => bytes(f).toString('utf8');

function mapEntry(f: Field): [string, Buffer] {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  for (const e of fields(bytes(f))) {
    if (e.no === 1) key = text(e);
    if (e.no === 2) value = bytes(e);
  }
  return [key, value];
}

function objectMeta(buf: Buffer): Obj {
  const m: Obj = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const finalizers: string[] = [];
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        m['name'] = text(f);
        break;
      case 2:
        m['generateName'] = text(f);
        break;
      case 3:
        m['namespace'] = text(f);
        break;
      case 5:
        m['uid'] = text(f);
        break;
      case 6:
        m['resourceVersion'] = text(f);
        break;
      case 11: {
        const [k, v] = mapEntry(f);
        labels[k] = v.toString('utf8');
        break;
      }
      case 12: {
        const [k, v] = mapEntry(f);
        annotations[k] = v.toString('utf8');
        break;
      }
      case 14:
        finalizers.push(text(f));
        break;
    }
  }
  for (const k of ['name', 'generateName', 'namespace', 'uid', 'resourceVersion']) if (m[k] === '') delete m[k];
  if (Object.keys(labels).length > 0) m['labels'] = labels;
  if (Object.keys(annotations).length > 0) m['annotations'] = annotations;
  if (finalizers.length > 0) m['finalizers'] = finalizers;
  return m;
}

/** Decodes a Kubernetes protobuf body of a Secret or ConfigMap. */
export function decodeProtobuf(body: Buffer): Obj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ApiError(400, 'BadRequest', 'not a Kubernetes protobuf body');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1) {
      for (const t of fields(bytes(f))) {
        if (t.no === 1) apiVersion = text(t);
        if (t.no === 2) kind = text(t);
      }
    }
    if (f.no === 2) raw = bytes(f);
  }
  if (apiVersion !== 'v1' || (kind !== 'Secret' && kind !== 'ConfigMap')) {
    throw new ApiError(415, 'UnsupportedMediaType', `protobuf is supported for v1 Secret and ConfigMap only, not ${apiVersion} ${kind}: send JSON`);
  }
  const o: Obj = { apiVersion, kind };
  const data: Record<string, string> = {};
  const extra: Record<string, string> = {};
  for (const f of fields(raw)) {
    if (f.no === 1) o['metadata'] = objectMeta(bytes(f));
    else if (kind === 'Secret') {
      if (f.no === 2) {
        const [k, v] = mapEntry(f);
        data[k] = v.toString('base64');
      } else if (f.no === 3) o['type'] = text(f);
      else if (f.no === 4) {
        const [k, v] = mapEntry(f);
        extra[k] = v.toString('utf8');
      } else if (f.no === 5) o['immutable'] = f.value !== 0n;
    } else {
      if (f.no === 2) {
        const [k, v] = mapEntry(f);
        data[k] = v.toString('utf8');
      } else if (f.no === 3) {
        const [k, v] = mapEntry(f);
        extra[k] = v.toString('base64');
      } else if (f.no === 4) o['immutable'] = f.value !== 0n;
    }
  }
  if (Object.keys(data).length > 0) o['data'] = data;
  if (Object.keys(extra).length > 0) o[kind === 'Secret' ? 'stringData' : 'binaryData'] = extra;
  return o;
}
