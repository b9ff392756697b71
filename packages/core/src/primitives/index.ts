// @healthgate/core/primitives: the building blocks every healthgate package shares (listener sets, deadlines,
// polling, status matchers, option validation). Runtime-neutral: no Node built-ins, so browser bundles can use it.

export { describeValue, isErrorLike, sanitizeOutput } from '../sanitize.js'
export type { CheckOptionDefaults } from './check-options.js'
export { CHECK_OPTION_KEYS, readCheckName, readCheckOptions } from './check-options.js'
export type {
  DeadlineOptions,
  DeadlineRace,
  PollOptions,
  PollResult,
  Settled,
  SleepOptions,
} from './deadline.js'
export {
  abortReason,
  pollUntil,
  raceDeadline,
  sleep,
  unref,
  untilAborted,
  withDeadline,
} from './deadline.js'
export type { OneAtATimeOptions, OwnConnection, OwnConnectionOptions } from './driver.js'
export { checkAbortError, describeFailure, oneAtATime, ownConnection, peerExport } from './driver.js'
export type { ErrorHandler } from './listeners.js'
export { defaultOnError, Listeners } from './listeners.js'
export type { OptionReader } from './options.js'
export { closest, optionReader, unknownOptionMessage } from './options.js'
export type { StatusMatcher } from './status-matcher.js'
export { parseStatusMatcher } from './status-matcher.js'
