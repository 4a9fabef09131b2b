#!/usr/bin/env node
// The whole release build: tsc (npm run build) → single executables → Debian packages (the agent and the pinned
// Envoy it depends on), for amd64 and arm64.
//
//   node scripts/build-all.mjs [--arch amd64,arm64] [--compress zstd|xz|gzip|none] [--skip-tsc]
//                              [--entry FILE] [--allow-missing-assets]
//
// Artifacts: dist/vpsie-lb-agent-linux-<arch>, dist/vpsie-lb-agent_<version>-1_<arch>.deb,
// dist/vpsie-lb-envoy_<envoy version>-1_<arch>.deb, dist/sea-report.json.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`build-all: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const seaArgs = [];
const debArgs = []; // shared by both package builders
let skipTsc = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => args[++i] ?? fail(`${a} needs a value`);
  if (a === '--skip-tsc') skipTsc = true;
  else if (a === '--arch') {
    const v = value();
    seaArgs.push(a, v);
    debArgs.push(a, v);
  } else if (a === '--compress') debArgs.push(a, value());
  else if (a === '--entry') seaArgs.push(a, value());
  else if (a === '--allow-missing-assets') seaArgs.push(a);
  else fail(`unknown option ${a}`);
}

function step(name, cmd, cmdArgs) {
  const t0 = Date.now();
  process.stderr.write(`build-all: ${name}\n`);
  try {
    execFileSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit' });
  } catch {
    fail(`${name} failed (${cmd} ${cmdArgs.join(' ')})`);
  }
  process.stderr.write(`build-all: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
}

execFileSync(join(ROOT, 'scripts', 'ensure-tools.sh'), ['deb'], { stdio: 'inherit' });
if (!skipTsc) step('tsc (npm run build)', 'npm', ['run', '--silent', 'build']);
if (!seaArgs.includes('--entry') && !existsSync(join(ROOT, 'dist', 'cli.js'))) {
  fail('dist/cli.js is missing after the TypeScript build');
}
step('single executables', process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), ...seaArgs]);
step('Debian packages', process.execPath, [join(ROOT, 'scripts', 'build-deb.mjs'), ...debArgs]);
step('Envoy Debian packages', process.execPath, [join(ROOT, 'scripts', 'build-envoy-deb.mjs'), ...debArgs]);
