/* Block hashes recomputed from header fields, on real headers captured
 * from anvil 1.7 for each header layout (--hardfork london, shanghai,
 * cancun, prague; block 1 with one transfer, and genesis), plus what must
 * fail or change the hash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "header.h"
#include "json.h"
#include "hex.h"
#include "rlp.h"

static const struct {
	const char *name;
	const char *hash;
	const char *json;
} headers[] = {
	{ "london",
	  "0x8739f0f6e5492e27de56410f8caf8ba5cccac5d8ee1c69a9b87a9ff0ca1437f5",
	  "{\"hash\":\"0x8739f0f6e5492e27de56410f8caf8ba5cccac5d8ee1c69a9b"
	  "87a9ff0ca1437f5\",\"parentHash\":\"0xf6e1781716123042fc84db43390"
	  "2fe4c877e60d706285e34622a59a87fc225d2\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x8c4dd665873289df4d2526f42b15d7c97c20b9c19f3e4a78911"
	  "06abcb1c697e9\",\"transactionsRoot\":\"0xe4af4ef97a2a2f0c31c1cab"
	  "3034f6905378f6a3121fec89d9ab54c9cd7b78191\",\"receiptsRoot\":\"0"
	  "xf78dfb743fbd92ade140711c8bbc542b5e307f0ab7984eff35d751969fe"
	  "57efa\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x1\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x5208\",\"timestamp\":\"0x6b03bf2b\",\"extraData\":\"0x\",\"mixHa"
	  "sh\":\"0x348f071763b885a0614eaa137cfc3b1c0c3b5dcd6b2e46ef16d05"
	  "1b483f94810\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0"
	  "x3b9aca00\",\"totalDifficulty\":\"0x0\",\"size\":\"0x278\",\"uncles\":["
	  "],\"transactions\":[\"0xb84b109b979bb4632e70484dbadbaa92db99256"
	  "12804f7c0a67ad43870356be7\"]}" },
	{ "london genesis (blob fields, no withdrawalsRoot)",
	  "0xf6e1781716123042fc84db433902fe4c877e60d706285e34622a59a87fc225d2",
	  "{\"hash\":\"0xf6e1781716123042fc84db433902fe4c877e60d706285e346"
	  "22a59a87fc225d2\",\"parentHash\":\"0x000000000000000000000000000"
	  "0000000000000000000000000000000000000\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc0016"
	  "22fb5e363b421\",\"transactionsRoot\":\"0x56e81f171bcc55a6ff8345e"
	  "692c0f86e5b48e01b996cadc001622fb5e363b421\",\"receiptsRoot\":\"0"
	  "x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e36"
	  "3b421\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x0\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x0\",\"timestamp\":\"0x6b03bf2a\",\"extraData\":\"0x\",\"mixHash\""
	  ":\"0x00000000000000000000000000000000000000000000000000000000"
	  "00000000\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0x3b"
	  "9aca00\",\"blobGasUsed\":\"0x0\",\"excessBlobGas\":\"0x0\",\"totalDiff"
	  "iculty\":\"0x0\",\"size\":\"0x204\",\"uncles\":[],\"transactions\":[]}" },
	{ "shanghai",
	  "0xa40493f66a2df144cabb5ed4512ed2470a12f62ab98b816434132c0bb8210220",
	  "{\"hash\":\"0xa40493f66a2df144cabb5ed4512ed2470a12f62ab98b81643"
	  "4132c0bb8210220\",\"parentHash\":\"0xf04e6686172f7beaf6ed3ca78cf"
	  "b0d307fa4dc10eba976832ccc0fef40f7bdf0\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x8c4dd665873289df4d2526f42b15d7c97c20b9c19f3e4a78911"
	  "06abcb1c697e9\",\"transactionsRoot\":\"0xe4af4ef97a2a2f0c31c1cab"
	  "3034f6905378f6a3121fec89d9ab54c9cd7b78191\",\"receiptsRoot\":\"0"
	  "xf78dfb743fbd92ade140711c8bbc542b5e307f0ab7984eff35d751969fe"
	  "57efa\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x1\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x5208\",\"timestamp\":\"0x6b03bf2b\",\"extraData\":\"0x\",\"mixHa"
	  "sh\":\"0x8b843529bda091c818e1b80d1467001ddaf0c437c9b1b8f655ac3"
	  "0d54dd24299\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0"
	  "x3b9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0"
	  "f86e5b48e01b996cadc001622fb5e363b421\",\"totalDifficulty\":\"0x0"
	  "\",\"size\":\"0x299\",\"uncles\":[],\"transactions\":[\"0xb84b109b979b"
	  "b4632e70484dbadbaa92db9925612804f7c0a67ad43870356be7\"],\"with"
	  "drawals\":[]}" },
	{ "shanghai genesis",
	  "0xf04e6686172f7beaf6ed3ca78cfb0d307fa4dc10eba976832ccc0fef40f7bdf0",
	  "{\"hash\":\"0xf04e6686172f7beaf6ed3ca78cfb0d307fa4dc10eba976832"
	  "ccc0fef40f7bdf0\",\"parentHash\":\"0x000000000000000000000000000"
	  "0000000000000000000000000000000000000\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc0016"
	  "22fb5e363b421\",\"transactionsRoot\":\"0x56e81f171bcc55a6ff8345e"
	  "692c0f86e5b48e01b996cadc001622fb5e363b421\",\"receiptsRoot\":\"0"
	  "x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e36"
	  "3b421\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x0\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x0\",\"timestamp\":\"0x6b03bf2b\",\"extraData\":\"0x\",\"mixHash\""
	  ":\"0x00000000000000000000000000000000000000000000000000000000"
	  "00000000\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0x3b"
	  "9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0f86"
	  "e5b48e01b996cadc001622fb5e363b421\",\"blobGasUsed\":\"0x0\",\"exce"
	  "ssBlobGas\":\"0x0\",\"totalDifficulty\":\"0x0\",\"size\":\"0x225\",\"unc"
	  "les\":[],\"transactions\":[],\"withdrawals\":[]}" },
	{ "cancun",
	  "0x68239e5da3a5624ce13c3a151feee6579d01e303b6e030b00de3182eeecd20dc",
	  "{\"hash\":\"0x68239e5da3a5624ce13c3a151feee6579d01e303b6e030b00"
	  "de3182eeecd20dc\",\"parentHash\":\"0x74044907c5a053971e8522374fd"
	  "12d82f58485c855bf3fcbdbb64f4b82f82268\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x8c4dd665873289df4d2526f42b15d7c97c20b9c19f3e4a78911"
	  "06abcb1c697e9\",\"transactionsRoot\":\"0xe4af4ef97a2a2f0c31c1cab"
	  "3034f6905378f6a3121fec89d9ab54c9cd7b78191\",\"receiptsRoot\":\"0"
	  "xf78dfb743fbd92ade140711c8bbc542b5e307f0ab7984eff35d751969fe"
	  "57efa\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x1\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x5208\",\"timestamp\":\"0x6b03bf2b\",\"extraData\":\"0x\",\"mixHa"
	  "sh\":\"0x92e7134f75364905bbf414086ac318bf8c02ea805c158b61ca005"
	  "85258d2d330\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0"
	  "x3b9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0"
	  "f86e5b48e01b996cadc001622fb5e363b421\",\"blobGasUsed\":\"0x0\",\"e"
	  "xcessBlobGas\":\"0x0\",\"parentBeaconBlockRoot\":\"0x0000000000000"
	  "000000000000000000000000000000000000000000000000000\",\"totalD"
	  "ifficulty\":\"0x0\",\"size\":\"0x2bc\",\"uncles\":[],\"transactions\":["
	  "\"0xb84b109b979bb4632e70484dbadbaa92db9925612804f7c0a67ad4387"
	  "0356be7\"],\"withdrawals\":[]}" },
	{ "cancun genesis",
	  "0x74044907c5a053971e8522374fd12d82f58485c855bf3fcbdbb64f4b82f82268",
	  "{\"hash\":\"0x74044907c5a053971e8522374fd12d82f58485c855bf3fcbd"
	  "bb64f4b82f82268\",\"parentHash\":\"0x000000000000000000000000000"
	  "0000000000000000000000000000000000000\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc0016"
	  "22fb5e363b421\",\"transactionsRoot\":\"0x56e81f171bcc55a6ff8345e"
	  "692c0f86e5b48e01b996cadc001622fb5e363b421\",\"receiptsRoot\":\"0"
	  "x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e36"
	  "3b421\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x0\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x0\",\"timestamp\":\"0x6b03bf2b\",\"extraData\":\"0x\",\"mixHash\""
	  ":\"0x00000000000000000000000000000000000000000000000000000000"
	  "00000000\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0x3b"
	  "9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0f86"
	  "e5b48e01b996cadc001622fb5e363b421\",\"blobGasUsed\":\"0x0\",\"exce"
	  "ssBlobGas\":\"0x0\",\"parentBeaconBlockRoot\":\"0x0000000000000000"
	  "000000000000000000000000000000000000000000000000\",\"totalDiff"
	  "iculty\":\"0x0\",\"size\":\"0x246\",\"uncles\":[],\"transactions\":[],\""
	  "withdrawals\":[]}" },
	{ "prague",
	  "0x1b2b46e3cb3f6cd09a47d19003bd99f6e525b206d6f05a573fa434f87e0c5956",
	  "{\"hash\":\"0x1b2b46e3cb3f6cd09a47d19003bd99f6e525b206d6f05a573"
	  "fa434f87e0c5956\",\"parentHash\":\"0x8da3c2b515035860675167b824b"
	  "c3e93ce135a6685a9aa7745cb698fbaa19ee8\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x2b96d61d75c95a9bb733dc66de0be7a5b0fe81efab091cca9eb"
	  "815afed0906d5\",\"transactionsRoot\":\"0xe4af4ef97a2a2f0c31c1cab"
	  "3034f6905378f6a3121fec89d9ab54c9cd7b78191\",\"receiptsRoot\":\"0"
	  "xf78dfb743fbd92ade140711c8bbc542b5e307f0ab7984eff35d751969fe"
	  "57efa\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x1\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x5208\",\"timestamp\":\"0x6b03bf2c\",\"extraData\":\"0x\",\"mixHa"
	  "sh\":\"0x803e95d5639453869549efcb210e6c87d1d5131b0c007a4405aec"
	  "e30abfa811e\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0"
	  "x3b9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0"
	  "f86e5b48e01b996cadc001622fb5e363b421\",\"blobGasUsed\":\"0x0\",\"e"
	  "xcessBlobGas\":\"0x0\",\"parentBeaconBlockRoot\":\"0x0000000000000"
	  "000000000000000000000000000000000000000000000000000\",\"reques"
	  "tsHash\":\"0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca"
	  "495991b7852b855\",\"totalDifficulty\":\"0x0\",\"size\":\"0x2dd\",\"unc"
	  "les\":[],\"transactions\":[\"0xb84b109b979bb4632e70484dbadbaa92d"
	  "b9925612804f7c0a67ad43870356be7\"],\"withdrawals\":[]}" },
	{ "prague genesis",
	  "0x8da3c2b515035860675167b824bc3e93ce135a6685a9aa7745cb698fbaa19ee8",
	  "{\"hash\":\"0x8da3c2b515035860675167b824bc3e93ce135a6685a9aa774"
	  "5cb698fbaa19ee8\",\"parentHash\":\"0x000000000000000000000000000"
	  "0000000000000000000000000000000000000\",\"sha3Uncles\":\"0x1dcc4"
	  "de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347\""
	  ",\"miner\":\"0x0000000000000000000000000000000000000000\",\"state"
	  "Root\":\"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc0016"
	  "22fb5e363b421\",\"transactionsRoot\":\"0x56e81f171bcc55a6ff8345e"
	  "692c0f86e5b48e01b996cadc001622fb5e363b421\",\"receiptsRoot\":\"0"
	  "x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e36"
	  "3b421\",\"logsBloom\":\"0x00000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000000000"
	  "000000000000000000000000000000000000000000000000000000\",\"dif"
	  "ficulty\":\"0x0\",\"number\":\"0x0\",\"gasLimit\":\"0x1c9c380\",\"gasUse"
	  "d\":\"0x0\",\"timestamp\":\"0x6b03bf2c\",\"extraData\":\"0x\",\"mixHash\""
	  ":\"0x00000000000000000000000000000000000000000000000000000000"
	  "00000000\",\"nonce\":\"0x0000000000000000\",\"baseFeePerGas\":\"0x3b"
	  "9aca00\",\"withdrawalsRoot\":\"0x56e81f171bcc55a6ff8345e692c0f86"
	  "e5b48e01b996cadc001622fb5e363b421\",\"blobGasUsed\":\"0x0\",\"exce"
	  "ssBlobGas\":\"0x0\",\"parentBeaconBlockRoot\":\"0x0000000000000000"
	  "000000000000000000000000000000000000000000000000\",\"requestsH"
	  "ash\":\"0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495"
	  "991b7852b855\",\"totalDifficulty\":\"0x0\",\"size\":\"0x267\",\"uncles"
	  "\":[],\"transactions\":[],\"withdrawals\":[]}" },
};

#define NHEADERS (sizeof(headers) / sizeof(headers[0]))

START_TEST(test_real_headers)
{
	char hash[HASH_HEX_SIZE], why[160] = "";
	int rc = header_hash(headers[_i].json, strlen(headers[_i].json), hash,
			     why, sizeof(why));

	ck_assert_msg(rc == 0, "%s: %s", headers[_i].name, why);
	ck_assert_msg(!strcmp(hash, headers[_i].hash), "%s: got %s want %s",
		      headers[_i].name, hash, headers[_i].hash);
}
END_TEST

static size_t count_forks(const char *json)
{
	static const char *const forks[] = {
		"\"baseFeePerGas\":\"", "\"withdrawalsRoot\":\"",
		"\"blobGasUsed\":\"", "\"excessBlobGas\":\"",
		"\"parentBeaconBlockRoot\":\"", "\"requestsHash\":\"",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(forks) / sizeof(forks[0]); i++)
		n += strstr(json, forks[i]) != NULL;
	return n;
}

/* The encoding is one RLP list holding exactly the header's items. */
START_TEST(test_rlp_shape)
{
	struct buf b = BUF_INIT;
	struct rlp_item list, it;
	const char *why = NULL;
	char whyb[160];
	size_t n = 0, off = 0;

	ck_assert_int_eq(header_rlp(headers[_i].json, strlen(headers[_i].json),
				    &b, whyb, sizeof(whyb)), 0);
	ck_assert_int_eq(rlp_decode((const uint8_t *)b.data, b.len, &list, &why),
			 0);
	ck_assert_int_eq(list.kind, RLP_LIST);
	ck_assert_uint_eq(list.size, b.len);
	while (off < list.len) {
		ck_assert_int_eq(rlp_decode(list.payload + off, list.len - off,
					    &it, &why), 0);
		ck_assert_int_eq(it.kind, RLP_STRING);
		off += it.size;
		n++;
	}
	/* 15 base fields, then each fork field present */
	ck_assert_uint_eq(n, 15 + count_forks(headers[_i].json));
	buf_release(&b);
}
END_TEST

/* Replace the first occurrence of from by to in a copy of s. */
static char *edit(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	ck_assert_ptr_nonnull(p);
	snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

static const struct {
	const char *from, *to;
	int ok; /* 1: computes, but another hash; 0: fails */
	const char *why;
} edits[] = {
	/* one field changed: a different hash */
	{ "\"gasUsed\":\"0x5208\"", "\"gasUsed\":\"0x5209\"", 1, NULL },
	{ "\"extraData\":\"0x\"", "\"extraData\":\"0x00\"", 1, NULL },
	{ "\"timestamp\":\"0x", "\"timestamp\":\"0x1", 1, NULL },
	/* a quantity with leading zeros still encodes minimally */
	{ "\"gasUsed\":\"0x5208\"", "\"gasUsed\":\"0x005208\"", 2, NULL },
	/* a field missing, malformed, of the wrong width or type */
	{ "\"stateRoot\"", "\"stateRootX\"", 0, "'stateRoot' is missing" },
	{ "\"miner\":\"0x00", "\"miner\":\"0x", 0, "'miner' has the wrong length" },
	{ "\"miner\":\"0x", "\"miner\":\"0x00", 0, "'miner' is too long" },
	{ "\"nonce\":\"0x00", "\"nonce\":\"0xzz", 0, "'nonce' is not hex" },
	{ "\"nonce\":\"0x", "\"nonce\":\"0xz", 0, NULL },
	{ "\"number\":\"0x1\"", "\"number\":1", 0, "'number' is not a hex string" },
	{ "\"number\":\"0x1\"", "\"number\":\"1\"", 0, NULL },
	{ "\"number\":\"0x1\"", "\"number\":\"0x\"", 0, NULL },
	{ "\"extraData\":\"0x\"", "\"extraData\":\"0x0\"", 0, NULL },
	{ "{\"hash\"", "[{\"hash\"", 0, NULL },
	/* a fake field before the real one: neither counts, the block is
	 * refused (the writer's tree would have read the first) */
	{ "\"miner\":", "\"miner\":\"0x0000000000000000000000000000000000000000\",\"miner\":",
	  0, "duplicate key 'miner' in $" },
	{ "\"transactions\":[", "\"transactions\":[{\"a\":1,\"\\u0061\":1},", 0,
	  "duplicate key 'a' in $.transactions[0]" },
};

START_TEST(test_edits)
{
	const char *orig = headers[0].json; /* london block 1 */
	char *s = edit(orig, edits[_i].from, edits[_i].to);
	char hash[HASH_HEX_SIZE], why[160] = "";
	int rc = header_hash(s, strlen(s), hash, why, sizeof(why));

	if (edits[_i].ok) {
		ck_assert_msg(rc == 0, "edit %d: %s", _i, why);
		if (edits[_i].ok == 1)
			ck_assert_str_ne(hash, headers[0].hash);
		else
			ck_assert_str_eq(hash, headers[0].hash);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert(why[0] != '\0');
		if (edits[_i].why)
			ck_assert_str_eq(why, edits[_i].why);
	}
	free(s);
}
END_TEST

/* null counts as absent: a London header with "withdrawalsRoot":null
 * hashes as the London header. */
START_TEST(test_null_is_absent)
{
	char *s = edit(headers[0].json, "\"totalDifficulty\"",
		       "\"withdrawalsRoot\":null,\"totalDifficulty\"");
	char hash[HASH_HEX_SIZE], why[160];

	ck_assert_int_eq(header_hash(s, strlen(s), hash, why, sizeof(why)), 0);
	ck_assert_str_eq(hash, headers[0].hash);
	free(s);
}
END_TEST

START_TEST(test_not_json)
{
	char hash[HASH_HEX_SIZE], why[160];

	ck_assert_int_eq(header_hash("{\"parentHash\":", 14, hash, why,
				     sizeof(why)), -1);
	ck_assert_int_eq(header_hash("", 0, hash, why, sizeof(why)), -1);
	ck_assert_int_eq(header_hash("null", 4, hash, why, sizeof(why)), -1);
}
END_TEST

/* header_inspect_tree() on json_parse()'s tree reads what
 * header_inspect() reads from the text: the same result, fields and
 * reason (json_parse() refuses what is not JSON or repeats a key). */
static void inspect_both(const char *json)
{
	struct header_info a, b;
	char wa[160] = "", wb[160] = "";
	yajl_val t = json_parse(json, NULL, 0);
	int ra, rb;

	if (!t)
		return;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = header_inspect(json, strlen(json), &a, wa, sizeof(wa));
	rb = header_inspect_tree(t, &b, wb, sizeof(wb));
	yajl_tree_free(t);
	ck_assert_int_eq(ra, rb);
	ck_assert_str_eq(wa, wb);
	if (ra == 0) {
		ck_assert_uint_eq(a.number, b.number);
		ck_assert_str_eq(a.hash, b.hash);
		ck_assert_str_eq(a.parent_hash, b.parent_hash);
		ck_assert_str_eq(a.computed, b.computed);
	}
}

START_TEST(test_inspect_tree)
{
	for (size_t i = 0; i < NHEADERS; i++)
		inspect_both(headers[i].json);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *s = edit(headers[0].json, edits[i].from, edits[i].to);

		inspect_both(s);
		free(s);
	}
}
END_TEST

static Suite *header_suite(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_real_headers, 0, NHEADERS);
	tcase_add_loop_test(tc, test_rlp_shape, 0, NHEADERS);
	tcase_add_loop_test(tc, test_edits, 0, sizeof(edits) / sizeof(edits[0]));
	tcase_add_test(tc, test_null_is_absent);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_inspect_tree);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(header_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
