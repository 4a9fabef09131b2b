// The systemd units as systemd itself reads them: `systemd-analyze verify` in a throwaway root (this machine has
// no systemd as PID 1, and verify wants the ExecStart binary and the standard targets to exist), and the
// `systemd-analyze security` exposure, which must stay low.
import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mustRun, ROOT, run } from './helpers.ts';

const UNITS = ['vpsie-lb-agent.service', 'vpsie-lb-envoy.service'] as const;
const MAX_EXPOSURE = 2.5;

interface SecurityCheck {
  set: boolean;
  name: string;
  exposure: string | null;
}

describe('systemd units', () => {
  let root: string;

  before(() => {
    mustRun(join(ROOT, 'scripts', 'ensure-tools.sh'), ['deb']);
    root = mkdtempSync(join(tmpdir(), 'vpsie-lb-units-'));
    const unitDir = join(root, 'lib', 'systemd', 'system');
    mkdirSync(unitDir, { recursive: true });
    // The host's own units (sysinit.target, network-online.target...), which ours refer to.
    cpSync('/usr/lib/systemd/system', unitDir, { recursive: true, verbatimSymlinks: true });
    for (const u of UNITS) copyFileSync(join(ROOT, 'packaging', 'systemd', u), join(unitDir, u));
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(root, 'usr', 'bin', 'vpsie-lb-agent'), '#!/bin/sh\n');
    chmodSync(join(root, 'usr', 'bin', 'vpsie-lb-agent'), 0o755);
    // ExecReload's /bin/kill (procps, a dependency of the package).
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'kill'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin', 'kill'), 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const verify = (unit: string) =>
    run('systemd-analyze', ['verify', `--root=${root}`, `/lib/systemd/system/${unit}`]);

  for (const unit of UNITS) {
    it(`${unit} passes systemd-analyze verify without a single warning`, () => {
      const r = verify(unit);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'systemd-analyze printed warnings');
    });
  }

  it('verify does catch a misspelt directive (so the check above means something)', () => {
    const bad = join(root, 'lib', 'systemd', 'system', 'vpsie-lb-typo.service');
    const text = readFileSync(join(ROOT, 'packaging', 'systemd', 'vpsie-lb-agent.service'), 'utf8');
    writeFileSync(bad, text.replace('LockPersonality=yes', 'LockPersonalty=yes'));
    const r = verify('vpsie-lb-typo.service');
    assert.match(r.stderr, /Unknown key 'LockPersonalty'/);
  });

  const security = (unit: string) => {
    const r = mustRun('systemd-analyze', [
      'security',
      '--offline=yes',
      `--root=${root}`,
      '--json=short',
      `/lib/systemd/system/${unit}`,
    ]);
    return new Map((JSON.parse(r.stdout) as SecurityCheck[]).map((c) => [c.name, c]));
  };
  const overall = (unit: string): number => {
    const r = mustRun('systemd-analyze', [
      'security',
      '--offline=yes',
      `--root=${root}`,
      `/lib/systemd/system/${unit}`,
    ]);
    const m = /Overall exposure level for \S+: ([0-9.]+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    return Number(m[1]);
  };

  for (const unit of UNITS) {
    it(`${unit} exposure is at most ${MAX_EXPOSURE} (systemd-analyze security)`, (t) => {
      const score = overall(unit);
      t.diagnostic(`${unit}: exposure ${score}`);
      assert.ok(score <= MAX_EXPOSURE, `${unit}: exposure ${score} > ${MAX_EXPOSURE}`);
    });
  }

  it('the agent has only CAP_CHOWN (no network capability); the launcher only CAP_NET_BIND_SERVICE', () => {
    const agent = security('vpsie-lb-agent.service');
    const launcher = security('vpsie-lb-envoy.service');
    assert.equal(agent.get('CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)')?.set, true);
    assert.equal(agent.get('AmbientCapabilities=')?.set, true);
    assert.equal(launcher.get('CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)')?.set, false);
    assert.equal(launcher.get('CapabilityBoundingSet=~CAP_NET_ADMIN')?.set, true);
    assert.equal(launcher.get('CapabilityBoundingSet=~CAP_SYS_ADMIN')?.set, true);
    assert.equal(launcher.get('User=/DynamicUser=')?.set, true, 'the launcher must not run as root');
  });

  it('both keep W+X memory allowed (V8 JIT) and everything else locked down', () => {
    for (const unit of UNITS) {
      const checks = security(unit);
      assert.equal(checks.get('MemoryDenyWriteExecute=')?.set, false, `${unit}: Node needs W+X pages`);
      for (const name of [
        'NoNewPrivileges=',
        'ProtectSystem=',
        'ProtectHome=',
        'PrivateTmp=',
        'PrivateDevices=',
        'ProtectKernelTunables=',
        'ProtectKernelModules=',
        'ProtectKernelLogs=',
        'ProtectControlGroups=',
        'RestrictNamespaces=~user',
        'LockPersonality=',
        'RestrictAddressFamilies=~AF_PACKET',
        'SystemCallArchitectures=',
        'PrivateMounts=',
      ]) {
        assert.equal(checks.get(name)?.set, true, `${unit}: ${name}`);
      }
    }
  });
});
