export declare const repoRoot: string;
export declare function findOnPath(name: string, pathVariable?: string): string | null;
export declare function layerBinary(entry: string): string;
export declare function helmBinary(): string;
export declare function kubectlBinary(): string;
