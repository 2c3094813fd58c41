export declare function readZipEntry(zipPath: string, entryName: string): Buffer;
