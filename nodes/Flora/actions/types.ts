import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { ItemProgress } from '../helpers/errors';
import type { RunBehaviour } from '../helpers/runs';

/** One operation: validate an item without sending anything, then run it. */
export interface FloraOperation<Prepared> {
	description: INodeProperties[];
	prepare(this: IExecuteFunctions, itemIndex: number): Promise<Prepared>;
	execute(
		this: IExecuteFunctions,
		itemIndex: number,
		prepared: Prepared,
		progress: ItemProgress,
	): Promise<INodeExecutionData[]>;
	/**
	 * The user's idempotency key of a prepared item, where it applies (`scope`,
	 * e.g. the workspace), and its request in a comparable form. Items of one run
	 * sharing a key and scope must make the same request: the router fails them
	 * before any request otherwise, and gives identical ones one shared result.
	 */
	itemKey?(prepared: Prepared): ItemKey | undefined;
	/** For operations that start a FLORA run: how the item waits for it (Options). */
	runBehaviour?(prepared: Prepared): RunBehaviour;
	/** Items in flight at once; 1 when absent. */
	concurrency?(this: IExecuteFunctions): number;
}

/** A resource's operations by their `operation` value. */
export type FloraOperations = Record<string, FloraOperation<unknown>>;

/** See FloraOperation.itemKey. */
export interface ItemKey {
	key: string;
	scope: string;
	request: string;
}
