/**
 * Secrets as Envoy shows them once loaded (compared with the real binary in real-envoy/conformance.test.ts):
 * the config dump carries the file contents as `inline_bytes` (private keys as "[redacted]"), and /certs lists
 * the certificates of every TLS context.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isRecord, type Json } from './bootstrap.ts';
import { asDumped } from './protojson.ts';

const REDACTED = Buffer.from('[redacted]').toString('base64');

/** A DataSource `{filename}` read into `{inline_bytes}`, as SdsApi loads it; unreadable files stay as they are. */
function loaded(ds: unknown, redact: boolean): unknown {
  if (!isRecord(ds) || typeof ds.filename !== 'string') return ds;
  if (redact) return { inline_bytes: REDACTED };
  try {
    return { inline_bytes: readFileSync(ds.filename).toString('base64') };
  } catch {
    return ds;
  }
}

export function loadedSecret(body: Json): Json {
  const out: Json = { ...body };
  if (isRecord(body.tls_certificate)) {
    const t = body.tls_certificate;
    out.tls_certificate = {
      ...t,
      ...(t.certificate_chain === undefined ? {} : { certificate_chain: loaded(t.certificate_chain, false) }),
      ...(t.private_key === undefined ? {} : { private_key: loaded(t.private_key, true) }),
    };
  }
  if (isRecord(body.validation_context)) {
    const v = body.validation_context;
    out.validation_context = {
      ...v,
      ...(v.trusted_ca === undefined ? {} : { trusted_ca: loaded(v.trusted_ca, false) }),
    };
  }
  return out;
}

const iso = (d: string): string => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One /certs entry per certificate of a PEM bundle. */
function details(pem: string): Json[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((block) => {
    try {
      const c = new X509Certificate(block);
      const sans = (c.subjectAltName ?? '')
        .split(', ')
        .filter((s) => s !== '')
        .map((s) =>
          s.startsWith('DNS:') ? { dns: s.slice(4) } : { ip_address: s.replace(/^IP Address:/, '') },
        );
      const days = Math.floor((Date.parse(c.validTo) - Date.now()) / 86_400_000);
      return [
        {
          path: '<inline>',
          serial_number: c.serialNumber.toLowerCase(),
          subject_alt_names: sans,
          days_until_expiration: String(days),
          valid_from: iso(c.validFrom),
          expiration_time: iso(c.validTo),
        },
      ];
    } catch {
      return [];
    }
  });
}

const pemOf = (ds: unknown): string => {
  if (!isRecord(ds)) return '';
  if (typeof ds.inline_bytes === 'string') return Buffer.from(ds.inline_bytes, 'base64').toString('utf8');
  if (typeof ds.inline_string === 'string') return ds.inline_string;
  return '';
};

/** /certs: `{ca_cert, cert_chain}` per TLS context of the listeners, from the secrets they name. */
export function certificatesOf(
  listeners: readonly Json[],
  secret: (name: string) => Json | undefined,
): Json[] {
  const out: Json[] = [];
  for (const l of listeners) {
    for (const fc of Array.isArray(l.filter_chains) ? l.filter_chains.filter(isRecord) : []) {
      const ts = isRecord(fc.transport_socket) ? fc.transport_socket.typed_config : undefined;
      const ctx = isRecord(ts) && isRecord(ts.common_tls_context) ? ts.common_tls_context : undefined;
      if (ctx === undefined) continue;
      const certNames = (
        Array.isArray(ctx.tls_certificate_sds_secret_configs) ? ctx.tls_certificate_sds_secret_configs : []
      ).flatMap((s) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : []));
      const caRef = ctx.validation_context_sds_secret_config;
      const caName = isRecord(caRef) && typeof caRef.name === 'string' ? caRef.name : undefined;
      const chain = certNames.flatMap((n) => {
        const t = secret(n)?.tls_certificate;
        return isRecord(t) ? details(pemOf(t.certificate_chain)) : [];
      });
      const v = caName === undefined ? undefined : secret(caName)?.validation_context;
      const ca = isRecord(v) ? details(pemOf(v.trusted_ca)) : [];
      out.push({
        ...(ca.length === 0 ? {} : { ca_cert: ca }),
        ...(chain.length === 0 ? {} : { cert_chain: chain }),
      });
    }
  }
  return out;
}

/** RoutesConfigDump.static_route_configs: the route configurations inline in HTTP connection managers. */
export function staticRouteConfigs(listeners: readonly Json[], lastUpdated: string): Json[] {
  const out: Json[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isRecord(v)) {
      if (
        typeof v['@type'] === 'string' &&
        v['@type'].endsWith('.HttpConnectionManager') &&
        isRecord(v.route_config)
      ) {
        out.push({
          route_config: {
            '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
            ...(asDumped('envoy.config.route.v3.RouteConfiguration', v.route_config) as Json),
          },
          last_updated: lastUpdated,
        });
      }
      for (const x of Object.values(v)) walk(x);
    }
  };
  walk(listeners);
  return out;
}
