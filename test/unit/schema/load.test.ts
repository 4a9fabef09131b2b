/** The precompiled table and the direct proto load give the same schema; the fallback works without the file. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { generatedSchemaPath, loadSchema } from '../../../src/envoy/schema/load.ts';

const fromProtos = loadSchema(join(tmpdir(), 'no-such-envoy-schema.json'));

test('without the generated file, the protos are compiled directly', () => {
  assert.equal(fromProtos.source, 'protos');
  assert.match(fromProtos.fallbackReason ?? '', /missing/);
  const sa = fromProtos.data.messages['envoy.config.core.v3.SocketAddress'];
  const port = sa?.fields.find((f) => f.name === 'port_value');
  assert.deepEqual(port?.rules, { uint32: { lte: 65535 } });
  assert.equal(port?.json, 'portValue');
  assert.deepEqual(sa?.oneofs, [{ name: 'port_specifier', required: true }]);
  const action = fromProtos.data.messages['envoy.config.route.v3.RateLimit.Action'];
  assert.equal(action?.fields.find((f) => f.name === 'dynamic_metadata')?.disallowed, true);
  // Any can name any extension, so extensions nobody imports are in the table too.
  assert.ok(fromProtos.data.messages['envoy.extensions.filters.http.cors.v3.Cors']);
  assert.ok(fromProtos.data.messages['xds.type.v3.TypedStruct']);
  assert.equal(fromProtos.data.previous['envoy.api.v2.Cluster'], 'envoy.config.cluster.v3.Cluster');
});

test('the generated table matches the protos', () => {
  // `npm ci` builds it (prepare); a missing table is a failure, not a skip.
  assert.ok(existsSync(generatedSchemaPath()), `${generatedSchemaPath()} is missing: run npm run build`);
  const generated = loadSchema();
  assert.equal(generated.source, 'generated', generated.fallbackReason);
  assert.deepEqual(generated.data, JSON.parse(JSON.stringify(fromProtos.data)));
});
