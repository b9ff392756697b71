// The core logs admin actions (console.warn) and shutdown steps (console.info) to the console when an app
// passes no logger: a test run printed some 4,000 such lines, burying what failed. They are dropped here
// unless HEALTHGATE_TEST_LOGS=1 is set. A test that checks those lines spies on the console (jest.spyOn) and
// still sees every call. console.log and console.error stay untouched, so jest still shows where they came from.
if (!process.env.HEALTHGATE_TEST_LOGS) {
  for (const method of ['info', 'warn'] as const) {
    const original = console[method]
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('healthgate: ')) return
      original.apply(console, args)
    }
  }
}
