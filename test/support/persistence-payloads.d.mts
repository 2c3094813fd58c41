export declare function entryPayload(index: number, term: number): Uint8Array;
export declare function snapshotPayload(index: number): Uint8Array;
