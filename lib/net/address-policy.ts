/**
 * Which IP addresses a remote image may come from: public unicast only. Loopback, private, shared
 * (carrier NAT), link-local (where cloud metadata services answer: 169.254.169.254, fd00:ec2::254),
 * unique-local, multicast, documentation and reserved ranges are refused, so a URL cannot reach the
 * server's own host, its network or its cloud credentials (server-side request forgery).
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) and NAT64 ones (64:ff9b::7f00:1, which a NAT64
 * gateway forwards to 127.0.0.1 on its side) are checked as the IPv4 address they carry.
 */
import { BlockList, isIP } from 'node:net';

/** [network, prefix length, what the range is] (IANA special-purpose registries, RFC 6890). */
const ipv4Ranges: [string, number, string][] = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local (cloud metadata) address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a 6to4 relay address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

const ipv6Ranges: [string, number, string][] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['::', 96, 'an IPv4-compatible address'],
  ['64:ff9b:1::', 48, 'a local NAT64 address'],
  ['100::', 64, 'a discard address'],
  ['2001::', 23, 'an IETF protocol address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['2002::', 16, 'a 6to4 address'],
  ['fc00::', 7, 'a unique-local (private) address'],
  ['fe80::', 10, 'a link-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const ranges = [
  ...ipv4Ranges.map(([network, prefix, label]) => ({ network, prefix, label, family: 'ipv4' as const })),
  ...ipv6Ranges.map(([network, prefix, label]) => ({ network, prefix, label, family: 'ipv6' as const })),
].map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { list, label: range.label };
});

const mappedIpv4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function lastIpv4Of(address: string): string {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
  if (dotted) return dotted;
  const [head = '', tail] = address.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? front : [...front, ...Array(8 - front.length - back.length).fill('0'), ...back];
  const [high, low] = groups.slice(6).map((g) => Number.parseInt(g, 16)) as [number, number];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Why an address may not be fetched from ('a loopback address', ...), or undefined when it is a
 * public unicast address. Anything that is not an IP address is refused.
 */
export function nonPublicReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = mappedIpv4.exec(bare)?.[1];
  const candidate = mapped ?? bare;
  const family = isIP(candidate);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (type === 'ipv6' && nat64.check(candidate, 'ipv6')) {
    const carried = nonPublicReason(lastIpv4Of(candidate));
    if (carried) return `a NAT64 address of ${carried}`;
  }
  // BlockList matches IPv4 rules against IPv4-mapped IPv6 (::ffff:7f00:1) itself.
  return ranges.find((range) => range.list.check(candidate, type))?.label;
}

/** True for public unicast addresses, the only ones a remote image may come from. */
export function isPublicAddress(address: string): boolean {
  return nonPublicReason(address) === undefined;
}
