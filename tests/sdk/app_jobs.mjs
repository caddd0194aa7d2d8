// Mysten's SDK against the simulator, after example.mjs: complete the job it
// started (JOB) and start a pending one (PENDING) through a multicall, then
// read back what an app reads. The SDK resolves every transaction itself
// (SimulateTransaction), signs, executes and waits; results are read back with
// the SDK's parsers. Prints one JSON object; tests/test_simnet_sdk.py checks it.
//
// Environment: SIMNET (host:port), SUI_SECRET (suiprivkey1...), PACKAGE_ID,
// APP_INSTANCE (object id), JOB, PENDING (job sequences).

import { bcs } from '@mysten/sui/bcs';
import { Transaction } from '@mysten/sui/transactions';

import { client, signer } from './client.mjs';

const { PACKAGE_ID, APP_INSTANCE } = process.env;
const [job, pending] = [Number(process.env.JOB), Number(process.env.PENDING)];
const include = { effects: true, events: true, balanceChanges: true, objectTypes: true };

const Multicall = bcs.struct('MulticallExecutedEvent', {
  coordinator: bcs.Address,
  complete_jobs: bcs.vector(bcs.u64()),
  complete_results: bcs.vector(bcs.bool()),
  fail_jobs: bcs.vector(bcs.u64()),
  fail_results: bcs.vector(bcs.bool()),
  terminate_jobs: bcs.vector(bcs.u64()),
  terminate_results: bcs.vector(bcs.bool()),
  start_jobs: bcs.vector(bcs.u64()),
  start_results: bcs.vector(bcs.bool()),
});

/** Build, sign, execute and wait; the executed transaction as the SDK parsed it. */
async function run(tx) {
  const result = await client.signAndExecuteTransaction({ transaction: tx, signer, include });
  const done = await client.waitForTransaction({ result, include });
  const executed = done.Transaction ?? done.FailedTransaction;
  if (!executed.status.success) throw new Error(`failed: ${executed.status.error.message}`);
  return executed;
}

function call(tx, fn, args) {
  tx.moveCall({
    target: `${PACKAGE_ID}::app_instance::${fn}`,
    arguments: [tx.object(APP_INSTANCE), ...args, tx.object.clock()],
  });
}

function eventsNamed(executed, name) {
  return executed.events.filter((event) => event.eventType.endsWith(`::${name}`));
}

const address = signer.toSuiAddress();
const before = await client.getBalance({ owner: address });
const { balances } = await client.listBalances({ owner: address });
const { referenceGasPrice } = await client.getReferenceGasPrice();
const { protocolConfig } = await client.getProtocolConfig();
const { systemState } = await client.getCurrentSystemState();
const { function: startFunction } = await client.getMoveFunction({
  packageId: PACKAGE_ID,
  moduleName: 'app_instance',
  name: 'start_app_job',
});
// A Job's layout as the package describes it (the SDK's generated gRPC client).
const { response: jobType } = await client.movePackageService.getDatatype({
  packageId: PACKAGE_ID,
  moduleName: 'jobs',
  name: 'Job',
});
// A transaction kind alone (what a sponsor is sent): resolved by the simulator, not run.
const kindOnly = new Transaction();
call(kindOnly, 'start_app_job', [kindOnly.pure.u64(pending)]);
const kindBytes = await kindOnly.build({ client, onlyTransactionKind: true });

const complete = new Transaction();
call(complete, 'complete_app_job', [complete.pure.u64(job)]);
const completed = await run(complete);

// A multicall starts the pending job (its memory need given), completing nothing.
const multicall = new Transaction();
call(multicall, 'multicall_app_job_operations', [
  multicall.pure.vector('u64', []),
  multicall.pure.vector('u64', []),
  multicall.pure.vector('string', []),
  multicall.pure.vector('u64', []),
  multicall.pure.vector('u64', [pending]),
  multicall.pure.vector('u64', [1]),
  multicall.pure.u64(8),
]);
const multicalled = await run(multicall);
const [multicallEvent] = eventsNamed(multicalled, 'MulticallExecutedEvent');
const results = Multicall.parse(multicallEvent.bcs);

const fetched = await client.getTransaction({
  digest: completed.digest,
  include: { ...include, transaction: true, bcs: true },
});
const [firstCommand] = fetched.Transaction.transaction.commands;
const [app] = (await client.getObjects({ objectIds: [APP_INSTANCE] })).objects;
const after = await client.getBalance({ owner: address });
const gas = [completed, multicalled]
  .map((tx) => tx.balanceChanges.reduce((sum, change) => sum + BigInt(change.amount), 0n))
  .reduce((sum, spent) => sum + spent, 0n);

console.log(JSON.stringify({
  address,
  kind_bytes: kindBytes.length,
  completed: eventsNamed(completed, 'JobCompletedEvent').length,
  multicall_start: results.start_jobs.map(Number),
  multicall_results: results.start_results,
  fetched: {
    digest: fetched.Transaction.digest,
    checkpoint: fetched.Transaction.checkpoint,
    signatures: fetched.Transaction.signatures.length,
    effects_status: fetched.Transaction.effects.status.success,
    object_types: Object.values(fetched.Transaction.objectTypes),
    move_call: [firstCommand.MoveCall.package, firstCommand.MoveCall.function],
    inputs: fetched.Transaction.transaction.inputs.map((input) => input.$kind),
    bcs_bytes: fetched.Transaction.bcs.length,
    dependencies: fetched.Transaction.effects.dependencies.length,
    events_digest: fetched.Transaction.effects.eventsDigest,
  },
  app_instance: { type: app.type, owner: app.owner.$kind },
  chain: {
    balances: balances.map(({ coinType, balance }) => [coinType, balance]),
    reference_gas_price: referenceGasPrice,
    protocol_version: protocolConfig.protocolVersion,
    epoch: systemState.epoch,
    epoch_start_ms: systemState.epochStartTimestampMs,
  },
  start_app_job: {
    visibility: startFunction.visibility,
    parameters: startFunction.parameters.map(({ reference, body }) => [reference, body.$kind]),
    returns: startFunction.returns.map(({ body }) => body.$kind),
  },
  job_datatype: {
    defining_id: jobType.datatype.definingId,
    fields: jobType.datatype.fields.map(({ name, type }) => [name, type.typeName ?? null]),
  },
  balance_before: before.balance.balance,
  coin_balance_after: after.balance.coinBalance,
  balance_after: after.balance.balance,
  gas: gas.toString(),
}));
