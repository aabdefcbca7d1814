/** What n8n reads from the Flora Trigger's description: webhook, parameters, icons, codex. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { INodeProperties } from 'n8n-workflow';

import { FloraApi } from '../../../credentials/FloraApi.credentials';
import { FloraTrigger } from '../../../nodes/FloraTrigger/FloraTrigger.node';

const root = resolve(__dirname, '../../..');
const trigger = new FloraTrigger();
const { description } = trigger;
const property = (name: string) => description.properties.find((p) => p.name === name);

describe('Flora Trigger description', () => {
	it('is a webhook trigger named as the contract fixes it', () => {
		expect(description).toMatchObject({
			name: 'floraTrigger',
			displayName: 'Flora Trigger',
			version: 1,
			group: ['trigger'],
			inputs: [],
			credentials: [{ name: 'floraApi', required: true }],
			webhooks: [
				{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'flora' },
			],
		});
	});

	it('starts on both run endings by default', () => {
		expect(property('events')).toMatchObject({
			type: 'multiOptions',
			default: ['run.completed', 'run.failed'],
		});
		expect(property('events')?.options?.map((o) => (o as { value: string }).value)).toEqual([
			'run.completed',
			'run.failed',
		]);
	});

	it('has the options fetchRun (on), downloadOutputs (off) and toleranceSeconds (300)', () => {
		const options = (property('options')?.options ?? []) as INodeProperties[];
		const defaults = Object.fromEntries(options.map((o) => [o.name, o.default]));
		expect(defaults).toEqual({ downloadOutputs: false, fetchRun: true, toleranceSeconds: 300 });
	});

	it('registers nothing with FLORA on activation (FLORA has no webhook API)', async () => {
		const hooks = trigger.webhookMethods.default;
		await expect(hooks.checkExists.call({} as never)).resolves.toBe(true);
		await expect(hooks.create.call({} as never)).resolves.toBe(true);
		await expect(hooks.delete.call({} as never)).resolves.toBe(true);
	});

	it('uses the Flora flower: light and dark icons beside the node, the same files as the Flora node', () => {
		const { light, dark } = description.icon as { light: string; dark: string };
		const read = (folder: string, icon: string) =>
			readFileSync(join(root, folder, icon.replace(/^file:/, '')), 'utf8');
		expect(read('nodes/FloraTrigger', light)).toBe(read('nodes/Flora', 'file:flora.svg'));
		expect(read('nodes/FloraTrigger', dark)).toBe(read('nodes/Flora', 'file:flora.dark.svg'));
		expect(read('nodes/FloraTrigger', light)).not.toBe(read('nodes/FloraTrigger', dark));
	});

	it('has a codex for the trigger type', () => {
		const codex = JSON.parse(
			readFileSync(join(root, 'nodes/FloraTrigger/FloraTrigger.node.json'), 'utf8'),
		);
		expect(codex.node).toBe('n8n-nodes-flora.floraTrigger');
		expect(codex.nodeVersion).toBe('1.0');
	});

	it('is registered in package.json beside the Flora node', () => {
		const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
		expect(pkg.n8n.nodes).toContain('dist/nodes/FloraTrigger/FloraTrigger.node.js');
	});

	it('has the Webhook Secret in the credential as an optional password field', () => {
		const secret = new FloraApi().properties.find((p) => p.name === 'webhookSecret');
		expect(secret).toMatchObject({ type: 'string', typeOptions: { password: true }, default: '' });
		expect(secret?.required).toBeFalsy();
	});
});
