#!/usr/bin/env node
// Committed so that the bin links on a fresh install, before the build has written dist/.
import '../dist/cli.js'
