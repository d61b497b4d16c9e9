// A client whose socket stops taking data mid-block gets, once it reads
// again, exactly what a reading client got: every frame whole and in
// order. Frames go into a socket as soon as they are owed (client.c's
// write_now) until one is taken only in part; libwebsockets keeps the rest
// and the writable callback goes on. The stalled clients are owed more
// than the kernel's send and receive buffers together can hold, so the
// partial send and the callback's path are taken for certain.
import { readFileSync } from 'node:fs';
import { startBroadcaster, FakeChain, openSubscribed, assert, waitFor, sleep } from './lib.mjs';

const b = await startBroadcaster([], { log: process.env.BC_LOG });
// 200 logs of 8 kB of data a block: about 1.7 MB of newLog frames.
const chain = new FakeChain({ txs: 50, logs: 4, dataBytes: 4096 });
b.send(chain.heartbeat());

const open = (path, sub) => openSubscribed(b, path, sub, { maxPayload: 64 << 20 });
const chanSub = { action: 'subscribe', channels: ['newBlocks', 'newTxs', 'newLogs'] };
const ethSub = (id, p) => ({ jsonrpc: '2.0', id, method: 'eth_subscribe', params: p });
const chanReader = await open('/v1/stream', chanSub);
const chanStalled = await open('/v1/stream', chanSub);
const ethReader = await open('/v1/eth', ethSub(1, ['logs', {}]));
const ethStalled = await open('/v1/eth', ethSub(1, ['logs', {}]));
await waitFor(() => [chanReader, chanStalled, ethReader, ethStalled].every((c) => c.msgs.length), 'the subscriptions');
chanStalled.ws._socket.pause();
ethStalled.ws._socket.pause();

// Enough to fill the kernel's buffers many times over: the send buffer at
// its largest, the receive buffer as it starts (it grows only as the
// application reads, and these do not).
const field = (f, i) => Number(readFileSync(f, 'utf8').trim().split(/\s+/)[i]);
const buffers = field('/proc/sys/net/ipv4/tcp_wmem', 2) + field('/proc/sys/net/ipv4/tcp_rmem', 1);
const BLOCKS = 12;
for (let i = 0; i < BLOCKS; i++) b.send(chain.next());
const last = chain.tip().n;
await waitFor(() => chanReader.msgs.some((m) => m.type === 'newBlock' && m.data.height === last) &&
	ethReader.msgs.length - 1 === BLOCKS * 200, 'the readers to get every block', 60000);
const bytes = chanReader.msgs.reduce((a, m) => a + JSON.stringify(m).length, 0);
console.log(`owed to each stalled client: ${(bytes / 1e6).toFixed(1)} MB; kernel buffers at most ${(buffers / 1e6).toFixed(1)} MB`);
assert(bytes > 2 * buffers, `${bytes} bytes owed do not fill the kernel's buffers (${buffers}): the test proves nothing`);
await sleep(500);
assert(chanStalled.msgs.length === 1 && ethStalled.msgs.length === 1, 'a paused client received messages');

chanStalled.ws._socket.resume();
ethStalled.ws._socket.resume();
await waitFor(() => chanStalled.msgs.length === chanReader.msgs.length && ethStalled.msgs.length === ethReader.msgs.length,
	`the stalled clients to catch up (${chanStalled.msgs.length}/${chanReader.msgs.length}, ${ethStalled.msgs.length}/${ethReader.msgs.length})`, 60000);
// Same frames, same order: nothing lost, torn, repeated or swapped.
// Each eth client has a subscription id of its own: that aside.
const norm = (m) => JSON.stringify(m.params ? { ...m, params: { ...m.params, subscription: 'S' } }
	: m.jsonrpc ? { ...m, result: 'S' } : m);
const same = (a, b) => a.length === b.length && a.every((m, i) => norm(m) === norm(b[i]));
assert(same(chanStalled.msgs, chanReader.msgs), 'the channel client that stalled got other frames than the reader');
assert(same(ethStalled.msgs, ethReader.msgs), 'the eth client that stalled got other frames than the reader');
// And what the reader got is the chain, in order.
const heights = chanReader.msgs.filter((m) => m.type === 'newBlock').map((m) => m.data.height);
assert(heights.length === BLOCKS && heights.every((h, i) => h === last - BLOCKS + 1 + i), `heights ${heights}`);
const logKeys = ethReader.msgs.filter((m) => m.params).map((m) => [Number(m.params.result.blockNumber), Number(m.params.result.logIndex)]);
assert(logKeys.every((k, i) => i === 0 || k[0] > logKeys[i - 1][0] || (k[0] === logKeys[i - 1][0] && k[1] === logKeys[i - 1][1] + 1)),
	'the logs are not in chain order');
assert([chanReader, chanStalled, ethReader, ethStalled].every((c) => !c.close), 'a client was closed');
console.log(`ok: ${chanReader.msgs.length} channel and ${ethReader.msgs.length} eth messages, the same after a stall`);

for (const c of [chanReader, chanStalled, ethReader, ethStalled]) c.ws.close();
const st = await b.stop();
assert(st.code === 0, `exit ${JSON.stringify(st)}`);
process.exit(0);
