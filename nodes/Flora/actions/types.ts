import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { ItemProgress } from '../helpers/errors';

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
	/** Items in flight at once; 1 when absent. */
	concurrency?(this: IExecuteFunctions): number;
}

/** A resource's operations by their `operation` value. */
export type FloraOperations = Record<string, FloraOperation<unknown>>;
