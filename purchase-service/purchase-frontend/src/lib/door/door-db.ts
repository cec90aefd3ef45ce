/**
 * The door device's own storage (IndexedDB): the event's bundle and the scans it made
 * offline, kept across reloads and a dead battery until they are synced.
 */
const DB = 'ticketslave-door';
const STORE = 'kv';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

let db: Promise<IDBDatabase> | undefined;

async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  const d = await (db ??= open());
  return new Promise<T>((resolve, reject) => {
    const tx = d.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result as T);
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB write failed'));
  });
}

export const load = <T>(key: string): Promise<T | undefined> => run<T | undefined>('readonly', (s) => s.get(key));
export const save = (key: string, value: unknown): Promise<void> => run<void>('readwrite', (s) => s.put(value, key)).then(() => undefined);
