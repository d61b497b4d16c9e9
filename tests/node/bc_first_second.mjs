// ethers v6 and viem v2 against a broadcaster that has seen no block yet
// (nothing from the verifier): they start without printing anything (no
// "failed to detect network ... retry in 1s"), and the first head fed to
// the broadcaster reaches them. Twice: with --rpc (eth_chainId and
// eth_blockNumber answered from the node) and with --chain-id alone
// (eth_blockNumber is an error until the first block).
//
// env RPC_URL: a running anvil (chain 31337).
import { WebSocketProvider } from 'ethers';
import { createPublicClient, webSocket } from 'viem';
import { startBroadcaster, FakeChain, CHAIN_ID, rpc, assert, fail, waitFor, sleep } from './lib.mjs';

const RPC = process.env.RPC_URL || fail('RPC_URL is not set');

// Everything the libraries print, and promises they leave rejected.
const printed = [];
for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
	const orig = console[k].bind(console);
	console[k] = (...a) => { printed.push(`console.${k}: ${a.join(' ')}`); orig(...a); };
}
process.on('unhandledRejection', (e) => { printed.push(`unhandled rejection: ${e && e.message}`); });

async function oneCase(name, args, nodeHead) {
	const b = await startBroadcaster(args, { log: process.env.BC_LOG });
	assert((await fetch(`${b.http}/ready`)).status === 503, `${name}: the broadcaster has seen a message already`);

	const ethers = { blocks: [] };
	const provider = new WebSocketProvider(b.url);
	await provider.on('block', (n) => ethers.blocks.push(n));
	const net = await provider.getNetwork();
	assert(net.chainId === BigInt(CHAIN_ID), `${name}: ethers' network is ${net.chainId}`);

	const viem = { blocks: [], numbers: [] };
	const client = createPublicClient({ transport: webSocket(`${b.url}/v1/eth`) });
	assert(await client.getChainId() === CHAIN_ID, `${name}: viem's getChainId`);
	const unwatchBlocks = client.watchBlocks({
		onBlock: (blk) => viem.blocks.push(blk),
		onError: (e) => printed.push(`viem watchBlocks: ${e.message}`),
	});
	const unwatchNumbers = client.watchBlockNumber({
		onBlockNumber: (n) => viem.numbers.push(n),
		onError: (e) => printed.push(`viem watchBlockNumber: ${e.message}`),
	});

	// eth_blockNumber before any block: the node's head, or an error.
	if (nodeHead !== null) {
		assert(await provider.getBlockNumber() === nodeHead, `${name}: ethers' getBlockNumber before any block`);
		assert(await client.getBlockNumber({ cacheTime: 0 }) === BigInt(nodeHead),
			`${name}: viem's getBlockNumber before any block`);
	} else {
		let err = null;
		await provider.getBlockNumber().catch((e) => { err = e; });
		assert(err && /no block seen yet/.test(String(err.message) + JSON.stringify(err.error || {})),
			`${name}: ethers' getBlockNumber before any block: ${err ? err.message : 'no error'}`);
	}

	// Both libraries subscribe newHeads lazily; give ethers' network
	// detection time to have retried (and printed) if it were failing.
	await waitFor(async () => {
		const t = await (await fetch(`${b.http}/metrics`)).text();
		return Number((t.match(/broadcaster_subscriptions\{kind="newHeads"\} (\d+)/) || [])[1] || 0) >= 3;
	}, `${name}: ethers and viem to subscribe newHeads`);
	await sleep(1500);
	assert(printed.length === 0, `${name}: printed before the first block:\n${printed.join('\n')}`);

	// The first head.
	const chain = new FakeChain({ start: (nodeHead ?? 0) + 1 });
	const first = chain.next();
	b.send(first);
	await waitFor(() => ethers.blocks.includes(first.number), `${name}: ethers' first block`);
	await waitFor(() => viem.blocks.some((x) => Number(x.number) === first.number), `${name}: viem's first block`);
	await waitFor(() => viem.numbers.includes(BigInt(first.number)), `${name}: viem's first block number`);
	assert(await provider.getBlockNumber() === first.number, `${name}: eth_blockNumber after the first block`);

	unwatchBlocks();
	unwatchNumbers();
	await provider.destroy();
	await client.transport.getRpcClient().then((c) => c.close()).catch(() => {});
	const ex = await b.stop();
	assert(ex.code === 0, `${name}: the broadcaster exited with ${JSON.stringify(ex)}`);
	assert(printed.length === 0, `${name}: printed:\n${printed.join('\n')}`);
	console.log(`ok: ${name}: first head ${first.number} reached ethers and viem, nothing printed`);
	printed.length = 0; // our own line
}

const head = Number(await rpc(RPC, 'eth_blockNumber'));
await oneCase('--rpc', ['--rpc', RPC], head);
await oneCase('--chain-id', ['--chain-id', String(CHAIN_ID)], null);
process.exit(0);
