// The model of a flat spec, one per spec object (as the reconciler keeps one per accepted document), so code that
// compares models by identity sees the same model for the same spec.
import { fromFlat } from '../../src/model/flat.ts';
import type { LoadBalancerModel } from '../../src/model/types.ts';
import type { LoadBalancerSpec } from '../../src/spec/types.ts';

const models = new WeakMap<LoadBalancerSpec, LoadBalancerModel>();

export function modelOf(s: LoadBalancerSpec): LoadBalancerModel {
  let m = models.get(s);
  if (m === undefined) {
    m = fromFlat(s);
    models.set(s, m);
  }
  return m;
}
