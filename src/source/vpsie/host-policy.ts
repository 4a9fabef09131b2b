/** Host name allow-list: exact names or `*.domain` (strict subdomains of domain, never domain itself). */

/** Lower-cases, strips IPv6 brackets and one trailing dot, so `API.VPSie.com.` matches `api.vpsie.com`. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export function hostAllowed(host: string, allowList: readonly string[]): boolean {
  const h = normalizeHost(host);
  if (h === '') return false;
  return allowList.some((entry) => {
    const e = normalizeHost(entry.trim());
    if (e.startsWith('*.')) {
      const domain = e.slice(2);
      return domain !== '' && h.length > domain.length + 1 && h.endsWith(`.${domain}`);
    }
    return e !== '' && h === e;
  });
}
