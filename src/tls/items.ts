/**
 * The certificates of a model in one pass: each item (a domain's, a rule's, a flat LB's) is read once and checked
 * once; the result is the model with every item inline, holding exactly the checked content (the renderer stages
 * content-addressed copies of it and the SDS secrets that name them), or every problem of every item at once.
 */
import type { CertificateItem, LoadBalancerModel } from '../model/types.ts';
import type { Problem } from '../util/result.ts';
import type { CertificateInfo } from './check.ts';
import { checkTlsMaterial } from './check.ts';
import type { DomainCertificate } from './manager.ts';
import { type AcceptedTlsFiles, explainPathProblems, inlineTlsSources } from './sources.ts';
import { readTlsSources, tlsSpecPaths } from './store.ts';

export type CheckedCertificates =
  | { readonly ok: false; readonly problems: Problem[] }
  | {
      readonly ok: true;
      /** The model with every certificate item inline (the checked content). */
      readonly model: LoadBalancerModel;
      readonly certificates: readonly DomainCertificate[];
      /** Remembers the files of this generation's path items as accepted (call once it is usable). */
      readonly accept: () => void;
    };

export async function checkCertificates(
  model: LoadBalancerModel,
  now: Date,
  accepted: AcceptedTlsFiles | undefined,
): Promise<CheckedCertificates> {
  const results = await Promise.all(model.certificates.map((item) => checkItem(item, now, accepted)));
  const problems = results.flatMap((r) => ('problems' in r ? r.problems : []));
  if (problems.length > 0) return { ok: false, problems };
  const good = results.flatMap((r) => ('material' in r ? [r] : []));
  const inline = new Map(good.map((r) => [r.item.secretName, r.inlined]));
  return {
    ok: true,
    model: {
      ...model,
      certificates: model.certificates.map((c) => ({ ...c, tls: inline.get(c.secretName) ?? c.tls })),
    },
    certificates: good.flatMap((r) => (r.info === undefined ? [] : [{ label: r.item.label, info: r.info }])),
    accept: () => accepted?.acceptAll(good.map((r) => ({ tls: r.item.tls, material: r.material }))),
  };
}

type ItemCheck =
  | { readonly problems: Problem[] }
  | {
      readonly item: CertificateItem;
      readonly material: Parameters<typeof inlineTlsSources>[1];
      readonly inlined: ReturnType<typeof inlineTlsSources>;
      readonly info?: CertificateInfo;
    };

async function checkItem(
  item: CertificateItem,
  now: Date,
  accepted: AcceptedTlsFiles | undefined,
): Promise<ItemCheck> {
  const tls = item.tls;
  const paths = tlsSpecPaths(tls, item.path);
  const rejected = (problems: readonly Problem[], material?: Parameters<typeof inlineTlsSources>[1]) => ({
    problems: explainPathProblems(tls, paths, problems, material, accepted),
  });
  const material = await readTlsSources(tls, item.path);
  if (!material.ok) return rejected(material.problems);
  const checked = checkTlsMaterial(material.value, now, paths);
  if (checked.problems.length > 0) return rejected(checked.problems, material.value);
  return {
    item,
    material: material.value,
    inlined: inlineTlsSources(tls, material.value),
    ...(checked.info === undefined ? {} : { info: checked.info }),
  };
}
