// Express 4 is installed under the alias `express4`; it ships no types of its own and its API is the
// part of @types/express that the conformance servers use.
declare module 'express4' {
  import express = require('express')
  export = express
}
