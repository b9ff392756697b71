// Both demos share one environment contract and one set of checks (see examples/README.md).
export * from '../express/checks.mjs'
