// How failures reach Mysten's SDK from the simulator, as they would from a
// fullnode: a Move abort (found while the SDK resolves the transaction), a bad
// signature, a stale gas coin, a budget too small, type arguments to a function
// that has none. Prints one JSON object;
// tests/test_simnet_sdk.py checks it. Environment as app_jobs.mjs.

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';

import { client, signer } from './client.mjs';

const { PACKAGE_ID, APP_INSTANCE } = process.env;

function write(fn, key, value, typeArguments = []) {
  const tx = new Transaction();
  tx.setSender(signer.toSuiAddress());
  tx.moveCall({
    target: `${PACKAGE_ID}::app_instance::${fn}`,
    typeArguments,
    arguments: [tx.object(APP_INSTANCE), tx.pure.string(key), tx.pure.string(value)],
  });
  return tx;
}

/** What an SDK call threw, in the fields an app would look at. */
async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (error) {
    return {
      name: error.constructor.name,
      code: error.code ?? null,
      message: error.message,
      kind: error.executionError?.$kind ?? null,
      abort: error.executionError?.MoveAbort ?? null,
    };
  }
}

async function execute(tx) {
  const result = await client.signAndExecuteTransaction({ transaction: tx, signer });
  return client.waitForTransaction({ result });
}

await execute(write('add_metadata', 'sdk', 'first'));
const abort = await failure(execute(write('add_metadata', 'sdk', 'second')));

const unsigned = await write('set_kv', 'k', 'v').build({ client });
const stranger = new Ed25519Keypair();
const { signature: wrong } = await stranger.signTransaction(unsigned);
const badSignature = await failure(
  client.executeTransaction({ transaction: unsigned, signatures: [wrong] }),
);

// `unsigned` names the gas coin at its version now; another transaction moves it on.
await execute(write('set_kv', 'k', 'w'));
const { signature } = await signer.signTransaction(unsigned);
const stale = await failure(client.executeTransaction({ transaction: unsigned, signatures: [signature] }));

const small = write('set_kv', 'k', 'x');
small.setGasBudget(1_000_000);
const insufficientGas = await failure(small.build({ client }));

const typeArguments = await failure(write('set_kv', 'k', 'y', ['0x2::sui::SUI']).build({ client }));

console.log(JSON.stringify({ abort, badSignature, stale, insufficientGas, typeArguments }));
