// The human view of GET /status (pure: a status document in, lines out). Listeners first, each with its pools and
// backends: the shape the multi-rule model fills with one listener per rule.
import type { AgentStatus } from '../server/status.ts';
import { duration, fit, type Style, short, when } from './style.ts';

/**
 * Converged (what the spec asks for is what is live) and serving: Envoy LIVE and no pool with enabled backends
 * left without a healthy one. One backend down of several is still serving (status shows it).
 */
export function healthy(s: AgentStatus): boolean {
  const converged = s.desired_hash !== null && s.desired_hash === s.applied_hash;
  const poolDown = s.listeners.some((l) =>
    l.pools.some((p) => {
      const enabled = p.backends.filter((b) => b.enabled);
      return enabled.length > 0 && enabled.every((b) => b.health === 'unhealthy');
    }),
  );
  return converged && s.envoy.state === 'LIVE' && !poolDown;
}

const DAY = 86_400;

export function statusLines(s: AgentStatus, st: Style): string[] {
  const out: string[] = [];
  const label = (name: string, text: string) => out.push(fit(`${st.bold(name.padEnd(9))}${text}`));

  out.push(
    fit(
      st.bold(
        `load balancer ${s.lb_id ?? '(no spec yet)'}${s.lb_name ? ` (${s.lb_name})` : ''}  ·  agent ${s.version}, up ${duration(s.uptime_seconds * 1000)}`,
      ),
    ),
  );
  label('source', s.source);
  if (s.hold !== null) {
    label(
      'state',
      `${st.warn('HELD')} on generation ${s.hold.generation} (${short(s.hold.to_hash)}) since ${when(s.hold.since)}`,
    );
    out.push(
      fit(`         not applying ${short(s.hold.from_hash)} (ends: a new spec, or vpsie-lb-agent release)`),
    );
  } else if (s.desired_hash !== null && s.desired_hash === s.applied_hash) {
    label('state', `${st.ok('CONVERGED')}  ${short(s.applied_hash)} applied`);
  } else {
    label(
      'state',
      `${st.bad('NOT CONVERGED')}  desired ${short(s.desired_hash)}, applied ${short(s.applied_hash)}`,
    );
  }
  if (s.lb_status !== null) {
    const paint =
      s.lb_status.status === 'active' ? st.ok : s.lb_status.status === 'degraded' ? st.warn : st.bad;
    label('lb', `${paint(s.lb_status.status)}${s.lb_status.reason === '' ? '' : `: ${s.lb_status.reason}`}`);
  }
  const e = s.envoy;
  const envoyState = e.state === 'LIVE' ? st.ok(e.state) : st.bad(e.state);
  const parts = [
    envoyState,
    e.epoch === null ? undefined : `epoch ${e.epoch}`,
    e.pid === null ? undefined : `pid ${e.pid}`,
    `strategy ${s.apply_strategy}`,
  ].filter((p) => p !== undefined);
  label('envoy', parts.join('  '));

  out.push('');
  if (s.listeners.length === 0) out.push(st.dim('no listeners (no usable spec yet)'));
  for (const [i, l] of s.listeners.entries()) {
    if (i > 0) out.push('');
    out.push(fit(`${st.bold('LISTENER')} ${l.name}  ${l.protocol} :${l.port}`));
    for (const p of l.pools) {
      const enabled = p.backends.filter((b) => b.enabled);
      const up = enabled.filter((b) => b.health === 'healthy').length;
      const count = `${up}/${enabled.length} healthy`;
      const paint = up === enabled.length ? st.ok : up === 0 ? st.bad : st.warn;
      const domains = p.domains.length > 0 ? `  ${p.domains.join(' ')}` : '';
      out.push(fit(`  pool ${p.name}  ${p.algorithm}  ${paint(count)}${domains}`));
      for (const b of p.backends) {
        const where = `${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}`;
        const health = !b.enabled
          ? st.dim('disabled')
          : b.health === 'healthy'
            ? st.ok('healthy')
            : b.health === 'unhealthy'
              ? st.bad('DOWN')
              : st.warn('unknown');
        out.push(fit(`    ${b.id.padEnd(16)} ${where.padEnd(40)} ${health}`));
      }
    }
  }

  if (s.certificates.length > 0) {
    out.push('');
    out.push(st.bold('CERTIFICATES'));
    for (const c of s.certificates) {
      const days = Math.floor(c.seconds_to_expiry / DAY);
      const paint = days < 0 ? st.bad : days < 14 ? st.warn : st.ok;
      const left = days < 0 ? 'EXPIRED' : `${days} days`;
      out.push(fit(`  ${c.domain}  ${c.name}  expires ${when(c.not_after)} (${paint(left)})`));
    }
  }

  out.push('');
  const r = s.last_reconcile;
  if (r === null) label('reconcile', st.dim('none finished yet'));
  else {
    const paint =
      r.result === 'applied' || r.result === 'unchanged' ? st.ok : r.result === 'held' ? st.warn : st.bad;
    out.push(
      fit(
        `${st.bold('LAST RECONCILE')} ${when(r.at)}  ${r.trigger} -> ${paint(r.result)} (${duration(r.duration_ms)})`,
      ),
    );
    if (r.error !== null) out.push(fit(`  ${r.error}`));
    for (const p of r.problems.slice(0, 5)) out.push(fit(`  ${p}`));
    if (r.problems.length > 5) out.push(`  (${r.problems.length - 5} more)`);
  }
  if (s.transactions.length > 0) {
    out.push(st.bold('TRANSACTIONS') + st.dim(' (newest first; all: vpsie-lb-agent history)'));
    for (const t of s.transactions.slice(0, 5)) out.push(...transactionLines(t, st));
  }
  label('events', `${s.event_queue.depth} queued, ${s.event_queue.dropped} dropped`);
  return out;
}

/** One transaction in at most three lines: when, outcome, hash, duration; strategy/stage/epoch; error. */
export function transactionLines(t: AgentStatus['transactions'][number], st: Style): string[] {
  const paint =
    t.state === 'committed' ? st.ok : t.state === 'pending' || t.state === 'applying' ? st.warn : st.bad;
  const took = t.endedAt === undefined ? 'open' : duration(Date.parse(t.endedAt) - Date.parse(t.startedAt));
  const lines = [
    fit(
      `  ${t.id.slice(0, 8)}  ${when(t.startedAt)}  ${paint(t.state.padEnd(11))} ${short(t.hash)}  ${took}`,
    ),
    fit(
      st.dim(
        `            ${t.strategy}  stage ${t.stage ?? '-'}  epoch ${t.epoch ?? '-'}  from ${short(t.previousHash)}`,
      ),
    ),
  ];
  if (t.error !== undefined) lines.push(fit(`            error: ${t.error}`));
  return lines;
}
