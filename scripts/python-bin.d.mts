// Types of python-bin.mjs for the TypeScript tests that import it.
export declare const repoRoot: string;
export declare const venvDir: string;
export declare const venvPython: string;
export declare function pythonBin(): string;
