import { runDemo } from '../shared/demo.mjs'
import { createDemo } from './app.mjs'

await runDemo('Hono', createDemo)
