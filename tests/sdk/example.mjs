// docs/simulator.md's example: with Mysten's SDK, create a job for a method of
// an app instance, start it, and read the job back from the chain's events.
// The SDK resolves each transaction itself (the simulator fills in object
// versions and gas), signs, executes and waits for it.
import { bcs } from '@mysten/sui/bcs';
import { Transaction } from '@mysten/sui/transactions';

import { client, signer } from './client.mjs';

const { PACKAGE_ID, APP_INSTANCE, METHOD } = process.env;
const include = { effects: true, events: true, balanceChanges: true };
const JobCreated = bcs.struct('JobCreatedEvent', { job_sequence: bcs.u64() });
const JobStarted = bcs.struct('JobStartedEvent', {
  job_sequence: bcs.u64(), app_instance: bcs.string(), coordinator: bcs.Address,
});

/** Run `fn` on the app instance; the event `name` it emitted. */
async function call(fn, args, name) {
  const tx = new Transaction();
  tx.moveCall({
    target: `${PACKAGE_ID}::app_instance::${fn}`,
    arguments: [tx.object(APP_INSTANCE), ...args(tx), tx.object.clock()],
  });
  const result = await client.signAndExecuteTransaction({ transaction: tx, signer, include });
  const { Transaction: done } = await client.waitForTransaction({ result, include });
  return done.events.find((event) => event.eventType.endsWith(`::${name}`));
}

const created = await call('create_app_job', (tx) => [
  tx.pure.string(METHOD), tx.pure.option('string', 'from the SDK'), tx.pure.option('u64', null),
  tx.pure.option('vector<u64>', null), tx.pure.option('vector<u64>', null),
  tx.pure.option('vector<u64>', null), tx.pure.vector('u8', [1, 5]),
  tx.pure.option('u64', null), tx.pure.option('u64', null), tx.pure.option('string', null),
], 'JobCreatedEvent');
const job = JobCreated.parse(created.bcs).job_sequence;
const start = await call('start_app_job', (tx) => [tx.pure.u64(job)], 'JobStartedEvent');
const started = JobStarted.parse(start.bcs);
console.log(JSON.stringify({ job, started_by: started.coordinator }));
