// What an independent decoder (ethers' ABI coder) makes of a log, in the
// text form blockpipe's decoder stores (docs/decoding.md): integers in
// decimal, bytes and addresses as \x hex (0x hex inside JSON), strings as
// text, arrays and tuples as JSON (numbers as strings; a tuple whose
// components all have distinct names an object, else an array).
import { AbiCoder, Interface, getBytes, hexlify } from 'ethers';

function jsonOf(type, v) {
  const t = type.baseType;
  if (t === 'array') return v.map((x) => jsonOf(type.arrayChildren, x));
  if (t === 'tuple') {
    const names = type.components.map((c) => c.name);
    const named = names.every((n) => n) && new Set(names).size === names.length;
    const vals = type.components.map((c, i) => jsonOf(c, v[i]));
    if (!named) return vals;
    return Object.fromEntries(names.map((n, i) => [n, vals[i]]));
  }
  if (t.startsWith('uint') || t.startsWith('int')) return v.toString();
  if (t === 'address') return v.toLowerCase();
  if (t === 'bool') return v;
  if (t === 'string') return v;
  return hexlify(v); // bytes, bytesN
}

// Canonical JSON as PostgreSQL's jsonb::text prints it: ", " and ": ".
export function pgJson(x) {
  if (Array.isArray(x)) return '[' + x.map(pgJson).join(', ') + ']';
  if (x && typeof x === 'object') {
    // jsonb orders keys by length, then bytewise.
    const ks = Object.keys(x).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    return '{' + ks.map((k) => JSON.stringify(k) + ': ' + pgJson(x[k])).join(', ') + '}';
  }
  return JSON.stringify(x);
}

// One value per argument: the text PostgreSQL gives back for the column
// as column::text gives it (bytea as \x hex, jsonb as jsonb::text).
// mode 'input': the text the decoder hands PostgreSQL instead (compact
// JSON in declaration order, booleans as true/false).
export function expectRow(fragment, log, mode = 'pg') {
  const js = mode === 'pg' ? pgJson : JSON.stringify;
  const iface = new Interface([fragment]);
  const ev = iface.fragments[0];
  if (!ev.anonymous && log.topics[0] !== ev.topicHash) throw new Error('not this event');
  // The non-indexed arguments are a tuple in the data; the indexed ones
  // are topics, value types as a word, the others as their hash.
  const plain = ev.inputs.filter((p) => !p.indexed);
  const vals = AbiCoder.defaultAbiCoder().decode(plain, log.data);
  let ti = ev.anonymous ? 0 : 1, di = 0;
  return ev.inputs.map((p) => {
    if (p.indexed) {
      const topic = log.topics[ti++];
      const t = p.baseType;
      if (t === 'string' || t === 'bytes' || t === 'array' || t === 'tuple')
        return '\\x' + topic.slice(2);
    }
    const t = p.baseType;
    const v = p.indexed ? AbiCoder.defaultAbiCoder().decode([p], log.topics[ti - 1])[0] : vals[di++];
    if (t === 'array' || t === 'tuple') return js(jsonOf(p, v));
    if (t === 'address') return '\\x' + v.slice(2).toLowerCase();
    if (t === 'bool') return String(v); // boolean::text is true/false
    if (t.startsWith('uint') || t.startsWith('int')) return v.toString();
    if (t === 'string') return v;
    return '\\x' + hexlify(getBytes(v)).slice(2);
  });
}
