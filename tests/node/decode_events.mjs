// The decoder's integration test client (tests/integration/90_decoder_anvil.sh).
//
//   node decode_events.mjs deploy RPC             deploy the log emitter and the token,
//                                                 print "EMITTER,TOKEN"
//   node decode_events.mjs emit RPC ADDRS ROUND   send a round of events through them
//   node decode_events.mjs check RPC DB CONFIG    compare every table of the file
//                                                 with what ethers decodes of the
//                                                 node's canonical logs
//
// The emitter is raw EVM bytecode: calldata [n][n topics][data] becomes
// LOGn(data, topics), so one contract emits any event, every ABI type
// included, and the logs ethers encodes are the node's real logs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  AbiCoder, Contract, Interface, JsonRpcProvider, concat, getBytes, hexlify, keccak256,
  toBeHex, toUtf8Bytes, zeroPadValue,
} from 'ethers';
import { expectRow } from './abi_expect.mjs';

// Runtime: n = cd[0] >> 248; copy cd[1+32n..] to mem 0; push cd topics 3..0,
// size and offset; jump on n to LOG0..LOG4.
function emitterRuntime() {
  const head = [
    0x60, 0x00, 0x35, 0x60, 0xf8, 0x1c, // n
    0x80, 0x60, 0x05, 0x1b, 0x60, 0x01, 0x01, // off = 1 + 32n
    0x80, 0x36, 0x03, // len = size - off
    0x80, 0x82, 0x60, 0x00, 0x37, // calldatacopy(0, off, len)
    0x60, 0x61, 0x35, 0x60, 0x41, 0x35, 0x60, 0x21, 0x35, 0x60, 0x01, 0x35, // t3..t0
    0x84, 0x60, 0x00, // len, 0
  ];
  // Dispatch: for k in 0..4: DUP9 PUSH1 k EQ PUSH1 Lk JUMPI (8 bytes each), then STOP.
  const dispatchLen = 5 * 8 + 1;
  const base = head.length + dispatchLen;
  const code = [...head];
  for (let k = 0; k < 5; k++) code.push(0x88, 0x60, k, 0x14, 0x60, base + 3 * k, 0x57);
  // 7 bytes each above; pad the dispatch to its size with JUMPDEST-free STOPs.
  while (code.length < base) code.push(0x00);
  for (let k = 0; k < 5; k++) code.push(0x5b, 0xa0 + k, 0x00); // JUMPDEST LOGk STOP
  return Uint8Array.from(code);
}

// A token in raw bytecode whose transfer(address,uint256) and
// approve(address,uint256) emit ERC-20's Transfer and Approval from the
// caller and return true (no balances are kept: the logs are the point).
function tokenRuntime() {
  const id = (s) => getBytes(keccak256(toUtf8Bytes(s)));
  const T = 30, A = 67, C = 101;
  const code = [
    0x60, 0x00, 0x35, 0x60, 0xe0, 0x1c, // selector
    0x80, 0x63, 0xa9, 0x05, 0x9c, 0xbb, 0x14, 0x60, T, 0x57, // transfer
    0x80, 0x63, 0x09, 0x5e, 0xa7, 0xb3, 0x14, 0x60, A, 0x57, // approve
    0x60, 0x00, 0x80, 0xfd, // anything else reverts
    0x5b, 0x7f, ...id('Transfer(address,address,uint256)'), 0x60, C, 0x56,
    0x5b, 0x7f, ...id('Approval(address,address,uint256)'),
    0x5b, 0x60, 0x24, 0x35, 0x60, 0x00, 0x52, // mem[0] = amount
    0x60, 0x04, 0x35, 0x33, 0x82, 0x60, 0x20, 0x60, 0x00, 0xa3, // LOG3(0, 32, topic0, caller, to)
    0x60, 0x01, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // return true
  ];
  if (code[T] !== 0x5b || code[A] !== 0x5b || code[C] !== 0x5b) throw new Error('token: bad labels');
  return Uint8Array.from(code);
}

function initcode(runtime) {
  const n = runtime.length;
  return concat([Uint8Array.from([0x60, n, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3]), runtime]);
}

const coder = AbiCoder.defaultAbiCoder();

// Topics and data of an event: indexed value types as their word, others
// as the keccak of a marker (what the decoder keeps is the topic itself).
function encodeLog(sig, values) {
  const ev = new Interface([sig]).fragments[0];
  const topics = ev.anonymous ? [] : [ev.topicHash];
  const types = [], vals = [];
  ev.inputs.forEach((p, i) => {
    if (!p.indexed) { types.push(p); vals.push(values[i]); return; }
    const t = p.baseType;
    if (t === 'string') topics.push(keccak256(toUtf8Bytes(values[i])));
    else if (t === 'bytes') topics.push(keccak256(values[i]));
    else if (t === 'array' || t === 'tuple') topics.push(keccak256(toUtf8Bytes(JSON.stringify(values[i], (_, v) => typeof v === 'bigint' ? v.toString() : v))));
    else topics.push(coder.encode([p], [values[i]]));
  });
  return { topics, data: coder.encode(types, vals) };
}

export const SIGS = {
  transfer: 'event Transfer(address indexed from, address indexed to, uint256 value)',
  approval: 'event Approval(address indexed owner, address indexed spender, uint256 value)',
  nft: 'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
  all: 'event AllTypes(uint8 a, int256 b, address c, bool d, bytes32 e, bytes f, string g, uint256[] h, int16[3] i, (uint256 id, bytes data, string[] tags) j, (bool,address)[] k, string indexed l, (uint8,bytes) indexed m, int64 indexed n)',
  swap: 'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
};

function roundEvents(round) {
  const r = BigInt(round);
  const a = (k) => zeroPadValue(toBeHex(0x1000n * r + BigInt(k)), 20);
  return [
    [SIGS.transfer, [a(1), a(2), 10n ** 18n * r + 1n]],
    [SIGS.transfer, [a(3), a(1), 2n ** 256n - 1n]],
    [SIGS.approval, [a(1), a(4), 0n]],
    [SIGS.nft, [a(5), a(6), 77n + r]], // ERC-721: not the ERC-20 table's
    [SIGS.all, [255, -(2n ** 255n) + r, a(7), round % 2 === 1, '0x' + 'ab'.repeat(32), '0x00ff' + '11'.repeat(40),
      `round ${round}: ünïcödé "quoted"\t\\ tab`, [1n, 2n ** 200n, r], [-32768, 0, 32767],
      [r, '0xdeadbeef', ['x', '', 'long '.repeat(20)]], [[true, a(8)], [false, a(9)]],
      'indexed string', [1, '0x02'], -(2n ** 63n)]],
    [SIGS.swap, [a(10), a(11), -(10n ** 20n), 5n * r, 2n ** 159n, 2n ** 127n + r, -887272]],
  ];
}

// The receipt of tx, polled: ethers' tx.wait() looks again only when a new
// block comes, so a transaction mined between its first look and its
// subscription waits for a block nobody mines (a loaded run hung 300 s).
async function mined(provider, tx) {
  for (const end = Date.now() + 60000; Date.now() < end;) {
    const rc = await provider.send('eth_getTransactionReceipt', [tx.hash]);
    if (rc) return { status: Number(rc.status), contractAddress: rc.contractAddress };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no receipt for ${tx.hash} in 60 s`);
}

async function send(provider, signer, to, payload) {
  const tx = await signer.sendTransaction({ to, data: payload, gasLimit: 1_000_000 });
  const rc = await mined(provider, tx);
  if (rc.status !== 1) throw new Error('emitter call reverted');
}

function calldata({ topics, data }) {
  return concat([Uint8Array.from([topics.length]), ...topics, data]);
}

const ERC20 = ['function transfer(address to, uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)'];

async function emit(rpc, addrs, round) {
  const [addr, tokenAddr] = addrs.split(',');
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
  const signer = await provider.getSigner(0);
  const token = new Contract(tokenAddr, ERC20, signer);
  const r = BigInt(round);
  for (const tx of [await token.transfer(zeroPadValue(toBeHex(0x1000n * r + 1n), 20), 10n ** 18n * r),
    await token.approve(zeroPadValue(toBeHex(0x1000n * r + 4n), 20), 2n ** 256n - r)]) {
    if ((await mined(provider, tx)).status !== 1) throw new Error('token call reverted');
  }
  for (const [sig, vals] of roundEvents(round)) await send(provider, signer, addr, calldata(encodeLog(sig, vals)));
  // A Transfer whose data is cut short: the decoder counts it, logs it, goes on.
  const bad = encodeLog(SIGS.transfer, [zeroPadValue('0x01', 20), zeroPadValue('0x02', 20), 1n]);
  await send(provider, signer, addr, calldata({ topics: bad.topics, data: '0x1234' }));
  provider.destroy();
}

async function deploy(rpc) {
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true, polling: true, pollingInterval: 50 });
  const signer = await provider.getSigner(0);
  const out = [];
  for (const runtime of [emitterRuntime(), tokenRuntime()]) {
    const tx = await signer.sendTransaction({ data: hexlify(initcode(runtime)) });
    const rc = await mined(provider, tx);
    out.push(rc.contractAddress.toLowerCase());
  }
  console.log(out.join(','));
  provider.destroy();
}

// The fragment and the columns ([column, argument index]) of a table.
function tableSpec(t) {
  let frag;
  if (t.abi) frag = Array.isArray(t.abi) ? t.abi.find((f) => f.type === 'event' && f.name === t.event) : t.abi;
  else frag = t.event.startsWith('event ') ? t.event : 'event ' + t.event;
  const ev = new Interface([frag]).fragments[0];
  const argIndex = (name) => {
    const i = ev.inputs.findIndex((p, k) => p.name === name || `arg${k}` === name);
    if (i < 0) throw new Error(`no argument ${name}`);
    return i;
  };
  const cols = t.columns
    ? t.columns.map((c) => typeof c === 'string' ? [c, argIndex(c)] : [c.name ?? c.arg, argIndex(c.arg)])
    : ev.inputs.map((p, i) => [p.name ? p.name.toLowerCase() : `arg${i}`, i]);
  return { frag, ev, cols };
}

async function check(rpc, db, configPath) {
  const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
  const provider = new JsonRpcProvider(rpc, undefined, { staticNetwork: true });
  let bad = 0;
  for (const t of cfg.tables) {
    const { frag, ev, cols } = tableSpec(t);
    const filter = { fromBlock: 0, toBlock: 'latest', topics: ev.anonymous ? [] : [ev.topicHash] };
    if (t.addresses) filter.address = t.addresses;
    // filters on indexed arguments, as eth_getLogs topic positions
    let pos = ev.anonymous ? 0 : 1;
    for (const p of ev.inputs) {
      if (!p.indexed) continue;
      const want = t.filters?.[p.name];
      if (want) {
        while (filter.topics.length < pos) filter.topics.push(null);
        filter.topics[pos] = [want].flat().map((v) => zeroPadValue(v, 32));
      }
      pos++;
    }
    const logs = await provider.send('eth_getLogs', [{ ...filter, fromBlock: '0x0' }]);
    if (t.filters && !logs.length) throw new Error(`${t.name}: the filter matches nothing on the node`);
    const want = [];
    const ntopics = ev.inputs.filter((p) => p.indexed).length + (ev.anonymous ? 0 : 1);
    for (const l of logs) {
      if (l.topics.length !== ntopics) continue;
      let row;
      try { row = expectRow(frag, l); } catch { continue; } // does not decode
      want.push(JSON.stringify([l.blockHash.slice(2), String(parseInt(l.logIndex, 16)), ...cols.map(([, i]) => row[i])]));
    }
    const sel = cols.map(([c]) => `"${c}"::text`).join(', ');
    const out = execFileSync('psql', [db, '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-c',
      `select json_build_array(encode(block_hash, 'hex'), log_index::text, ${sel})::text from "canonical_${t.name}"`], { encoding: 'utf8' });
    const got = out.split('\n').filter((s) => s).map((s) => JSON.stringify(JSON.parse(s)));
    want.sort(); got.sort();
    const ws = new Set(want), gs = new Set(got);
    const missing = want.filter((x) => !gs.has(x)), extra = got.filter((x) => !ws.has(x));
    if (missing.length || extra.length || want.length !== got.length) {
      bad++;
      console.error(`${t.name}: ${got.length} rows in the view, ${want.length} from the node`);
      for (const m of missing.slice(0, 3)) console.error(`  missing ${m}`);
      for (const m of extra.slice(0, 3)) console.error(`  extra   ${m}`);
    } else {
      console.log(`${t.name}: ${got.length} rows equal`);
    }
    if (want.length === 0) { bad++; console.error(`${t.name}: no rows at all: nothing compared`); }
  }
  provider.destroy();
  process.exit(bad ? 1 : 0);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'deploy') await deploy(args[0]);
else if (cmd === 'emit') await emit(args[0], args[1], Number(args[2]));
else if (cmd === 'check') await check(args[0], args[1], args[2]);
else { console.error('usage: decode_events.mjs deploy|emit|check ...'); process.exit(2); }
void getBytes;
