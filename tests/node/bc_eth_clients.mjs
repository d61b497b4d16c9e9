// ethers v6 and viem v2, unchanged, against the broadcaster's eth_subscribe:
// newHeads and logs while anvil mines, then anvil_reorg: every block is
// received, and the orphaned blocks' logs come back with removed: true.
//
// env RPC_URL: a running anvil. The broadcaster is fed on stdin by a small
// stand-in for the verifier (lib.mjs AnvilFeeder), or, with BC_SUB set,
// subscribes to the real verifier's PUB socket at BC_SUB.
import { WebSocketProvider } from 'ethers';
import { createPublicClient, webSocket } from 'viem';
import { startBroadcaster, AnvilFeeder, NodeView, rpc, assert, fail, waitFor, sleep } from './lib.mjs';

const RPC = process.env.RPC_URL || fail('RPC_URL is not set');
const PING_TOPIC = '0xfd8d0c1dc3ab254ec49463a1192bb2423b3b851adedec1aa94dcd362dc063c9d';
const RUNTIME = `0x36600b57346000526012565b6000356000525b337f${PING_TOPIC.slice(2)}60206000a200`;
const INIT = `0x603b80600b6000396000f3${RUNTIME.slice(2)}`;

const b = await startBroadcaster(['--ping-interval', '5s', '--pong-timeout', '10s'],
	{ log: process.env.BC_LOG, sub: process.env.BC_SUB });
const feeder = process.env.BC_SUB ? new NodeView(RPC) : new AnvilFeeder(RPC, (m) => b.send(m));
let feeding = true;
const feedLoop = (async () => {
	while (feeding) {
		try { await feeder.poll(); } catch (e) { console.error(`feeder: ${e.message}`); }
		await sleep(50);
	}
})();

const [from] = await rpc(RPC, 'eth_accounts');
async function send(tx) {
	const h = await rpc(RPC, 'eth_sendTransaction', [{ from, ...tx }]);
	const r = await waitFor(() => rpc(RPC, 'eth_getTransactionReceipt', [h]), 'a receipt');
	return r;
}
const deployed = await send({ data: INIT });
const emitter = deployed.contractAddress;
assert(emitter, 'the emitter contract was not deployed');
await waitFor(() => feeder.tip >= Number(deployed.blockNumber), 'the feeder to catch up');
// The broadcaster has seen the chain (its eth_blockNumber), so that the
// clients' first eth_chainId is answered.
await waitFor(async () => {
	const r = await fetch(`${b.http}/ready`);
	return r.status === 200;
}, 'the broadcaster to be ready', 30000);

// The clients.
// ethers hands a log sent again with removed: true to the listeners of
// its "orphan" event ({ orphan: 'drop-log', log }) keyed by the removed
// log itself, not to the filter's listeners.
const ethers = { blocks: [], logs: [], removed: [] };
const provider = new WebSocketProvider(b.url);
await provider.on('block', (n) => ethers.blocks.push(n));
await provider.on({ address: emitter, topics: [PING_TOPIC] }, (log) => {
	ethers.logs.push(log);
	provider.once({ orphan: 'drop-log', log: { ...log.toJSON(), removed: true } },
		() => ethers.removed.push(log));
});

const viem = { blocks: [], logs: [] };
const client = createPublicClient({ transport: webSocket(`${b.url}/v1/eth`) });
const unwatchBlocks = client.watchBlocks({
	onBlock: (blk) => viem.blocks.push(blk),
	onError: (e) => console.error(`viem watchBlocks: ${e.message}`),
});
const unwatchLogs = client.watchEvent({
	address: emitter,
	onLogs: (logs) => viem.logs.push(...logs),
	onError: (e) => console.error(`viem watchEvent: ${e.message}`),
});

// Both libraries subscribe lazily: wait for the four subscriptions.
async function subs() {
	const t = await (await fetch(`${b.http}/metrics`)).text();
	const v = (k) => Number((t.match(new RegExp(`broadcaster_subscriptions\\{kind="${k}"\\} (\\d+)`)) || [])[1] || 0);
	return v('newHeads') + v('logs');
}
await waitFor(async () => (await subs()) >= 4, 'ethers and viem to subscribe');
const first = feeder.tip + 1;

// Mine: 8 blocks with a log each, 2 empty ones.
const N = 8;
for (let i = 0; i < N; i++)
	await send({ to: emitter, data: '0x' + (i + 1).toString(16).padStart(64, '0') });
await rpc(RPC, 'anvil_mine', ['0x2']);
const tip1 = Number(await rpc(RPC, 'eth_blockNumber'));
const want = [];
for (let n = first; n <= tip1; n++) want.push(n);
await waitFor(() => want.every((n) => ethers.blocks.includes(n)), `ethers to see blocks ${first}..${tip1}`);
await waitFor(() => want.every((n) => viem.blocks.some((x) => Number(x.number) === n)),
	`viem to see blocks ${first}..${tip1}`);
await waitFor(() => ethers.logs.length >= N && viem.logs.length >= N, 'the logs');
assert(ethers.logs.every((l) => !l.removed) && !ethers.removed.length, 'ethers: a log removed before any reorg');
const seen = new Set(viem.blocks.map((x) => x.hash));
for (let n = first; n <= tip1; n++) {
	const nb = await rpc(RPC, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
	assert(seen.has(nb.hash), `viem: block ${n} has not the node's hash`);
}

// Reorg: the last 4 blocks (2 empty, 2 with a log) replaced by 4 empty
// blocks and then 1 more with a log.
const orphanedLogs = ethers.logs.filter((l) => l.blockNumber > tip1 - 4).length;
assert(orphanedLogs === 2, `expected 2 logs in the blocks to orphan, got ${orphanedLogs}`);
await rpc(RPC, 'anvil_reorg', [4, []]);
await send({ to: emitter, data: '0x' + 'ff'.padStart(64, '0') });
const tip2 = Number(await rpc(RPC, 'eth_blockNumber'));
process.on('exit', (code) => {
	if (code) console.error(`ethers logs: ${JSON.stringify(ethers.logs.map((l) => [l.blockNumber, l.removed]))} ` +
		`removed: ${JSON.stringify(ethers.removed.map((l) => l.blockNumber))}\n` +
		`viem logs: ${JSON.stringify(viem.logs.map((l) => [Number(l.blockNumber), l.removed]))}\n` +
		`tip1 ${tip1} feeder tip ${feeder.tip} seq ${feeder.seq}`);
});
await waitFor(() => ethers.removed.length >= orphanedLogs, 'ethers: removed logs (orphan drop-log events)');
await waitFor(() => viem.logs.filter((l) => l.removed).length >= orphanedLogs, 'viem: removed logs');
const removed = ethers.removed;
for (const l of removed)
	assert(l.blockNumber > tip1 - 4, `ethers: block ${l.blockNumber}'s log removed, it was not orphaned`);
// Every header of the new branch, in order, not only its tip.
await waitFor(async () => {
	for (let n = tip1 - 3; n <= tip2; n++) {
		const nb = await rpc(RPC, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
		if (!viem.blocks.some((x) => Number(x.number) === n && x.hash === nb.hash)) return false;
	}
	return true;
}, `viem: every header of the new branch ${tip1 - 3}..${tip2}`);
const after = ethers.blocks.slice(ethers.blocks.lastIndexOf(tip1 - 3));
assert(after.join(',') === Array.from({ length: tip2 - tip1 + 4 }, (_, i) => tip1 - 3 + i).join(','),
	`ethers: new branch heights out of order: ${after}`);
await waitFor(() => ethers.logs.some((l) => !l.removed && l.blockNumber === tip2), 'ethers: the new branch log');

// eth_chainId and eth_blockNumber come from the stream.
assert(Number(await provider.send('eth_chainId', [])) === feeder.chainId, 'eth_chainId');
assert(Number(await provider.send('eth_blockNumber', [])) === tip2, 'eth_blockNumber');
await provider.send('eth_gasPrice', []).then(() => fail('eth_gasPrice answered'),
	(e) => assert(/-32601|does not exist/.test(e.message), `eth_gasPrice: ${e.message}`));

unwatchBlocks();
unwatchLogs();
await provider.destroy();
feeding = false;
await feedLoop;
const st = await b.stop();
assert(st.code === 0, `broadcaster exit ${JSON.stringify(st)}`);
console.log(`ok: ethers ${ethers.blocks.length} blocks ${ethers.logs.length} logs (${removed.length} removed); ` +
	`viem ${viem.blocks.length} blocks ${viem.logs.length} logs`);
process.exit(0);
