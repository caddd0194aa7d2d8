// Mysten's SDK against an upgraded package: the app calls the latest version
// (LATEST) while types and events keep the original id (PACKAGE_ID). Starts
// the pending job PENDING. Prints one JSON object; tests/test_simnet_sdk.py
// checks it. Environment as app_jobs.mjs, and LATEST.

import { Transaction } from '@mysten/sui/transactions';

import { client, signer } from './client.mjs';

const { LATEST, APP_INSTANCE, PENDING } = process.env;
const include = { effects: true, events: true, objectTypes: true };

const { function: start } = await client.getMoveFunction({
  packageId: LATEST,
  moduleName: 'app_instance',
  name: 'start_app_job',
});
const tx = new Transaction();
tx.moveCall({
  target: `${LATEST}::app_instance::start_app_job`,
  arguments: [tx.object(APP_INSTANCE), tx.pure.u64(Number(PENDING)), tx.object.clock()],
});
const result = await client.signAndExecuteTransaction({ transaction: tx, signer, include });
const { Transaction: done } = await client.waitForTransaction({ result, include });

console.log(JSON.stringify({
  success: done.status.success,
  first_parameter: start.parameters[0].body.datatype?.typeName ?? null,
  events: done.events.map(({ packageId, eventType }) => [packageId, eventType]),
  object_types: Object.values(done.objectTypes),
}));
