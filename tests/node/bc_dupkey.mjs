// Repeated keys: a verifier message whose objects repeat a key (a second
// "number" at the top, a fake "miner" before the real one in the block)
// is refused, logged and counted, never broadcast; client requests that
// repeat a key get an error naming it (channel protocol and JSON-RPC).
import WebSocket from 'ws';
import { startBroadcaster, FakeChain, collect, assert, waitFor } from './lib.mjs';

const b = await startBroadcaster([], { log: process.env.BC_LOG });
const chain = new FakeChain({ txs: 2, logs: 1 });
b.send(chain.heartbeat());

function open(path) {
	const ws = new WebSocket(b.url + path);
	const msgs = collect(ws);
	return new Promise((res) => ws.on('open', () => res({ ws, msgs })));
}
const chan = await open('/v1/stream');
chan.ws.send(JSON.stringify({ action: 'subscribe', channels: ['newBlocks'] }));
const eth = await open('/v1/eth');
await waitFor(() => chan.msgs.some((m) => m.type === 'subscribed'), 'subscribed');

// A block with a second "number", one with a fake miner first, then the
// good block itself.
const good = chain.next();
const text = JSON.stringify(good);
const dupTop = text.replace('"number":', '"number":999,"number":');
const dupMiner = text.replace('"miner":', '"miner":"0x0000000000000000000000000000000000000bad","miner":');
assert(dupTop !== text && dupMiner !== text, 'test bug: no substitution');
b.proc.stdin.write(dupTop + '\n');
b.proc.stdin.write(dupMiner + '\n');
b.proc.stdin.write(text + '\n');
await waitFor(() => chan.msgs.some((m) => m.type === 'newBlock'), 'the good block');
const blocks = chan.msgs.filter((m) => m.type === 'newBlock');
assert(blocks.length === 1 && blocks[0].data.height === good.number &&
	blocks[0].data.miner === good.block.miner,
	`broadcast: ${JSON.stringify(blocks)}`);

// Requests.
chan.ws.send('{"action":"subscribe","action":"ping","channels":["newTxs"]}');
eth.ws.send('{"jsonrpc":"2.0","id":5,"method":"eth_chainId","id":6}');
await waitFor(() => chan.msgs.some((m) => m.type === 'error'), 'the channel error');
await waitFor(() => eth.msgs.some((m) => m.error), 'the JSON-RPC error');
const ce = chan.msgs.find((m) => m.type === 'error');
assert(ce.error === "duplicate key 'action' in $", `channel error: ${JSON.stringify(ce)}`);
const ee = eth.msgs.find((m) => m.error);
assert(ee.error.code === -32600 && ee.error.message === "duplicate key 'id' in $",
	`JSON-RPC error: ${JSON.stringify(ee)}`);
// the connections stay open and work
chan.ws.send(JSON.stringify({ action: 'ping' }));
await waitFor(() => chan.msgs.some((m) => m.type === 'pong'), 'pong after the error');

const metrics = await (await fetch(`${b.http}/metrics`)).text();
const value = (re) => { const m = metrics.match(re); return m ? Number(m[1]) : NaN; };
assert(value(/^broadcaster_duplicate_key_total\{source="input"\} (\d+)$/m) === 2,
	`input counter: ${metrics.match(/.*duplicate_key.*/g)}`);
assert(value(/^broadcaster_duplicate_key_total\{source="request"\} (\d+)$/m) === 2,
	`request counter: ${metrics.match(/.*duplicate_key.*/g)}`);
assert(value(/^broadcaster_bad_input_total (\d+)$/m) === 2, 'bad input counter');
const logged = b.lines.filter((l) => l.msg === 'bad message from the verifier rejected');
assert(logged.length === 2 &&
	logged[0].error === "duplicate key 'number' in $" &&
	logged[1].error === "duplicate key 'miner' in $.block",
	`log lines: ${JSON.stringify(logged)}`);
chan.ws.close();
eth.ws.close();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
console.log('ok: repeated keys refused and counted (input and requests)');
process.exit(0);
