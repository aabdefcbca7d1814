#!/usr/bin/env node
// `npm run dev`: see dev.ts.
require('./bootstrap').runTypeScript('dev', require('node:path').join(__dirname, 'dev.ts'));
