/** Names and values every tier writes into Flora node parameters. */
import { createHash } from 'node:crypto';

/** The Flora node's type, as n8n loads it from the package. */
export const NODE_TYPE = 'n8n-nodes-flora.flora';

/** A resource-locator value, as n8n saves one (`mode` `id` or `list`). */
export function locator(value: string, mode: 'id' | 'list' | string = 'id') {
	return { __rl: true, mode, value };
}

export function sha256(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}
