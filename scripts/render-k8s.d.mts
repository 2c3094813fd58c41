export declare const k8sDir: string;
export declare const releaseName: string;
export declare const namespace: string;
export declare const renderArgs: readonly string[];
export declare const handWritten: ReadonlySet<string>;
export declare function renderK8s(helm?: string): Map<string, string>;
export declare function writeK8s(files: ReadonlyMap<string, string>): void;
