// The load tests' backends are the real-Envoy tests' ones (real-envoy/backends.ts), with two differences: HTTP
// backends keep an idle connection for a minute (one that closes while Envoy reuses it would be a failed request
// that is not the agent's doing), and the TCP backend echoes without a greeting line.
import { type Backend, httpBackend as loopbackHttp } from '../real-envoy/backends.ts';

export { type Backend, echoBackend } from '../real-envoy/backends.ts';

const IDLE_KEEP_ALIVE_MS = 60_000;

/** `/` answers the name; `/stream?chunks=N&ms=M` streams N lines (see Backend.handle). */
export const httpBackend = (name: string): Promise<Backend> =>
  loopbackHttp(name, undefined, undefined, IDLE_KEEP_ALIVE_MS);

export async function httpBackends(n: number, prefix = 'b'): Promise<Backend[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => httpBackend(`${prefix}${i}`)));
}
