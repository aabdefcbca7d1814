#!/usr/bin/env node
// `npm run demo`: see demo.ts.
require('./bootstrap').runTypeScript('demo', require('node:path').join(__dirname, 'demo.ts'));
