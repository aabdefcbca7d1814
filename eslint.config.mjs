import { config } from '@n8n/node-cli/eslint';

// n8n's own community-node lint config (the one `n8n-node lint` and the
// verification check use), with nothing switched off.
export default [
	...config,
	{
		ignores: ['test/**', 'gulpfile.js', 'index.js', 'scripts/**'],
	},
];
