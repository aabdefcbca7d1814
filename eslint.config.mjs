import { config } from '@n8n/node-cli/eslint';

// n8n's own community-node lint config (@n8n/node-cli's, which carries the
// community-nodes plugin that n8n's verification applies); only the author rule
// is lowered, see below.
export default [
	...config,
	{
		ignores: ['test/**', 'gulpfile.js', 'index.js', 'scripts/**', 'examples/**', 'docs/**'],
	},
	{
		// The package has no published contact address or repository yet, and package.json names
		// none it cannot vouch for. Locally this is a warning; the publish workflow lints with
		// --max-warnings 0, so no release goes out until a maintainer fills them in
		// (CONTRIBUTING.md, "Release").
		files: ['package.json'],
		rules: { '@n8n/community-nodes/valid-author': 'warn' },
	},
];
