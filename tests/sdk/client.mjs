// What both scripts share: the SDK's gRPC client on the simulator (native
// gRPC, plaintext: SIMNET is host:port) and the signer (SUI_SECRET).

import { ChannelCredentials } from '@grpc/grpc-js';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { GrpcTransport } from '@protobuf-ts/grpc-transport';

export const client = new SuiGrpcClient({
  network: 'localnet',
  transport: new GrpcTransport({
    host: process.env.SIMNET,
    channelCredentials: ChannelCredentials.createInsecure(),
  }),
});

export const signer = Ed25519Keypair.fromSecretKey(process.env.SUI_SECRET);
