import { projectLocator, techniqueLocator, workspaceFilter } from '../../helpers/descriptions';
import { validateChoice } from '../../helpers/validation';
import { choicesOf, filterQuery, getManyOperation, RUN_STATUSES } from '../getMany';

const RUN_KINDS = ['generation', 'technique'] as const;

export const { description, prepare, execute } = getManyOperation({
	resource: 'run',
	fields: [
		{
			displayName: 'Run Kind',
			name: 'runKind',
			type: 'options',
			default: 'generation',
			options: [
				{
					name: 'Generation',
					value: 'generation',
					description: 'Runs started by Generate (image, video, audio or text)',
				},
				{
					name: 'Technique',
					value: 'technique',
					description: 'Runs of techniques',
				},
			],
			description: 'Which runs to list; FLORA keeps generations and technique runs apart',
		},
	],
	filters: [
		workspaceFilter('Only runs in this workspace (ID starting with ws_)'),
		projectLocator({
			name: 'projectId',
			description:
				'Only runs in this project (ID starting with prj_). Set the Workspace filter first to pick from a list.',
		}),
		{
			displayName: 'Status',
			name: 'status',
			type: 'options',
			default: 'completed',
			options: choicesOf(RUN_STATUSES),
			description: 'Only runs with this status: pending, running, completed or failed',
		},
		techniqueLocator({
			name: 'techniqueId',
			displayOptions: { show: { '/runKind': ['technique'] } },
			description:
				'Only runs of this technique: its ID (starts with tech_) or slug. For Run Kind "Technique".',
		}),
	],
	request: (context, itemIndex, filters) => {
		const runKind =
			validateChoice(
				context,
				itemIndex,
				'Run Kind',
				context.getNodeParameter('runKind', itemIndex),
				RUN_KINDS,
			) ?? 'generation';
		// The technique filter only exists for technique runs.
		const qs = filterQuery(
			context,
			itemIndex,
			runKind === 'technique' ? filters : { ...filters, techniqueId: undefined },
		);
		return runKind === 'technique'
			? { path: '/technique-runs', property: 'technique_runs', qs }
			: { path: '/generations', property: 'generations', qs };
	},
});
