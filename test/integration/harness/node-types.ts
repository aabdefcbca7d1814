import type {
	ICredentialType,
	IDataObject,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeHelpers, UnexpectedError } from 'n8n-workflow';

/**
 * The node types one harness run can see. WorkflowExecute turns the error a node throws into a
 * plain copy (`{ ...error }`), so `execute` is wrapped to keep the thrown instance itself, with its
 * class, description and context, for `RunResult.error`.
 */
export class HarnessNodeTypes implements INodeTypes {
	readonly thrown: unknown[] = [];

	private readonly resolved = new Map<string, INodeType>();

	constructor(private readonly types: Record<string, INodeType | IVersionedNodeType>) {}

	getByName(nodeType: string): INodeType | IVersionedNodeType {
		const type = this.types[nodeType];
		if (!type) throw new UnexpectedError(`Unknown node type "${nodeType}" in the test harness`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		const key = `${nodeType}@${version ?? 'latest'}`;
		let resolved = this.resolved.get(key);
		if (!resolved) {
			resolved = this.observeErrors(
				NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version),
			);
			this.resolved.set(key, resolved);
		}
		return resolved;
	}

	getKnownTypes(): IDataObject {
		return {};
	}

	private observeErrors(nodeType: INodeType): INodeType {
		const execute = nodeType.execute;
		if (!execute) return nodeType;
		const thrown = this.thrown;
		// The prototype link keeps description, methods and n8n's class-node tag visible.
		const observed = Object.create(nodeType) as INodeType;
		observed.execute = async function (this: unknown, ...args: unknown[]) {
			try {
				return await (execute as (...a: unknown[]) => Promise<unknown>).apply(this, args);
			} catch (error) {
				thrown.push(error);
				throw error;
			}
		} as INodeType['execute'];
		return observed;
	}
}

export class HarnessCredentialTypes {
	constructor(private readonly types: Record<string, ICredentialType>) {}

	recognizes(name: string): boolean {
		return name in this.types;
	}

	getByName(name: string): ICredentialType {
		const type = this.types[name];
		if (!type) throw new UnexpectedError(`Unknown credential type "${name}" in the test harness`);
		return type;
	}

	getParentTypes(name: string): string[] {
		const parents = this.types[name]?.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}
}

/** A node type with no behaviour, for the throwaway workflows n8n builds around credentials. */
export function bareNodeTypes(): INodeTypes {
	const bare: INodeType = {
		description: {
			displayName: 'Bare',
			name: 'bare',
			group: [],
			version: 1,
			description: '',
			defaults: {},
			inputs: [],
			outputs: [],
			properties: [],
		},
	};
	return new HarnessNodeTypes({ bare });
}
