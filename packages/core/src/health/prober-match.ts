// Which identities are load balancers from their very first request: User-Agent patterns and source networks.
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import { optionReader } from '../primitives/options.js'

/** Which identities count as load balancers from their first readiness request (the `probers` option of `createHealth`). */
export interface ProberMatchOptions {
  /**
   * User-Agent patterns of load balancers: a string matches as a prefix, a RegExp is tested. Added to the
   * defaults (see `DEFAULT_PROBER_USER_AGENTS`) unless `defaults` is false. Default: none.
   */
  userAgents?: ReadonlyArray<string | RegExp>
  /** Source networks of load balancers, in CIDR notation (`10.0.0.0/8`, `fd00::/8`) or single addresses. Default: none. */
  addresses?: readonly string[]
  /** Whether the default User-Agent patterns apply. Default: true. */
  defaults?: boolean
}

/**
 * The health checkers of the usual balancers, matched as User-Agent prefixes: AWS ELB/ALB/NLB, Kubernetes'
 * kubelet, Google Cloud load balancing, Envoy, and HAProxy when its check sends a User-Agent (by default
 * `option httpchk` sends none; it is then confirmed by its periodic checks).
 */
export const DEFAULT_PROBER_USER_AGENTS: readonly string[] = Object.freeze([
  'ELB-HealthChecker/',
  'kube-probe/',
  'GoogleHC/',
  'Envoy/HC',
  'HAProxy',
])

/**
 * Never a balancer: this project's own CLI (its readiness polls, and `healthgate probe` run by a container
 * HEALTHCHECK every few seconds, which looks periodic).
 */
const NEVER = 'healthgate-cli/'

export type ProberKind = 'matched' | 'never' | undefined

export type ProberMatcher = (address: string | undefined, agent: string | undefined) => ProberKind

const read = optionReader('createHealth() `probers`')
const KEYS = Object.keys({ userAgents: true, addresses: true, defaults: true } satisfies Record<
  keyof ProberMatchOptions,
  true
>)

/** Validates the `probers` option and compiles it into one function, called once per new identity. */
export function createProberMatcher(options: ProberMatchOptions | undefined): ProberMatcher {
  const given = read.object(options, KEYS) as ProberMatchOptions
  const defaults = read.boolean('defaults', given.defaults, true)
  const patterns: Array<string | RegExp> = defaults ? [...DEFAULT_PROBER_USER_AGENTS] : []
  if (given.userAgents !== undefined) {
    if (!Array.isArray(given.userAgents)) read.fail('userAgents', 'an array', given.userAgents)
    for (const pattern of given.userAgents) {
      if (!(typeof pattern === 'string' && pattern.length > 0) && !(pattern instanceof RegExp)) {
        read.fail('userAgents', 'non-empty strings or RegExps', pattern)
      }
      patterns.push(pattern)
    }
  }
  const networks = new BlockList()
  let anyNetwork = false
  if (given.addresses !== undefined) {
    if (!Array.isArray(given.addresses)) read.fail('addresses', 'an array', given.addresses)
    for (const cidr of given.addresses) {
      if (!addNetwork(networks, cidr)) read.fail('addresses', 'CIDR blocks such as `10.0.0.0/8`', cidr)
      anyNetwork = true
    }
  }
  return (address, agent) => {
    if (agent?.startsWith(NEVER)) return 'never'
    if (agent !== undefined) {
      for (const pattern of patterns) {
        if (typeof pattern === 'string' ? agent.startsWith(pattern) : pattern.test(agent)) return 'matched'
      }
    }
    if (anyNetwork && address !== undefined && inNetworks(networks, address)) return 'matched'
    return undefined
  }
}

function addNetwork(list: BlockList, cidr: unknown): boolean {
  if (typeof cidr !== 'string') return false
  const [ip = '', bits, ...rest] = cidr.trim().split('/')
  if (rest.length > 0) return false
  const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined
  if (type === undefined) return false
  const max = type === 'ipv4' ? 32 : 128
  const prefix = bits === undefined ? max : Number(bits)
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (bits !== undefined && !/^\d+$/.test(bits))
  ) {
    return false
  }
  list.addSubnet(ip, prefix, type)
  return true
}

function inNetworks(list: BlockList, address: string): boolean {
  // Dual-stack sockets report IPv4 peers as `::ffff:a.b.c.d`.
  const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
  if (isIPv4(plain)) return list.check(plain, 'ipv4')
  if (isIPv6(plain)) return list.check(plain, 'ipv6')
  return false
}
