// The socket layer of the SSRF guard. Every new connection resolves through `guardLookup` (addresses are judged after
// DNS, before connect), and every new socket is checked again on 'connect' against the address it actually reached.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type AddressPolicy, checkAddress } from './address-guard.ts';
import { RefusedAddressError } from './errors.ts';

/** Options a connection is opened with; the guarded `lookup` is always set. */
export type ConnectOptions = net.TcpNetConnectOpts & tls.ConnectionOptions & { lookup: LookupFunction };

/**
 * Opens the socket for the agent (default: tls.connect / net.connect). A test seam: a test can stand in for the
 * kernel without sending packets; it must honour `options.lookup` as net does.
 */
export type SocketFactory = (options: ConnectOptions) => net.Socket;

export const systemLookup: LookupFunction = dns.lookup;

/** Wraps a resolver so that any answer holding a forbidden address fails the whole lookup. */
export function guardLookup(base: LookupFunction, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const empty = options.all ? [] : '';
    base(hostname, options, (err, address, family) => {
      if (err) {
        callback(err, empty, family);
        return;
      }
      const list = typeof address === 'string' ? [address] : address.map((a) => a.address);
      if (list.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`${hostname}: no addresses`);
        e.code = 'ENOTFOUND';
        callback(e, empty, family);
        return;
      }
      // One forbidden answer refuses the host: a name that resolves into internal space is hostile.
      for (const a of list) {
        const decision = checkAddress(a, policy);
        if (!decision.ok) {
          callback(new RefusedAddressError(hostname, a, decision.reason), empty, family);
          return;
        }
      }
      callback(null, address, family);
    });
  };
}

/** Sockets that finished connecting (TCP, and TLS for https); lets a request tell a reused socket from a new one. */
export type ReadySockets = WeakSet<object>;

function guardSocket(socket: net.Socket, host: string, policy: AddressPolicy, ready: ReadySockets): void {
  // Prepended so it runs before TLS starts its handshake on the same event.
  socket.prependOnceListener('connect', () => {
    const remote = socket.remoteAddress;
    const decision =
      remote === undefined
        ? { ok: false as const, reason: 'no remote address' }
        : checkAddress(remote, policy);
    if (!decision.ok) socket.destroy(new RefusedAddressError(host, remote ?? '?', decision.reason));
  });
  const readyEvent = socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
  socket.once(readyEvent, () => ready.add(socket));
}

export interface GuardSettings {
  readonly policy: AddressPolicy;
  /** Already guarded (see guardLookup). */
  readonly lookup: LookupFunction;
  readonly socketFactory?: SocketFactory;
  readonly ready: ReadySockets;
}

function open(
  settings: GuardSettings,
  options: http.ClientRequestArgs,
  fallback: (o: ConnectOptions) => Duplex | null | undefined,
): Duplex {
  const host = options.host ?? options.hostname ?? '';
  const connectOptions = { ...options, host, lookup: settings.lookup } as ConnectOptions;
  const socket = settings.socketFactory ? settings.socketFactory(connectOptions) : fallback(connectOptions);
  if (!(socket instanceof net.Socket)) throw new Error('socket factory must return a net.Socket');
  guardSocket(socket, host, settings.policy, settings.ready);
  return socket;
}

/** keepAlive pool whose every new socket is resolved and checked by the guard. */
export class GuardedHttpsAgent extends https.Agent {
  readonly #settings: GuardSettings;

  constructor(settings: GuardSettings, options: https.AgentOptions) {
    super({ ...options, lookup: settings.lookup });
    this.#settings = settings;
  }

  override createConnection(options: https.RequestOptions): Duplex {
    return open(this.#settings, options, (o) => super.createConnection(o));
  }
}

/** Plain-http pool, used only in development mode. */
export class GuardedHttpAgent extends http.Agent {
  readonly #settings: GuardSettings;

  constructor(settings: GuardSettings, options: http.AgentOptions) {
    super({ ...options, lookup: settings.lookup });
    this.#settings = settings;
  }

  override createConnection(options: http.ClientRequestArgs): Duplex {
    return open(this.#settings, options, (o) => net.createConnection(o));
  }
}
