export const COMMANDS = ['probe', 'status', 'maintenance', 'watch'] as const
export type Command = (typeof COMMANDS)[number]

const EXIT_CODES = `Exit codes:
  0    success
  1    failure (unhealthy, rejected, timed out, unreachable)
  2    usage error (bad flags, URL, duration or environment)
  130  interrupted while waiting`

export const TOP_HELP = `Usage: healthgate <command> [options]

Commands:
  probe <url>                   One health request; exit 0 when healthy, 1 when not (Docker HEALTHCHECK)
  status <url>                  The checks of one instance as a table; exit 0 when healthy, 1 when not
  status --fleet <url>          Every instance of the fleet <url> belongs to (admin token)
  maintenance on|off|status <url>
                                Toggle maintenance on one instance, optionally waiting for the drain

The instance URL is given as an argument or with --url, in every command that takes one.
  watch --endpoint ...          Run the failover monitor and print every switch

Options:
  -h, --help                    Show help (also: healthgate <command> --help, healthgate help <command>)
  -v, --version                 Print the version

${EXIT_CODES}
`

export const HELP: Record<Command, string> = {
  probe: `Usage: healthgate probe <url> [options]   (or --url <url>)

Sends one health request. Exit 0 when the status matches --expect, 1 otherwise (including timeouts and
refused connections; the reason goes to stderr). Redirects are not followed.

Options:
  --url URL              The URL to probe, instead of the argument
  --method HEAD|GET      Request method; HEAD is retried as GET when the server answers 405 or 501.
                         Default: GET
  --timeout DURATION     Give up after this long (500ms, 2s, 1m, or milliseconds). Default: 2s
  --expect CODES         Healthy statuses: codes, ranges, classes, e.g. 200-299,304 or 2xx. Default: 200-299
  -h, --help             Show this help

Example (Dockerfile):
  HEALTHCHECK --interval=10s --timeout=3s CMD ["healthgate", "probe", "http://127.0.0.1:3000/health/live"]

${EXIT_CODES}
`,
  status: `Usage: healthgate status <url> [options]   (or --url <url>)

Reads the health report at <url> (the health mount, e.g. http://127.0.0.1:3000/health) and prints the
overall status and one row per check: status, observed value, duration (when the server reports it),
since when, output. With HEALTHGATE_ADMIN_TOKEN in the environment the instance shows the details;
without it, statuses only. Colored on a terminal unless NO_COLOR is set. Exit 0 when the instance
answers 2xx, 1 otherwise.

Options:
  --url URL              The URL, instead of the argument
  --timeout DURATION     Give up after this long, exit 1. Default: 5s
  --json                 Print the report as JSON (the body plus url and httpStatus)
  --fleet                Print the fleet view instead (GET <url>/fleet, needs HEALTHGATE_ADMIN_TOKEN): every
                         instance with its status, readiness, maintenance, draining, version, address and
                         last publication, \`*\` marking the one asked. Exit 1 when the fleet is unknown
                         (the instance cannot reach Redis)
  -h, --help             Show this help

${EXIT_CODES}
`,
  maintenance: `Usage: healthgate maintenance on|off|status <health mount URL> [options]   (or --url <url>)

Reads or flips maintenance mode through the admin API at <url>/maintenance. While in maintenance the
instance answers readiness with 503, so load balancers drain it.

The admin token is read from the HEALTHGATE_ADMIN_TOKEN environment variable only: a --token flag
would be visible to every user in \`ps\` and in shell history.

Options:
  --url URL              The health mount, e.g. http://127.0.0.1:3000/health, instead of the argument
  --reason TEXT          Why (on only); shown in the maintenance status
  --wait                 on:  return once the instance reports drained (the load balancers have seen
                              its 503s), or once <url>/ready answers 503 on servers without drain tracking
                         off: return once <url>/ready answers 200
  --wait-for-budget      on: while the fleet's disruption budget refuses (409), ask again every --interval,
                         showing the refusal, until it lets this instance go or --timeout passes
  --force                on: enter maintenance even when the disruption budget refuses or cannot be checked
                         (the fleet unknown because Redis is unreachable)
  --timeout DURATION     Give up after this long, exit 1. Default: 120s
  --interval DURATION    Time between polls while waiting. Default: 500ms
  --json                 Print the final maintenance state as JSON; while waiting, one JSON line per change
                         ({"event":"waiting",...})
  -h, --help             Show this help

While waiting, progress goes to stderr: on a terminal a live line with the balancers still holding the
drain (each with its consecutive 503s against the threshold), the elapsed time and the timeout; otherwise
one line per change. NO_COLOR turns colors off. The status action lists the balancers the instance waits for,
why (periodic or matched), their interval and their consecutive 503s.

Examples:
  export HEALTHGATE_ADMIN_TOKEN=...   # from your secret store
  healthgate maintenance on http://10.0.0.5:3000/health --reason "deploy 42" --wait
  healthgate maintenance on http://10.0.0.5:3000/health --wait-for-budget --wait
  healthgate maintenance off --url http://10.0.0.5:3000/health --wait

${EXIT_CODES}
`,
  watch: `Usage: healthgate watch --endpoint name=<healthUrl>,<connectUrl> --endpoint ... [options]

Polls the health URLs and keeps the first healthy endpoint (in the order given) active. Prints one
line per transition on stdout (switch, all-down, recovered); status messages go to stderr. Stops on
SIGINT/SIGTERM with exit 0.

Options:
  --endpoint SPEC          name=<healthUrl>,<connectUrl>; at least two, in priority order
  --interval DURATION      Time between polls. Default: 10s
  --timeout DURATION       A probe slower than this fails; must be below --interval.
                           Default: the smaller of 2s and half the interval
  --failure-threshold N    Consecutive failures of the active endpoint before switching. Default: 3
  --success-threshold N    Consecutive successes of a higher-priority endpoint before failing back. Default: 2
  --no-failback            Stay on the endpoint switched to, even when the primary recovers
  --method HEAD|GET        Probe method; HEAD falls back to GET on 405/501. Default: HEAD
  --expect CODES           Healthy statuses, as for probe --expect. Default: 200-399
  --serve [HOST:]PORT      Serve GET /active (JSON: name, url, since, allDown). Default host: 127.0.0.1
  --json                   Print transitions as JSON lines
  -h, --help               Show this help

Example:
  healthgate watch --failure-threshold 9 \\
    --endpoint primary=https://primary.example.com/_ping,wss://primary.example.com/primary \\
    --endpoint secondary=https://secondary.example.com/_ping,wss://secondary.example.com/secondary

${EXIT_CODES}
`,
}
