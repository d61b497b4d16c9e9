// Encode logs with ethers and print them, with what ethers decodes, as
// the C table of tests/unit/check_abi.c (node tests/node/abi_vectors.mjs).
import { Interface, AbiCoder, keccak256, toUtf8Bytes } from 'ethers';
import { expectRow } from './abi_expect.mjs';

const coder = AbiCoder.defaultAbiCoder();
const cases = [
  ['event Transfer(address indexed from, address indexed to, uint256 value)',
   ['0x00000000000000000000000000000000000000aa', '0x1111111111111111111111111111111111111111', 10n ** 30n]],
  ['event Ints(int8 a, int256 b, uint8 c, int64 d, uint256 e, int24 indexed f)',
   [-128, -(2n ** 255n), 255, -1, 2n ** 256n - 1n, -8388608]],
  ['event Misc(bool t, bool f, bytes1 b1, bytes32 b32, bytes b, string s)',
   [true, false, '0xab', '0x' + '11'.repeat(32), '0x0102030405', 'héllo "q"\n']],
  ['event Arrays(uint256[] a, string[2] s, bytes[] bs, uint16[2][] m)',
   [[1, 2, 3], ['x', 'yz'], ['0x', '0xff00'], [[1, 2], [3, 4]]]],
  ['event Tuples((uint256 id, bytes data, address[] who) t, (bool,uint8)[] u, (string a, (int16 x, string[] y) b) nested)',
   [[7, '0xdead', ['0x00000000000000000000000000000000000000aa']], [[true, 1], [false, 2]], ['a', [-3, ['p', 'q']]]]],
  ['event Hashed(string indexed s, uint256[] indexed a, (uint8,uint8) indexed t)',
   ['abc', [1], [1, 2]]],
  ['event Empty()', []],
  ['event Anon(address indexed who, uint256 v)',
   ['0x00000000000000000000000000000000000000bb', 5]],
];
const c = (s) => JSON.stringify(s);
for (const [sig, args] of cases) {
  // ethers spells anonymous in the JSON form only.
  const frag = sig.startsWith('event Anon')
    ? { ...JSON.parse(new Interface([sig]).fragments[0].format('json')), anonymous: true } : sig;
  const iface = new Interface([frag]);
  const ev = iface.fragments[0];
  // ethers cannot hash indexed arrays and tuples: any 32 bytes stand for
  // those topics (the decoder keeps them as they are).
  const { data, topics } = ev.name === 'Hashed'
    ? { data: '0x', topics: [ev.topicHash, keccak256(toUtf8Bytes(args[0])),
        '0x' + '5a'.repeat(32), '0x' + 'a5'.repeat(32)] }
    : iface.encodeEventLog(ev, args);
  const row = expectRow(frag, { data, topics }, 'input');
  console.log(`\t{ ${c(sig.replace(/^event /, '') + (frag === sig ? '' : ' anonymous'))},\n\t  ${c(topics.map((t) => t.slice(2)).join(''))},\n\t  ${c(data.slice(2))},\n\t  { ${row.map(c).join(', ')} } },`);
}
void coder; void keccak256; void toUtf8Bytes;
