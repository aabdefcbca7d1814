/** The FLORA simulator for one test file: started once, reset before every test, closed at the end. */
import { startSimulator } from '../simulator';
import type { Simulator, SimulatorOptions } from '../simulator';

export interface PerTest {
	/** Settings applied after every reset (a reset keeps the settings the tests last chose). */
	configure?: SimulatorOptions;
}

/**
 * Registers the file's beforeAll / beforeEach / afterAll hooks and returns the simulator they
 * manage. Use it at the top level of a test file: `const sim = simulatorForFile();`.
 */
export function simulatorForFile(options: SimulatorOptions = {}, perTest: PerTest = {}): Simulator {
	let current: Simulator | undefined;
	beforeAll(async () => {
		current = await startSimulator({ quiet: true, ...options });
	});
	beforeEach(() => {
		current!.reset();
		if (perTest.configure) current!.configure(perTest.configure);
	});
	afterAll(async () => {
		await current?.close();
		current = undefined;
	});
	return new Proxy({} as Simulator, {
		get(_target, key) {
			if (!current) throw new Error('The simulator runs only inside the tests of this file');
			const value = Reflect.get(current, key) as unknown;
			return typeof value === 'function' ? value.bind(current) : value;
		},
		set(_target, key, value) {
			if (!current) throw new Error('The simulator runs only inside the tests of this file');
			return Reflect.set(current, key, value);
		},
	});
}
