// The terminal form of a plan, 80 columns.
import type { FieldChange, Plan } from './plan-diff.ts';
import { MAX_FIELDS } from './plan-diff.ts';
import { fit, type Style, short } from './style.ts';

const show = (v: unknown): string => {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
};

/**
 * A field path that does not fit keeps its first segment and its most specific end:
 * `filter_chains…typed_config.request_timeout`.
 */
export function elide(path: string, width: number): string {
  if (path.length <= width) return path;
  const head = /^[^.[]+/.exec(path)?.[0] ?? '';
  const room = width - head.length - 1;
  if (room < 12) return `…${path.slice(path.length - (width - 1))}`;
  const tail = path.slice(path.length - room);
  const cut = tail.indexOf('.');
  return `${head}…${cut >= 0 && cut < tail.length - 1 ? tail.slice(cut + 1) : tail}`;
}

function fieldLines(fields: readonly FieldChange[], st: Style): string[] {
  const out: string[] = [];
  for (const f of fields.slice(0, MAX_FIELDS)) {
    const hidden = !('before' in f) && !('after' in f);
    if (hidden) {
      out.push(`    ${elide(f.path, 76)}`);
      continue;
    }
    // A whole element added or removed (a backend, a filter chain): its key in the path says which.
    if (f.before === undefined && typeof f.after === 'object' && f.after !== null) {
      out.push(`    ${st.ok('+')} ${elide(f.path, 74)}`);
      continue;
    }
    if (f.after === undefined && typeof f.before === 'object' && f.before !== null) {
      out.push(`    ${st.bad('-')} ${elide(f.path, 74)}`);
      continue;
    }
    const values = `${st.bad(show(f.before))} -> ${st.ok(show(f.after))}`;
    const one = `    ${f.path}: ${values}`;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes do not take columns
    if (one.replace(/\x1b\[\d+m/g, '').length <= 80) out.push(one);
    else out.push(`    ${elide(f.path, 75)}:`, fit(`      ${values}`));
  }
  if (fields.length > MAX_FIELDS) out.push(st.dim(`    (${fields.length - MAX_FIELDS} more fields)`));
  return out;
}

export function planLines(
  h: { spec: string; stateDir: string; committed: { generation: number; hash: string } | null; hash: string },
  plan: Plan,
  st: Style,
): string[] {
  const out: string[] = [];
  const against =
    h.committed === null
      ? `nothing committed in ${h.stateDir}`
      : `generation ${h.committed.generation} (${short(h.committed.hash)}) in ${h.stateDir}`;
  out.push(fit(st.bold(`plan for ${h.spec}`)));
  out.push(fit(`  against ${against}`));
  if (plan.method.kind === 'none') {
    out.push(`  ${st.ok('no change')}: ${short(h.hash)} is what is committed`);
    return out;
  }
  const count = (c: string) => plan.resources.filter((r) => r.change === c).length;
  out.push(
    fit(
      `  new configuration ${short(h.hash)}: ${count('added')} to add, ${count('modified')} to change, ${count('removed')} to remove`,
    ),
  );
  out.push('');
  for (const r of plan.resources) {
    const mark = r.change === 'added' ? st.ok('+') : r.change === 'removed' ? st.bad('-') : st.warn('~');
    out.push(fit(`${mark} ${r.type} ${st.bold(r.name)}${r.change === 'modified' ? '' : ` (${r.change})`}`));
    out.push(...fieldLines(r.fields, st));
  }
  if (plan.bootstrap.length > 0) {
    out.push(`${st.warn('~')} ${st.bold('bootstrap')}`);
    out.push(...fieldLines(plan.bootstrap, st));
  }
  for (const p of plan.certificates.added) out.push(fit(`${st.ok('+')} certificate file ${p}`));
  for (const p of plan.certificates.removed) out.push(fit(`${st.bad('-')} certificate file ${p}`));
  out.push('');
  const how = {
    start: 'Envoy starts',
    file_update: 'file update (no new Envoy epoch)',
    hot_restart: st.warn('HOT RESTART (new Envoy epoch)'),
    none: 'nothing',
  }[plan.method.kind];
  out.push(fit(`${st.bold('apply')}  ${how}`));
  for (const r of plan.method.reasons) out.push(fit(`       ${r}`));
  if (plan.draining.length === 0) out.push(`${st.bold('drain')}  no listener drains connections`);
  for (const [i, d] of plan.draining.entries()) {
    out.push(fit(`${i === 0 ? st.bold('drain') : '     '}  ${st.warn(d.listener)}`));
    out.push(fit(`         ${d.why}`));
  }
  return out;
}
