// Loads a gRPC contract from proto/ the one way every service and client here reads it.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO_DIR = fileURLToPath(new URL('.', import.meta.url));

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/**
 * The package definition of `file` (a name in proto/, e.g. 'voicepulse.proto'), imports resolved in
 * proto/. `keepCase`: field names as the proto spells them (what server reflection must describe).
 */
export function protoDefinition(file: string, o: { keepCase?: boolean } = {}): protoLoader.PackageDefinition {
  return protoLoader.loadSync(file, { ...LOADER_OPTIONS, ...o });
}

/** The package tree of `file` (a name in proto/, e.g. 'voicepulse.proto'), imports resolved in proto/. */
export function loadProto(file: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoDefinition(file));
}

/** The live service's contract (voicepulse.proto): the client constructor; `.service` is the server-side definition. */
export function voicePulseService(): grpc.ServiceClientConstructor {
  const pkg = loadProto('voicepulse.proto') as unknown as {
    voicepulse: { v1: { VoicePulse: grpc.ServiceClientConstructor } };
  };
  return pkg.voicepulse.v1.VoicePulse;
}
