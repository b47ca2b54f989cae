// Just enough of the Kubernetes protobuf encoding to read the bodies kubectl
// 1.32 and later send as application/vnd.kubernetes.protobuf: its generators
// (`kubectl create namespace|secret|configmap`) use typed clients that prefer
// protobuf. Field numbers follow k8s.io/api's generated.proto; fields not
// listed are skipped. Answers are always JSON (those clients accept it too).

import { badRequest, unsupportedMediaType } from "./errors";
import type { JsonObject } from "./json";

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field = { n: number; varint?: bigint; bytes?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw badRequest("protobuf: truncated varint");
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const n = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ n, varint: varint() });
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        out.push({ n, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw badRequest("protobuf: unsupported wire type");
    }
  }
  return out;
}

const str = (f: Field): string => (f.bytes ?? Buffer.alloc(0)).toString("utf8");

/** map<string, V> entries are messages {1: key, 2: value}. */
function mapEntry(f: Field, value: (b: Buffer) => string): [string, string] {
  let k = "";
  let v = "";
  for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
    if (e.n === 1) k = str(e);
    if (e.n === 2) v = value(e.bytes ?? Buffer.alloc(0));
  }
  return [k, v];
}

const text = (b: Buffer) => b.toString("utf8");
const base64 = (b: Buffer) => b.toString("base64");

function addTo(o: JsonObject, key: string, entry: [string, string]): void {
  const m = (o[key] as Record<string, string> | undefined) ?? {};
  m[entry[0]] = entry[1];
  o[key] = m;
}

function objectMeta(buf: Buffer): JsonObject {
  const m: JsonObject = {};
  const names: Record<number, string> = {
    1: "name",
    2: "generateName",
    3: "namespace",
    5: "uid",
    6: "resourceVersion",
  };
  for (const f of fields(buf)) {
    const name = names[f.n];
    // Go's encoder writes empty strings too; JSON would have omitted them
    if (name !== undefined) {
      if (str(f) !== "") m[name] = str(f);
    } else if (f.n === 11) addTo(m, "labels", mapEntry(f, text));
    else if (f.n === 12) addTo(m, "annotations", mapEntry(f, text));
    else if (f.n === 14) m["finalizers"] = [...((m["finalizers"] as string[] | undefined) ?? []), str(f)];
  }
  return m;
}

type Decoder = (o: JsonObject, f: Field) => void;

const DECODERS: Record<string, Decoder> = {
  Namespace: (o, f) => {
    if (f.n === 2) {
      const finalizers = fields(f.bytes!)
        .filter((x) => x.n === 1)
        .map(str);
      o["spec"] = { finalizers };
    }
  },
  Secret: (o, f) => {
    if (f.n === 2) addTo(o, "data", mapEntry(f, base64));
    else if (f.n === 3 && str(f) !== "") o["type"] = str(f);
    else if (f.n === 4) addTo(o, "stringData", mapEntry(f, text));
    else if (f.n === 5) o["immutable"] = f.varint === 1n;
  },
  ConfigMap: (o, f) => {
    if (f.n === 2) addTo(o, "data", mapEntry(f, text));
    else if (f.n === 3) addTo(o, "binaryData", mapEntry(f, base64));
    else if (f.n === 4) o["immutable"] = f.varint === 1n;
  },
};

export function decodeProtobufObject(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest("protobuf: missing the k8s envelope");
  let apiVersion = "";
  let kind = "";
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.n === 1) {
      for (const t of fields(f.bytes!)) {
        if (t.n === 1) apiVersion = str(t);
        if (t.n === 2) kind = str(t);
      }
    } else if (f.n === 2) raw = f.bytes!;
  }
  const decode = DECODERS[kind];
  if (decode === undefined) throw unsupportedMediaType(["application/json", "application/yaml"]);
  const o: JsonObject = { apiVersion, kind };
  for (const f of fields(raw)) {
    if (f.n === 1) o["metadata"] = objectMeta(f.bytes!);
    else decode(o, f);
  }
  return o;
}
