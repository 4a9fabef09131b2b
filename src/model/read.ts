/**
 * Untrusted JSON → the model, whichever form the document is in: after the envelope, a document with a `rules`
 * key is the VPSie form (vpsie-form.md), any other the flat form (loadbalancer-spec.md).
 */
import type { SpecValidationContext } from '../spec/types.ts';
import { type BodyValidation, parseJsonBody, readLoadBalancer, validateBody } from '../spec/validate.ts';
import { readVpsieLoadBalancer } from '../spec/vpsie/read.ts';
import { own } from '../spec/read.ts';
import { fromFlat } from './flat.ts';
import type { LoadBalancerModel } from './types.ts';
import { fromVpsie } from './vpsie.ts';

export type DocumentForm = 'flat' | 'vpsie';
export type DocumentValidation = BodyValidation<LoadBalancerModel>;

export function validateDocument(body: unknown, ctx: SpecValidationContext): DocumentValidation {
  return validateBody(body, (sink, doc, base) => {
    if (own(doc, 'rules') !== undefined) {
      const lb = readVpsieLoadBalancer(sink, doc, base, ctx);
      return lb === undefined || sink.problems.length > 0 ? undefined : fromVpsie(lb, sink.warnings);
    }
    const spec = readLoadBalancer(sink, doc, base, ctx);
    return spec === undefined ? undefined : fromFlat(spec);
  });
}

/** `JSON.parse` (a leading byte order mark is ignored, RFC 8259 §8.1), then `validateDocument`. */
export function parseDocumentText(text: string, ctx: SpecValidationContext): DocumentValidation {
  const parsed = parseJsonBody(text);
  return parsed.ok ? validateDocument(parsed.body, ctx) : parsed;
}
