// gRPC server reflection (grpc.reflection.v1 and v1alpha, `@grpc/reflection`) for the services of
// the gateway's port, so grpcurl and other generic clients can list, describe and call them. The
// descriptors are the proto files' own, made as protoc makes them: field names as written
// (keepCase), map entry types named `<Field>Entry`, type references fully qualified, and each file
// declaring the files it uses — protobufjs writes `Statuses`, relative names such as
// `v1.EmotionProbs` and no dependencies, which protoc-based tools refuse or resolve to the wrong
// package. Hand-written: a rewrite of the serialised descriptors, which no library does.
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { protoDefinition } from '../../../proto/load.ts';

/** Where the descriptors of the services on the port come from. */
const PROTO_FILES = ['voicepulse.proto', 'query.proto'];

interface MessageDescriptor {
  name: string;
  field: { typeName?: string }[];
  nestedType: MessageDescriptor[];
  enumType: { name: string }[];
  options?: { mapEntry?: boolean };
}
interface FileDescriptor {
  name: string;
  package?: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: { name: string }[];
  service: { method: { inputType?: string; outputType?: string }[] }[];
}

/** Adds reflection for `services` (fully-qualified names) to `server`. */
export function addReflection(server: Pick<grpc.Server, 'addService'>, services: readonly string[]): void {
  const definition: protoLoader.PackageDefinition = Object.assign(
    {},
    ...PROTO_FILES.map((f) => protoDefinition(f, { keepCase: true })),
    protoLoader.loadSync(healthProtoPath, { keepCase: true }),
  );
  new ReflectionService(protocDescriptors(definition), { services: [...services] }).addToServer(server);
}

/** `definition` with every file descriptor as protoc writes it (see the header). */
function protocDescriptors(definition: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  const decoded = new Map<Buffer, FileDescriptor>();
  for (const d of Object.values(definition))
    if ('fileDescriptorProtos' in d)
      for (const bytes of d.fileDescriptorProtos as Buffer[])
        if (!decoded.has(bytes))
          decoded.set(bytes, descriptor.FileDescriptorProto.decode(bytes) as unknown as FileDescriptor);

  // Every message and enum by fully-qualified name (and the file reflection serves it from, the
  // first of that name), after map entries get protoc's names.
  const known = new Map<string, string>();
  let fileName = '';
  const add = (fqn: string) => {
    if (!known.has(fqn)) known.set(fqn, fileName);
  };
  const index = (scope: string, m: MessageDescriptor) => {
    for (const nested of m.nestedType) {
      if (nested.options?.mapEntry && !nested.name.endsWith('Entry')) {
        const old = nested.name;
        nested.name = `${old}Entry`;
        for (const f of m.field)
          if (f.typeName === old || f.typeName?.endsWith(`.${old}`)) f.typeName += 'Entry';
      }
    }
    const name = `${scope}.${m.name}`;
    add(name);
    for (const e of m.enumType) add(`${name}.${e.name}`);
    for (const nested of m.nestedType) index(name, nested);
  };
  for (const file of decoded.values()) {
    const pkg = file.package ? `.${file.package}` : '';
    fileName = file.name;
    for (const m of file.messageType) index(pkg, m);
    for (const e of file.enumType) add(`${pkg}.${e.name}`);
  }
  // A reference as written, resolved from `scope` outwards (protobuf's rule) to its full name.
  const qualify = (ref: string | undefined, scope: string) => {
    if (!ref || ref.startsWith('.')) return ref;
    for (let s = scope; ; s = s.slice(0, Math.max(0, s.lastIndexOf('.')))) {
      if (known.has(`${s}.${ref}`)) return `${s}.${ref}`;
      if (s === '') return ref;
    }
  };
  const encoded = new Map<Buffer, Buffer>();
  for (const [bytes, file] of decoded) {
    const uses = (ref: string | undefined) => {
      const from = ref && known.get(ref);
      if (from && from !== file.name && !file.dependency.includes(from)) file.dependency.push(from);
      return ref;
    };
    const resolve = (scope: string, m: MessageDescriptor) => {
      const name = `${scope}.${m.name}`;
      for (const f of m.field) f.typeName = uses(qualify(f.typeName, name));
      for (const nested of m.nestedType) resolve(name, nested);
    };
    const pkg = file.package ? `.${file.package}` : '';
    for (const m of file.messageType) resolve(pkg, m);
    for (const s of file.service)
      for (const method of s.method) {
        method.inputType = uses(qualify(method.inputType, pkg));
        method.outputType = uses(qualify(method.outputType, pkg));
      }
    encoded.set(bytes, Buffer.from(descriptor.FileDescriptorProto.encode(file as never).finish()));
  }
  return Object.fromEntries(
    Object.entries(definition).map(([name, d]) => [
      name,
      'fileDescriptorProtos' in d
        ? { ...d, fileDescriptorProtos: (d.fileDescriptorProtos as Buffer[]).map((b) => encoded.get(b) ?? b) }
        : d,
    ]),
  ) as protoLoader.PackageDefinition;
}
