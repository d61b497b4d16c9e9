// Blocks of every kind the hardfork allows, on an anvil node, for the
// verifier's whole-block tests (tests/integration/3d_verifier_body_kinds.sh
// and 3e_verifier_body_faults.sh).
//
//   node tests/node/body_kinds.mjs --rpc URL --hardfork london|shanghai|cancun|prague
//                                  [--no-blobs]
//
// Every transaction is signed here (viem's local accounts from anvil's
// test mnemonic) and sent raw with automine off, several of mixed types a
// block, then one evm_mine: legacy without EIP-155 (v = 27/28), legacy
// with EIP-155, EIP-2930 with an access list, EIP-1559, EIP-4844 with one
// blob (cancun+), EIP-7702 with an authorization list (prague); contract
// creations of several types, a reverted call, calls that log. Every
// receipt is checked (block, type, status, a log where one is due).
//
// From cancun on (unless --no-blobs) one more block holds a blob
// transaction alone, and the script tells over which encoding the node
// computed that block's transactionsRoot: "canonical" (the EIP-2718
// payload, as geth and reth do) or "pooled" (the network wrapper with
// blobs, commitments and proofs: anvil up to 1.7.1 at least,
// foundry-rs/foundry#15132), which no spec-following verifier
// reproduces unless it uses the sidecar the node puts in the
// transaction objects.
//
// Prints one JSON line: {"head":N,"types":[...],"blocks":[...],
// "txs":N,"logs":N,"reverted":[hash],"created":[address],
// "unprotected":[hash],"blob_blocks":[N],"blob_root":"canonical"|
// "pooled"|null}.
import { keccak256, serializeTransaction, sha256, toHex, toRlp } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';

const MNEMONIC = 'test test test test test test test test test test test junk';
// The traffic emitter of scripts/devnet: LOG2(Ping topic, caller), data =
// first calldata word, or callvalue without calldata.
const PING_TOPIC = '0xfd8d0c1dc3ab254ec49463a1192bb2423b3b851adedec1aa94dcd362dc063c9d';
const EMITTER_RUNTIME = `0x36600b57346000526012565b6000356000525b337f${PING_TOPIC.slice(2)}60206000a200`;
const EMITTER_INIT = `0x603b80600b6000396000f3${EMITTER_RUNTIME.slice(2)}`;
// Reverts every call: PUSH1 0 PUSH1 0 REVERT; init copies 5 bytes.
const REVERTER_INIT = '0x600580600b6000396000f360006000fd';
const FORKS = ['london', 'shanghai', 'cancun', 'prague'];

function die(msg) {
	console.error(`body_kinds: ${msg}`);
	process.exit(1);
}

function parseArgs(argv) {
	const o = { rpc: '', hardfork: '', blobs: true };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--rpc') o.rpc = argv[++i];
		else if (argv[i] === '--hardfork') o.hardfork = argv[++i];
		else if (argv[i] === '--no-blobs') o.blobs = false;
		else die(`unknown argument '${argv[i]}'`);
	}
	if (!o.rpc || !FORKS.includes(o.hardfork))
		die('usage: body_kinds.mjs --rpc URL --hardfork london|shanghai|cancun|prague [--no-blobs]');
	return o;
}

let RPC = '';
let rpcId = 0;
async function rpc(method, params = []) {
	const r = await fetch(RPC, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
	});
	const j = await r.json();
	if (j.error) die(`${method}: ${JSON.stringify(j.error)}`);
	return j.result;
}

// KZG for the all-zero blob only: its polynomial is zero, so the
// commitment and the proof are both the point at infinity (compressed:
// 0xc0 then 47 zero bytes). The node checks them as it would any blob;
// the verifier sees only the versioned hash, which is real.
const INFINITY = (() => { const b = new Uint8Array(48); b[0] = 0xc0; return b; })();
const zeroKzg = {
	blobToKzgCommitment: () => INFINITY,
	computeBlobKzgProof: () => INFINITY,
};
const ZERO_BLOB = '0x' + '00'.repeat(131072);
const versionedHash = () => '0x01' + sha256(INFINITY).slice(4);

const hexOf = (n) => toHex(BigInt(n));

// One sender: a local account with the nonce tracked here.
class Sender {
	constructor(index) {
		this.acct = mnemonicToAccount(MNEMONIC, { addressIndex: index });
		this.address = this.acct.address.toLowerCase();
		this.nonce = null;
	}
	async init() {
		this.nonce = Number(await rpc('eth_getTransactionCount', [this.address, 'pending']));
	}
	contractAddress(nonce) {
		// RLP([sender, nonce]) for nonce < 0x80 (every test account's)
		const n = nonce === 0 ? '80' : nonce.toString(16).padStart(2, '0');
		const body = `94${this.address.slice(2)}${n}`;
		const rlp = `0x${(0xc0 + body.length / 2).toString(16)}${body}`;
		return '0x' + keccak256(rlp).slice(26);
	}
}

class Chain {
	constructor(fork, chainId, fees) {
		this.fork = fork;
		this.chainId = chainId;
		this.fees = fees; // { base, tip, blob }
		this.pending = []; // { hash, type, expect }
		this.summary = { blocks: [], types: new Set(), txs: 0, logs: 0, reverted: [], created: [],
			unprotected: [], blob_blocks: [], blob_root: null };
	}

	// Sign tx (fields of viem's TransactionSerializable without nonce and
	// fees) as sender s, send it raw; expect: { status, logs, create }.
	async send(s, tx, expect) {
		const full = { ...tx, nonce: s.nonce };
		const { base, tip, blob } = this.fees;
		if (tx.type === 'legacy' || tx.type === 'eip2930') full.gasPrice = base * 2n + tip;
		else { full.maxFeePerGas = base * 2n + tip; full.maxPriorityFeePerGas = tip; }
		if (tx.type === 'eip4844') {
			full.maxFeePerBlobGas = blob * 2n + 1n;
			full.blobs = [ZERO_BLOB];
			full.kzg = zeroKzg;
		}
		if (tx.type !== 'legacy' || !tx.unprotected) full.chainId = this.chainId;
		delete full.unprotected;
		if (expect.create) expect.address = s.contractAddress(s.nonce);
		const raw = await s.acct.signTransaction(full);
		const hash = await rpc('eth_sendRawTransaction', [raw]);
		s.nonce++;
		this.pending.push({ hash, tx, expect, raw });
		return expect.address;
	}

	async mine(label) {
		await rpc('evm_mine');
		const head = Number(await rpc('eth_blockNumber'));
		const block = await rpc('eth_getBlockByNumber', [hexOf(head), true]);
		const want = { legacy: '0x0', eip2930: '0x1', eip1559: '0x2', eip4844: '0x3', eip7702: '0x4' };
		for (const p of this.pending) {
			const r = await rpc('eth_getTransactionReceipt', [p.hash]);
			if (!r || Number(r.blockNumber) !== head)
				die(`${label}: ${p.hash} is not in block ${head}`);
			const t = block.transactions.find((x) => x.hash === p.hash);
			if (t.type !== want[p.tx.type]) die(`${label}: ${p.hash} has type ${t.type}, want ${want[p.tx.type]}`);
			if (p.tx.unprotected && !['0x1b', '0x1c'].includes(t.v))
				die(`${label}: ${p.hash} is not a pre-EIP-155 transaction (v ${t.v})`);
			const status = p.expect.status ?? 1;
			if (Number(r.status) !== status) die(`${label}: ${p.hash} status ${r.status}, want ${status}`);
			if ((p.expect.logs ?? 0) !== r.logs.length)
				die(`${label}: ${p.hash} has ${r.logs.length} logs, want ${p.expect.logs ?? 0}`);
			if (p.expect.create && (r.contractAddress || '').toLowerCase() !== p.expect.address)
				die(`${label}: ${p.hash} created ${r.contractAddress}, want ${p.expect.address}`);
			if (status === 0) this.summary.reverted.push(p.hash);
			if (p.tx.unprotected) this.summary.unprotected.push(p.hash);
			if (p.expect.create) this.summary.created.push(p.expect.address);
			this.summary.types.add(t.type);
			this.summary.logs += r.logs.length;
		}
		if (block.transactions.length !== this.pending.length)
			die(`${label}: block ${head} holds ${block.transactions.length} txs, sent ${this.pending.length}`);
		this.summary.txs += this.pending.length;
		this.summary.blocks.push({ label, number: head, txs: this.pending.length,
			types: [...new Set(block.transactions.map((x) => x.type))].sort() });
		if (block.transactions.some((x) => x.type === '0x3')) this.summary.blob_blocks.push(head);
		if (label === 'blob alone') this.summary.blob_root = blobRoot(block, this.pending[0].raw);
		this.pending = [];
		await this.refreshFees();
		return head;
	}

	async refreshFees() {
		const b = await rpc('eth_getBlockByNumber', ['latest', false]);
		this.fees.base = BigInt(b.baseFeePerGas);
		if (b.excessBlobGas !== undefined) this.fees.blob = BigInt(await rpc('eth_blobBaseFee'));
	}
}

// The root of a one-transaction trie: a leaf at key rlp(0) = 0x80
// (nibbles 8 0, hex-prefix 0x20 0x80) holding the envelope.
const oneLeafRoot = (envelope) => keccak256(toRlp(['0x2080', envelope]));

// Over which encoding the node computed the root of a block holding a
// blob transaction alone: its canonical envelope, rebuilt from the
// node's fields (and checked against the node's hash), or the pooled
// form we sent.
function blobRoot(block, raw) {
	const t = block.transactions[0];
	const canonical = serializeTransaction({
		type: 'eip4844', chainId: Number(t.chainId), nonce: Number(t.nonce),
		maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas), maxFeePerGas: BigInt(t.maxFeePerGas),
		gas: BigInt(t.gas), to: t.to, value: BigInt(t.value), data: t.input, accessList: t.accessList,
		maxFeePerBlobGas: BigInt(t.maxFeePerBlobGas), blobVersionedHashes: t.blobVersionedHashes,
	}, { r: t.r, s: t.s, yParity: Number(t.yParity) });
	if (keccak256(canonical) !== t.hash) die(`blob alone: cannot rebuild ${t.hash}`);
	if (oneLeafRoot(canonical) === block.transactionsRoot) return 'canonical';
	if (oneLeafRoot(raw) === block.transactionsRoot) return 'pooled';
	die(`blob alone: transactionsRoot ${block.transactionsRoot} is over neither encoding`);
}

const word = (n) => '0x' + BigInt(n).toString(16).padStart(64, '0');

async function main() {
	const o = parseArgs(process.argv.slice(2));
	RPC = o.rpc;
	const cancun = (o.hardfork === 'cancun' || o.hardfork === 'prague') && o.blobs;
	const prague = o.hardfork === 'prague';
	const chainId = Number(await rpc('eth_chainId'));
	const c = new Chain(o.hardfork, chainId, { base: 0n, tip: 1000000000n, blob: 1n });
	await c.refreshFees();
	const s = [];
	for (let i = 0; i < 11; i++) { s.push(new Sender(i)); await s[i].init(); }
	await rpc('evm_setAutomine', [false]);

	// Block 1: contract creations of three types and a pre-EIP-155 transfer.
	const emitter = await c.send(s[0], { type: 'legacy', data: EMITTER_INIT, gas: 200000n }, { create: true });
	const reverter = await c.send(s[1], { type: 'eip1559', data: REVERTER_INIT, gas: 200000n }, { create: true });
	const emitter2 = await c.send(s[2], { type: 'eip2930', data: EMITTER_INIT, gas: 200000n,
		accessList: [{ address: s[2].address, storageKeys: [word(1)] }] }, { create: true });
	await c.send(s[3], { type: 'legacy', unprotected: true, to: s[9].address, value: 12345n, gas: 21000n }, {});
	await c.mine('creations');

	// Block 2: one transaction of every type the fork allows, most of
	// them logging, one reverted.
	const al = [{ address: emitter, storageKeys: [word(0), word(7)] }, { address: emitter2, storageKeys: [] }];
	await c.send(s[0], { type: 'legacy', unprotected: true, to: emitter, data: word(0xa1), gas: 60000n }, { logs: 1 });
	await c.send(s[1], { type: 'legacy', to: emitter, value: 1000n, gas: 60000n }, { logs: 1 });
	await c.send(s[2], { type: 'eip2930', to: emitter2, data: word(0xa3), gas: 80000n, accessList: al }, { logs: 1 });
	await c.send(s[3], { type: 'eip1559', to: reverter, data: word(0xa4), gas: 60000n }, { status: 0 });
	await c.send(s[4], { type: 'eip1559', to: emitter, value: 10n ** 18n, gas: 60000n }, { logs: 1 });
	if (cancun)
		await c.send(s[5], { type: 'eip4844', to: emitter, data: word(0xa6), gas: 60000n, accessList: al }, { logs: 1 });
	if (prague) {
		// s[7] delegates its code to the emitter; s[6] pays for it and calls s[7].
		const auth = await s[7].acct.signAuthorization({ chainId, address: emitter, nonce: s[7].nonce });
		await c.send(s[6], { type: 'eip7702', to: s[7].address, data: word(0xa7), gas: 120000n,
			authorizationList: [auth] }, { logs: 1 });
		s[7].nonce++;
	}
	await c.mine('every type');

	// Block 3: several transactions from one sender, of mixed types, in
	// nonce order; another creation (EIP-1559) and another revert.
	await c.send(s[8], { type: 'eip1559', data: EMITTER_INIT, gas: 200000n }, { create: true });
	await c.send(s[8], { type: 'legacy', to: emitter, data: word(0xb2), gas: 60000n }, { logs: 1 });
	await c.send(s[8], { type: 'eip2930', to: reverter, gas: 60000n, accessList: [] }, { status: 0 });
	await c.send(s[8], { type: 'eip1559', to: emitter2, data: word(0xb4), gas: 60000n }, { logs: 1 });
	if (cancun)
		await c.send(s[8], { type: 'eip4844', to: s[9].address, value: 7n, gas: 60000n }, {});
	if (prague) {
		// s[7] is delegated already: a plain call to it logs too
		await c.send(s[8], { type: 'eip7702', to: s[7].address, value: 3n, gas: 120000n,
			authorizationList: [await s[10].acct.signAuthorization({ chainId, address: emitter2, nonce: s[10].nonce })] },
		{ logs: 1 });
		s[10].nonce++;
	}
	await c.send(s[9], { type: 'legacy', unprotected: true, to: emitter2, value: 5n, gas: 60000n }, { logs: 1 });
	await c.mine('mixed, one sender');

	// A blob transaction alone in its block: which root the node made.
	if (cancun) {
		await c.send(s[5], { type: 'eip4844', to: s[9].address, value: 9n, gas: 30000n }, {});
		await c.mine('blob alone');
	}

	// An empty block at the end.
	await rpc('evm_mine');
	await rpc('evm_setAutomine', [true]);
	const head = Number(await rpc('eth_blockNumber'));
	const out = { ...c.summary, head, types: [...c.summary.types].sort() };
	process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => die(e.stack || String(e)));
